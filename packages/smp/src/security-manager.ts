// SecurityManager: SmpCore bound to one LE connection (L2CAP CID 0x0006, encryption, LTK
// requests) and to a bond store. Events follow node-ble-host's names.
import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import type { BleBond } from '@pairkit/registry';
import { resolvePrivateAddress } from '@pairkit/hci';
import { normalizeAddress, type LeAddress } from './address.js';
import { constantTimeEqual, isAllZero, reverse } from './bytes.js';
import { PairingFailedReason as R, SmpError, SmpSecurityError, SmpUsageError, type SecurityShortfall } from './errors.js';
import { SmpCore, type PairingResult, type SmpAction, type SmpCoreOptions } from './core.js';
import { type AssociationModel } from './model.js';
import { type KeypressTypeValue, type PairingFeatures, AuthReq } from './pdu.js';
import { SMP_CID, type SmpLink } from './link.js';

const debug = createDebug('pairkit:smp');

/** Bond storage; DeviceRegistry from @pairkit/registry fits. */
export interface BondStore {
  saveBond(bond: Omit<BleBond, 'createdAt'>): unknown;
  getBond(address: string): BleBond | undefined;
  listBonds(): BleBond[];
  removeBond(address: string): boolean;
  bondsWithIrk(): (BleBond & { irk: Uint8Array })[];
}

export interface SecurityManagerOptions extends Omit<SmpCoreOptions, 'role' | 'localAddress' | 'peerAddress'> {
  bonds?: BondStore;
  /** Central: answer a Security Request by itself (encrypt with a good enough bond, else pair). Default true. */
  autoSecurityRequest?: boolean;
  now?: () => number;
}

export interface PasskeyExchange {
  model: AssociationModel;
  /** Six digits to show (Passkey Entry, display side) or to compare (Numeric Comparison). */
  passkey?: string;
  /** True when the user must type the peer's passkey: call respond(number). */
  input: boolean;
  /** Numeric Comparison: respond(true|false). Passkey input: respond(passkey). Display: nothing to do. */
  respond(answer: number | boolean): void;
}

export interface EncryptInfo {
  securityLevel: 1 | 2 | 3 | 4;
  keySize: number;
  authenticated: boolean;
  secureConnections: boolean;
  /** Encrypted with a stored bond rather than fresh pairing keys. */
  fromBond: boolean;
}

/**
 * How the central answered a peripheral's Security Request (2.4.6): it paired, or it encrypted
 * the link with the bond it already holds (no pairing, no new keys).
 */
export type SecurityOutcome =
  | { type: 'paired'; result: PairingResult }
  | { type: 'encrypted'; encryption: EncryptInfo };

export interface SecurityManagerEvents {
  /** Peripheral: a central asks to pair (with manualAccept, call accept() or reject()). */
  pairingRequest: [features: PairingFeatures, decision: { accept(): void; reject(reason?: number): void }];
  /** Central: the peripheral sent a Security Request. */
  securityRequest: [authReq: number];
  passkeyExchange: [exchange: PasskeyExchange];
  keypress: [notification: KeypressTypeValue];
  pairingComplete: [result: PairingResult, bond: BleBond | undefined];
  pairingFailed: [error: SmpError];
  encrypt: [info: EncryptInfo];
  timeout: [];
}

const ZERO8 = new Uint8Array(8);
/** HCI disconnect reasons that mean the encryption itself failed. */
const ENCRYPTION_DISCONNECTS: ReadonlySet<number> = new Set([0x06 /* PIN or key missing */, 0x3d /* MIC failure */]);

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

/** Which bonded peer (if any) an address belongs to: identity address, or an RPA resolved with its IRK. */
export function resolveBondedPeer(store: BondStore, address: string): BleBond | undefined {
  const a = normalizeAddress(address);
  const direct = store.getBond(a);
  if (direct) return direct;
  // HCI's resolver checks the RPA sub-type and compares ah() in constant time.
  const withIrk = store.bondsWithIrk();
  const i = resolvePrivateAddress(a, withIrk.map((b) => b.irk));
  if (i >= 0) return withIrk[i];
  return undefined;
}

function leAddress(address: string, hciType: number): LeAddress {
  return { type: hciType === 0 || hciType === 2 ? 'public' : 'random', address: normalizeAddress(address) };
}

export class SecurityManager extends EventEmitter<SecurityManagerEvents> {
  readonly link: SmpLink;
  readonly core: SmpCore;
  readonly #o: SecurityManagerOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastSend: Promise<void> = Promise.resolve();
  #pending: Waiter<PairingResult>[] = [];
  /** Peripheral: requestSecurity() calls waiting for the central's answer. */
  #requests: Waiter<SecurityOutcome>[] = [];
  #level: EncryptInfo | undefined;
  #pairingKeyInUse = false;
  /** Peripheral: the STK/LTK of the running pairing, for the central's LTK Request (EDIV 0, Rand 0). */
  #pendingKey: Uint8Array | undefined;
  #lastResult: PairingResult | undefined;
  #closed = false;
  readonly #unsubscribe: () => void;

  constructor(link: SmpLink, options: SecurityManagerOptions) {
    super();
    this.link = link;
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.core = new SmpCore({
      ...options,
      role: link.role,
      localAddress: leAddress(link.info.localAddress, link.info.localAddressType),
      peerAddress: leAddress(link.info.peerAddress, link.info.peerAddressType),
    });
    const offSmp = link.setFixedChannelHandler(SMP_CID, (pdu) => this.#run(this.core.receive(new Uint8Array(pdu), this.#now())));
    const onLtk = (e: { rand: Uint8Array; ediv: number }) => void this.#onLtkRequest(e.rand, e.ediv);
    const onEnc = (e: { status: number; encrypted: boolean }) => this.#onEncryption(e.status === 0 && e.encrypted);
    const onRefresh = (e: { status: number }) => this.#onEncryption(e.status === 0);
    const onDisconnect = (reason: number) => {
      if (ENCRYPTION_DISCONNECTS.has(reason)) this.#encryptionFailed(reason, 'the link dropped while encrypting');
      this.close();
    };
    link.on('ltkRequest', onLtk);
    link.on('encryptionChange', onEnc);
    link.on('keyRefresh', onRefresh);
    link.on('disconnect', onDisconnect);
    this.#unsubscribe = () => {
      offSmp();
      link.off('ltkRequest', onLtk);
      link.off('encryptionChange', onEnc);
      link.off('keyRefresh', onRefresh);
      link.off('disconnect', onDisconnect);
    };
  }

  /** 1: no encryption, 2: unauthenticated, 3: authenticated, 4: authenticated SC with a 128-bit key. */
  get securityLevel(): 1 | 2 | 3 | 4 {
    return this.link.encrypted && this.#level ? this.#level.securityLevel : 1;
  }

  get lastResult(): PairingResult | undefined {
    return this.#lastResult;
  }

  /** The peer's bond, found by its address on this link (RPAs resolved). */
  peerBond(): BleBond | undefined {
    return this.#o.bonds && resolveBondedPeer(this.#o.bonds, this.link.info.peerAddress);
  }

  /**
   * Pair now. Central: sends a Pairing Request. Resolves with the result once keys are
   * distributed (and stored).
   * Peripheral: sends a Security Request (see requestSecurity()) and resolves if the central
   * pairs; if it encrypts with its bond instead, rejects with SmpSecurityError
   * ENCRYPTED_WITH_BOND (its `encryption` tells the level): use requestSecurity() to take both.
   */
  pair(signal?: AbortSignal): Promise<PairingResult> {
    if (this.link.role === 'peripheral') {
      return this.#requestSecurity(signal, true).then((o) => {
        if (o.type === 'paired') return o.result;
        throw new SmpSecurityError('ENCRYPTED_WITH_BOND', 'the central encrypted the link with its bond instead of pairing', { encryption: o.encryption });
      });
    }
    this.#assertOpen();
    signal?.throwIfAborted();
    const actions = this.core.start(this.#now()); // throws first if this link can no longer pair
    const p = this.#waitResult(signal);
    this.#run(actions);
    return p;
  }

  /**
   * Peripheral: send a Security Request (2.4.6) with our auth requirements and settle with the
   * central's answer, which is either a pairing ({ type: 'paired' }) or encryption with the
   * bond it holds ({ type: 'encrypted', encryption }: level, SC, MITM, key size).
   *
   * A bond must meet what we require of a pairing: MITM when mitmRequired, SC when scOnly, at
   * least minKeySize. Below that it rejects with SmpSecurityError INSUFFICIENT_SECURITY (with
   * `missing`). We do not send a second Security Request: the central has seen our requirements
   * and chose its bond, so asking again would get the same answer. The link stays connected and
   * encrypted at the bond's level (the 'encrypt' event says which); what next is the app's call
   * (disconnect, or request again: a central that can pair may now do so; ours pairs when the
   * link lacks the MITM protection the request asks for).
   * Other rejections: SmpError (the pairing failed, or Pairing Failed as the answer),
   * SmpSecurityError ENCRYPTION_FAILED (no matching key, MIC failure), SmpUsageError SMP_TIMEOUT
   * (no answer within the SMP timeout, 30 s), CLOSED (link gone), or the signal's reason.
   * A link already encrypted at a level that meets our requirements resolves at once, with
   * nothing sent ({ type: 'encrypted' }, `fromBond` telling how it got there).
   */
  requestSecurity(signal?: AbortSignal): Promise<SecurityOutcome> {
    return this.#requestSecurity(signal, false);
  }

  #requestSecurity(signal: AbortSignal | undefined, always: boolean): Promise<SecurityOutcome> {
    this.#assertOpen();
    if (this.link.role !== 'peripheral') throw new SmpUsageError('NOT_PERIPHERAL', 'only the peripheral sends a Security Request');
    signal?.throwIfAborted();
    const level = this.link.encrypted ? this.#level : undefined;
    if (!always && level && !this.core.pairing && this.#shortfall(level).length === 0) return Promise.resolve({ type: 'encrypted', encryption: level });
    const actions = this.core.start(this.#now()); // throws if pairing or timed out on this link
    const p = new Promise<SecurityOutcome>((resolve, reject) => {
      const onAbort = () => {
        this.#requests = this.#requests.filter((w) => w !== entry);
        if (this.core.pairing) this.cancel(R.UNSPECIFIED_REASON);
        else if (this.#requests.length === 0) this.#run(this.core.cancel(R.UNSPECIFIED_REASON, this.#now()));
        reject(signal!.reason);
      };
      const entry: Waiter<SecurityOutcome> = {
        resolve: (o) => (signal?.removeEventListener('abort', onAbort), resolve(o)),
        reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#requests.push(entry);
    });
    this.#run(actions);
    return p;
  }

  /** Central: encrypt the link with the stored bond. Resolves with the level reached. */
  async encrypt(signal?: AbortSignal): Promise<EncryptInfo> {
    this.#assertOpen();
    if (this.link.role !== 'central') throw new SmpUsageError('NOT_CENTRAL', 'only the central starts encryption');
    const bond = this.peerBond();
    if (!bond?.ltk) throw new SmpUsageError('NO_BOND', `no bond with ${this.link.info.peerAddress}`);
    const info = infoFromBond(bond);
    this.#level = info;
    const rand = bond.secureConnections ? ZERO8 : bond.rand ?? ZERO8;
    await this.link.startEncryption(reverse(bond.ltk), bond.secureConnections ? 0 : bond.ediv ?? 0, reverse(rand), signal);
    return info;
  }

  /** Answer a passkey request (0..999999). */
  passkey(passkey: number): void {
    this.#run(this.core.passkeyEntered(passkey, this.#now()));
  }

  /** Answer a numeric comparison. */
  confirm(accepted: boolean): void {
    this.#run(this.core.confirmNumericComparison(accepted, this.#now()));
  }

  sendKeypress(notification: KeypressTypeValue): void {
    this.#run(this.core.sendKeypress(notification, this.#now()));
  }

  /** Stop a running pairing with a reason (default UNSPECIFIED_REASON). */
  cancel(reason: number = R.UNSPECIFIED_REASON): void {
    this.#run(this.core.cancel(reason, this.#now()));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#unsubscribe();
    this.#rejectAll(new SmpUsageError('CLOSED', 'security manager closed (link gone)'));
  }

  // ---- internals ----

  /** Ends every waiting pair() and requestSecurity() call with `err`. */
  #rejectAll(err: Error): void {
    for (const p of [...this.#pending.splice(0), ...this.#requests.splice(0)]) p.reject(err);
  }

  #assertOpen(): void {
    if (this.#closed) throw new SmpUsageError('CLOSED', 'security manager is closed');
  }

  #waitResult(signal?: AbortSignal): Promise<PairingResult> {
    return new Promise<PairingResult>((resolve, reject) => {
      const entry = {
        resolve: (r: PairingResult) => (signal?.removeEventListener('abort', onAbort), resolve(r)),
        reject: (e: Error) => (signal?.removeEventListener('abort', onAbort), reject(e)),
      };
      const onAbort = () => {
        this.#pending = this.#pending.filter((p) => p !== entry);
        if (this.core.pairing) this.cancel(R.UNSPECIFIED_REASON);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.push(entry);
    });
  }

  #run(actions: SmpAction[]): void {
    for (const a of actions) this.#act(a);
    this.#schedule();
  }

  #schedule(): void {
    const d = this.#closed ? undefined : this.core.deadline;
    if (d === undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    // Deadlines only move later, so a running timer fires early at worst: tick() checks the
    // real deadline and we schedule again. One timer per 30 s instead of one per PDU.
    if (this.#timer) return;
    // Not unref'd: a running pairing keeps the process up until it ends or times out.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run(this.core.tick(this.#now()));
    }, Math.max(0, d - this.#now()) + 1);
  }

  #send(pdu: Uint8Array): void {
    this.#lastSend = this.link.sendFixed(SMP_CID, pdu).catch((e: Error) => debug('SMP send failed: %s', e.message));
  }

  #act(a: SmpAction): void {
    switch (a.type) {
      case 'send':
        this.#send(a.pdu);
        return;
      case 'pairingRequest': {
        // Without manualAccept the core has already answered: accept() is then a no-op.
        const decision = {
          accept: () => {
            if (this.core.state === 'awaitingAccept') this.#run(this.core.acceptPairingRequest(this.#now()));
          },
          reject: (reason: number = R.PAIRING_NOT_SUPPORTED) => this.cancel(reason),
        };
        this.emit('pairingRequest', a.features, decision);
        return;
      }
      case 'securityRequest':
        this.emit('securityRequest', a.authReq);
        if (this.#o.autoSecurityRequest !== false) void this.#answerSecurityRequest(a.authReq);
        return;
      case 'pairingStarted':
        debug('pairing: %s (%s)', a.choice.model, a.choice.secureConnections ? 'SC' : 'legacy');
        return;
      case 'displayPasskey':
        this.#exchange({ model: 'PasskeyEntry', passkey: a.passkey, input: false, respond: () => {} }, false);
        return;
      case 'passkeyRequest':
        this.#exchange({ model: 'PasskeyEntry', input: true, respond: (v) => this.passkey(Number(v)) }, true, R.PASSKEY_ENTRY_FAILED);
        return;
      case 'numericComparison':
        this.#exchange({ model: 'NumericComparison', passkey: a.value, input: false, respond: (v) => this.confirm(v === true) }, true, R.NUMERIC_COMPARISON_FAILED);
        return;
      case 'keypress':
        this.emit('keypress', a.notification);
        return;
      case 'startEncryption':
        this.#pairingKeyInUse = true;
        this.link.startEncryption(reverse(a.ltk), a.ediv, reverse(a.rand)).catch((e: Error) => {
          debug('encryption with the pairing key failed: %s', e.message);
          this.#run(this.core.encryptionChanged(false, this.#now()));
        });
        return;
      case 'encryptionKey':
        // The central's LTK Request (EDIV 0, Rand 0) will be answered with this key.
        this.#pairingKeyInUse = true;
        this.#pendingKey = a.ltk;
        return;
      case 'complete':
        this.#complete(a.result);
        return;
      case 'failed':
        debug('pairing failed: %s%s', a.error.message, a.remote ? ' (peer)' : '');
        this.#pendingKey = undefined;
        this.emit('pairingFailed', a.error);
        this.#rejectAll(a.error);
        return;
      case 'timeout':
        this.emit('timeout');
        this.#rejectAll(new SmpUsageError('SMP_TIMEOUT', 'SMP timed out (30 s)'));
        return;
    }
  }

  /** A user interaction; with nobody listening an input cannot happen, so the pairing fails. */
  #exchange(x: PasskeyExchange, needsAnswer: boolean, failReason?: number): void {
    if (this.listenerCount('passkeyExchange') === 0 && needsAnswer) {
      this.cancel(failReason);
      return;
    }
    this.emit('passkeyExchange', x);
  }

  #complete(result: PairingResult): void {
    this.#lastResult = result;
    let bond: BleBond | undefined;
    if (result.bonded && this.#o.bonds) {
      try {
        bond = this.#storeBond(result);
      } catch (e) {
        debug('bond not stored: %s', (e as Error).message);
      }
    }
    this.emit('pairingComplete', result, bond);
    // pair() resolves once our last key has left the host, so a caller that disconnects right
    // away does not cut the peer's key distribution short.
    const pending = this.#pending.splice(0);
    const requests = this.#requests.splice(0);
    void this.#lastSend.then(() => {
      for (const p of pending) p.resolve(result);
      for (const r of requests) r.resolve({ type: 'paired', result });
    });
  }

  #storeBond(r: PairingResult): BleBond {
    const id = r.peerKeys.identityAddress ?? leAddress(this.link.info.peerAddress, this.link.info.peerAddressType);
    const bond: Omit<BleBond, 'createdAt'> = {
      address: id.address,
      addressType: id.type,
      irk: r.peerKeys.irk && !isAllZero(r.peerKeys.irk) ? r.peerKeys.irk : undefined,
      ltk: r.secureConnections ? r.ltk : r.peerKeys.ltk,
      ediv: r.secureConnections ? 0 : r.peerKeys.ediv,
      rand: r.secureConnections ? ZERO8 : r.peerKeys.rand,
      localLtk: r.secureConnections ? undefined : r.localKeys.ltk,
      localEdiv: r.secureConnections ? undefined : r.localKeys.ediv,
      localRand: r.secureConnections ? undefined : r.localKeys.rand,
      csrk: r.peerKeys.csrk,
      linkKey: r.linkKey,
      keySize: r.keySize,
      authenticated: r.authenticated,
      secureConnections: r.secureConnections,
    };
    this.#o.bonds!.saveBond(bond);
    return { ...bond, createdAt: this.#now() };
  }

  #onEncryption(encrypted: boolean): void {
    if (encrypted) {
      if (this.#pairingKeyInUse) {
        const choice = this.core.model;
        const keySize = this.core.keySize;
        const authenticated = choice?.authenticated ?? false;
        const sc = choice?.secureConnections ?? false;
        this.#level = { securityLevel: authenticated ? (sc && keySize === 16 ? 4 : 3) : 2, keySize, authenticated, secureConnections: sc, fromBond: false };
      } else if (!this.#level) {
        const bond = this.peerBond();
        if (bond) this.#level = infoFromBond(bond);
      }
      if (this.#level) this.emit('encrypt', this.#level);
      if (!this.#pairingKeyInUse && this.#level?.fromBond) this.#settleRequests(this.#level);
    } else if (!this.#pairingKeyInUse) {
      this.#encryptionFailed(undefined, 'the link did not get encrypted');
    }
    this.#pairingKeyInUse = false;
    // Key distribution starts once the link is encrypted with the new key.
    if (this.core.state === 'encrypting') this.#run(this.core.encryptionChanged(encrypted, this.#now()));
  }

  async #onLtkRequest(rand: Uint8Array, ediv: number): Promise<void> {
    try {
      const zero = ediv === 0 && isAllZero(rand);
      if (zero && this.#pendingKey) {
        const key = this.#pendingKey;
        this.#pendingKey = undefined;
        await this.link.ltkReply(reverse(key));
        return;
      }
      const bond = this.peerBond();
      if (bond) {
        if (bond.secureConnections && zero && bond.ltk) {
          this.#level = infoFromBond(bond);
          await this.link.ltkReply(reverse(bond.ltk));
          return;
        }
        // Legacy: the central names the LTK we gave it by EDIV and Rand (Rand arrives LSB first).
        if (!bond.secureConnections && bond.localLtk && bond.localEdiv === ediv && bond.localRand && constantTimeEqual(reverse(rand), bond.localRand)) {
          this.#level = infoFromBond(bond);
          await this.link.ltkReply(reverse(bond.localLtk));
          return;
        }
      }
      // No key for this central: its encryption fails (the controller tells only the central).
      await this.link.ltkNegativeReply();
      this.#encryptionFailed(0x06, 'the central asked for a key we do not hold (no bond, or a different one)');
    } catch (e) {
      debug('LTK request: %s', (e as Error).message);
    }
  }

  /** Peripheral: the link got encrypted with a bond; settle requestSecurity() calls. */
  #settleRequests(info: EncryptInfo): void {
    if (this.#requests.length === 0 || this.core.pairing) return;
    this.#run(this.core.encryptionChanged(true, this.#now())); // the answer: the SMP timer stops
    const requests = this.#requests.splice(0);
    const missing = this.#shortfall(info);
    if (missing.length === 0) {
      for (const r of requests) r.resolve({ type: 'encrypted', encryption: info });
      return;
    }
    debug('encrypted with a bond below our requirements: lacks %s', missing.join(', '));
    const err = new SmpSecurityError('INSUFFICIENT_SECURITY', `the central encrypted with a bond that lacks ${missing.join(', ')}`, { encryption: info, missing });
    for (const r of requests) r.reject(err);
  }

  /** Peripheral: the central's encryption with a bond failed; settle requestSecurity() calls. */
  #encryptionFailed(status: number | undefined, why: string): void {
    if (this.#requests.length === 0 || this.core.pairing) return;
    this.#run(this.core.encryptionChanged(false, this.#now()));
    const err = new SmpSecurityError('ENCRYPTION_FAILED', `encryption with the bond failed: ${why}`, { status });
    for (const r of this.#requests.splice(0)) r.reject(err);
  }

  /** What an encryption lacks against the rules a pairing of ours is held to. */
  #shortfall(info: EncryptInfo): SecurityShortfall[] {
    const o = this.#o;
    const missing: SecurityShortfall[] = [];
    if (o.mitmRequired && !info.authenticated) missing.push('mitm');
    if (o.scOnly && !info.secureConnections) missing.push('secureConnections');
    if (info.keySize < (o.minKeySize ?? 7)) missing.push('keySize');
    return missing;
  }

  /** Central (2.4.6): encrypt with a bond that meets the request, else pair. */
  async #answerSecurityRequest(authReq: number): Promise<void> {
    const bond = this.peerBond();
    const wantsMitm = (authReq & AuthReq.MITM) !== 0;
    const wantsSc = (authReq & AuthReq.SC) !== 0 && this.#o.secureConnections !== false;
    try {
      if (bond?.ltk && (!wantsMitm || bond.authenticated) && (!wantsSc || bond.secureConnections)) {
        await this.encrypt();
        return;
      }
      // Already encrypted well enough: nothing to do. Else a repeated request means the peripheral
      // wants more than this link has: pair (SC and MITM are judged as for a bond above).
      const level = this.#level;
      if (this.link.encrypted && level && (!wantsMitm || level.authenticated) && (!wantsSc || level.secureConnections)) return;
      await this.pair();
    } catch (e) {
      debug('answer to Security Request: %s', (e as Error).message);
    }
  }
}

function infoFromBond(bond: BleBond): EncryptInfo {
  const level = bond.authenticated ? (bond.secureConnections && bond.keySize === 16 ? 4 : 3) : 2;
  return { securityLevel: level, keySize: bond.keySize, authenticated: bond.authenticated, secureConnections: bond.secureConnections, fromBond: true };
}
