// SmpManager: one per host. Holds the local security settings, our identity keys from the
// registry, the repeated-attempts record, and a SecurityManager per connection.
import type { BleBond, LocalIdentity } from '@pairkit/registry';
import { normalizeAddress, type LeAddress } from './address.js';
import { RepeatedAttempts, type RepeatedAttemptsOptions } from './attempts.js';
import { isAllZero } from './bytes.js';
import { SmpUsageError } from './errors.js';
import type { PairingResult } from './core.js';
import type { IoCapabilityValue } from './pdu.js';
import { SecurityManager, resolveBondedPeer, type BondStore, type SecurityManagerOptions, type SecurityOutcome } from './security-manager.js';
import type { SmpLink } from './link.js';

/** The registry as SMP uses it: bonds plus our own BLE identity keys. */
export interface SmpRegistry extends BondStore {
  identity(): Pick<LocalIdentity, 'bleIrk' | 'bleIdentityAddress' | 'bleCsrk'>;
}

export interface SmpManagerOptions extends Omit<SecurityManagerOptions, 'bonds' | 'localKeys' | 'attempts' | 'ioCapability'> {
  registry?: SmpRegistry;
  ioCapability: IoCapabilityValue;
  repeatedAttempts?: RepeatedAttemptsOptions;
}

export class SmpManager {
  readonly #o: SmpManagerOptions;
  readonly #attempts: RepeatedAttempts;
  readonly #managers = new Map<SmpLink, SecurityManager>();
  #keys: SecurityManagerOptions['localKeys'] | null = null;
  #closed = false;

  constructor(options: SmpManagerOptions) {
    this.#o = options;
    this.#attempts = new RepeatedAttempts(options.repeatedAttempts);
  }

  get ioCapability(): IoCapabilityValue {
    return this.#o.ioCapability;
  }

  /** AuthReq settings in force: bonding, MITM, SC, SC-only, keypress. */
  get authRequirements(): { bonding: boolean; mitm: boolean; secureConnections: boolean; scOnly: boolean; keypress: boolean } {
    const o = this.#o;
    return { bonding: o.bonding ?? true, mitm: !!(o.mitm || o.mitmRequired), secureConnections: o.secureConnections ?? true, scOnly: !!o.scOnly, keypress: !!o.keypress };
  }

  /** The SecurityManager of a connection, made on first use (do this as soon as the link is up). */
  attach(link: SmpLink, extra: Partial<SecurityManagerOptions> = {}): SecurityManager {
    if (this.#closed) throw new SmpUsageError('CLOSED', 'SMP manager is closed');
    let sm = this.#managers.get(link);
    if (sm) return sm;
    sm = new SecurityManager(link, {
      ...this.#o,
      bonds: this.#o.registry,
      localKeys: (this.#keys ??= this.#localKeys()),
      attempts: this.#attempts,
      ...extra,
    });
    this.#managers.set(link, sm);
    link.on('disconnect', () => this.#managers.delete(link));
    return sm;
  }

  /** Pair on this connection (central: Pairing Request; peripheral: Security Request). */
  initiatePairing(link: SmpLink, signal?: AbortSignal): Promise<PairingResult> {
    return this.attach(link).pair(signal);
  }

  /** Peripheral: Security Request; settles with the central's answer (pairing or bond encryption). */
  requestSecurity(link: SmpLink, signal?: AbortSignal): Promise<SecurityOutcome> {
    return this.attach(link).requestSecurity(signal);
  }

  /** A bond exists for this address (identity address or an RPA of a bonded peer). */
  isPaired(address: string): boolean {
    return this.#o.registry !== undefined && resolveBondedPeer(this.#o.registry, address) !== undefined;
  }

  /** Security level of a connection: 1 (none) .. 4 (authenticated LE SC, 128-bit key). */
  securityLevel(link: SmpLink): 1 | 2 | 3 | 4 {
    return this.#managers.get(link)?.securityLevel ?? 1;
  }

  pairedDevices(): BleBond[] {
    return this.#o.registry?.listBonds() ?? [];
  }

  /** The identity address behind an address (itself if bonded, or the bond its RPA resolves to). */
  resolveIdentity(address: string): LeAddress | undefined {
    const b = this.#o.registry && resolveBondedPeer(this.#o.registry, address);
    return b && { type: b.addressType, address: b.address };
  }

  removePairing(address: string): boolean {
    if (!this.#o.registry) return false;
    const bond = resolveBondedPeer(this.#o.registry, address);
    return this.#o.registry.removeBond(bond?.address ?? normalizeAddress(address));
  }

  close(): void {
    this.#closed = true;
    for (const sm of this.#managers.values()) sm.close();
    this.#managers.clear();
  }

  /** Our IRK + identity address and CSRK from the registry (read once); all-zero keys are never sent. */
  #localKeys(): SecurityManagerOptions['localKeys'] {
    const id = this.#o.registry?.identity();
    if (!id) return undefined;
    return {
      irk: isAllZero(id.bleIrk) ? undefined : id.bleIrk,
      csrk: isAllZero(id.bleCsrk) ? undefined : id.bleCsrk,
      identityAddress: { type: 'random', address: normalizeAddress(id.bleIdentityAddress) },
    };
  }
}
