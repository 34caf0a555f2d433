// BleRadio on @pairkit/hci (HciHost) and @pairkit/smp (SecurityManager): a thin adapter.
// SMP results are captured, not stored: the flows store the bond together with the network
// identity (see bond-store.ts), so a BLE bond is never written on its own.
import createDebug from 'debug';
import { HciHost, openTransport, type HciConnection, type HciTransport, type L2capChannel } from '@pairkit/hci';
import {
  IoCapability,
  SecurityManager,
  SMP_CID,
  isAllZero,
  type BondStore,
  type IoCapabilityValue,
  type SmpLink,
  type SmpRegistry,
} from '@pairkit/smp';
import type { BleBond } from '@pairkit/registry';
import type { LeAddress } from './context.js';
import { BootstrapError } from './errors.js';
import {
  HANDOVER_PSM,
  type BleChannel,
  type BleLink,
  type BlePairOptions,
  type BlePairResult,
  type BleRadio,
  type NearbyInitiator,
} from './ports.js';

const log = createDebug('pairkit:bootstrap:radio');

/** What the radio needs from the registry: our BLE identity keys, read-only bond lookups. */
export type RadioRegistry = SmpRegistry;

export interface HciRadioOptions {
  registry: RadioRegistry;
  /** Default DisplayYesNo (Numeric Comparison with another DisplayYesNo device). */
  ioCapability?: IoCapabilityValue;
  /** PSMs to accept LE credit-based channels on (encrypted links only). Default: the handover PSM. */
  psms?: number[];
}

const addrOf = (address: string, hciType: number): LeAddress => ({ address, type: hciType === 0 || hciType === 2 ? 'public' : 'random' });

export class HciBleRadio implements BleRadio {
  readonly host: HciHost;
  readonly #o: HciRadioOptions;
  readonly #links = new Map<HciConnection, HciBleLink>();
  readonly #unlisten: (() => void)[] = [];
  #closed = false;
  readonly #onConnection: (conn: HciConnection) => void;

  constructor(host: HciHost, opts: HciRadioOptions) {
    this.host = host;
    this.#o = opts;
    // Take the SMP channel at once: a peer may send its Pairing Request in the same tick.
    this.#onConnection = (conn: HciConnection) => void this.#linkOf(conn);
    host.on('connection', this.#onConnection);
    for (const psm of opts.psms ?? [HANDOVER_PSM]) {
      this.#unlisten.push(host.listen(psm, (ch, conn) => this.#linkOf(conn).offerChannel(psm, ch), { requireEncryption: true }));
    }
  }

  /** Opens the controller at `uri` (e.g. `tcp:127.0.0.1:9300`, `sim`) and initialises it with our identity address. */
  static async open(uri: string | HciTransport, opts: HciRadioOptions & { signal?: AbortSignal }): Promise<HciBleRadio> {
    const transport = typeof uri === 'string' ? await openTransport(uri, { signal: opts.signal }) : uri;
    const host = new HciHost(transport, { address: opts.registry.identity().bleIdentityAddress });
    try {
      await host.init(opts.signal);
    } catch (err) {
      await host.close().catch(() => {});
      throw err;
    }
    return new HciBleRadio(host, opts);
  }

  get address(): LeAddress {
    return { address: this.host.address, type: 'random' };
  }

  async advertise(opts: { serviceUuid: string; name: string; signal: AbortSignal; onAdvertising?: () => void }): Promise<BleLink> {
    this.#check();
    const accepted = this.host.accept({ signal: opts.signal });
    accepted.catch(() => {});
    await this.host.startAdvertising({
      data: { flags: 0x06, serviceUuids: [opts.serviceUuid], shortenedLocalName: truncateUtf8(opts.name, 8) },
      scanResponse: { completeLocalName: truncateUtf8(opts.name, 29) },
    });
    opts.onAdvertising?.();
    try {
      const conn = await accepted;
      return this.#linkOf(conn);
    } finally {
      // The controller stops advertising on connection; this covers abort and errors.
      if (!this.host.isClosed) await this.host.stopAdvertising().catch(() => {});
    }
  }

  async *scan(opts: { serviceUuid: string; signal: AbortSignal }): AsyncIterable<NearbyInitiator> {
    this.#check();
    const want = opts.serviceUuid.toLowerCase();
    const seen = new Set<string>();
    // hci's scan queues the reports and stops scanning at the end; we keep each advertiser of the service once.
    for await (const r of this.host.scan({ active: true, signal: opts.signal })) {
      if (!r.ad || !r.ad.serviceUuids.some((u) => u.toLowerCase() === want) || seen.has(r.address)) continue;
      seen.add(r.address);
      yield { address: addrOf(r.address, r.addressType), name: r.ad.completeLocalName ?? r.ad.shortenedLocalName ?? '', rssi: r.rssi };
    }
  }

  async connect(address: LeAddress, signal: AbortSignal): Promise<BleLink> {
    this.#check();
    const conn = await this.host.connect(address.address, { addressType: address.type === 'public' ? 0 : 1, signal, timeoutMs: 30_000 });
    return this.#linkOf(conn);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const u of this.#unlisten) u();
    this.host.off('connection', this.#onConnection);
    await this.host.close();
  }

  #check(): void {
    if (this.#closed) throw new BootstrapError('CLOSED', 'radio is closed');
  }

  #linkOf(conn: HciConnection): HciBleLink {
    let link = this.#links.get(conn);
    if (!link) {
      link = new HciBleLink(conn, this.#o);
      this.#links.set(conn, link);
      const l = link;
      void l.closed.then(() => this.#links.delete(conn));
    }
    return link;
  }
}

/** One HciConnection as a BleLink. SMP PDUs that arrive before pair() are kept for it. */
export class HciBleLink implements BleLink {
  readonly conn: HciConnection;
  readonly closed: Promise<number>;
  readonly #o: HciRadioOptions;
  readonly #early: Buffer[] = [];
  #smpHandler: ((pdu: Buffer) => void) | undefined;
  readonly #channels = new Map<number, L2capChannel[]>();
  readonly #channelWaiters = new Map<number, ((ch: L2capChannel) => void)[]>();
  #paired = false;

  constructor(conn: HciConnection, opts: HciRadioOptions) {
    this.conn = conn;
    this.#o = opts;
    this.closed = conn.connected ? new Promise((r) => conn.once('disconnect', r)) : Promise.resolve(0x08);
    conn.setFixedChannelHandler(SMP_CID, (pdu) => (this.#smpHandler ? this.#smpHandler(pdu) : this.#early.push(pdu)));
  }

  get role(): 'central' | 'peripheral' {
    return this.conn.role;
  }

  get local(): LeAddress {
    return addrOf(this.conn.info.localAddress, this.conn.info.localAddressType);
  }

  get peer(): LeAddress {
    return addrOf(this.conn.info.peerAddress, this.conn.info.peerAddressType);
  }

  async pair(opts: BlePairOptions): Promise<BlePairResult> {
    if (this.#paired) throw new BootstrapError('INVALID_INPUT', 'pair() runs once per link');
    this.#paired = true;
    const capture = new CapturingBonds(this.#o.registry);
    const id = this.#o.registry.identity();
    const sm = new SecurityManager(this.#smpLink(), {
      ioCapability: this.#o.ioCapability ?? IoCapability.DisplayYesNo,
      bonding: true,
      mitm: true,
      mitmRequired: true,
      secureConnections: true,
      scOnly: true,
      bonds: capture,
      localKeys: {
        irk: isAllZero(id.bleIrk) ? undefined : id.bleIrk,
        csrk: isAllZero(id.bleCsrk) ? undefined : id.bleCsrk,
        identityAddress: { type: 'random', address: id.bleIdentityAddress },
      },
      oob: opts.oob as ConstructorParameters<typeof SecurityManager>[1]['oob'],
    });
    sm.on('passkeyExchange', (x) => {
      if (x.model !== 'NumericComparison' || x.passkey === undefined) {
        if (x.input) x.respond(false);
        return;
      }
      // The pairing may have ended meanwhile (timeout, peer gave up): then the answer is moot.
      const answer = (ok: boolean): void => {
        try {
          x.respond(ok);
        } catch (err) {
          log('comparison answer not taken: %s', (err as Error).message);
        }
      };
      opts.confirm(x.passkey, opts.signal).then(
        (ok) => answer(ok === true),
        () => answer(false),
      );
    });
    try {
      const result = await (this.role === 'central' ? sm.pair(opts.signal) : waitPeripheral(sm, opts.signal));
      const bond = capture.bond;
      if (!bond) throw new BootstrapError('BLE_PAIRING_FAILED', 'SMP finished without a bond');
      log('SMP done: %s, level %d', result.model, result.securityLevel);
      return { ltk: result.ltk, model: result.model, authenticated: result.authenticated, bond };
    } catch (err) {
      if (err instanceof BootstrapError) throw err;
      const e = err as { code?: unknown; reason?: unknown; message?: string; detail?: unknown };
      // SmpError carries the spec's reason name as its code (e.g. CONFIRM_VALUE_FAILED).
      const name = typeof e?.code === 'string' ? e.code : 'SMP_FAILED';
      if (name === 'CLOSED' && !this.conn.connected) throw new BootstrapError('LINK_LOST', 'the BLE link went down during SMP pairing', { cause: err });
      if (name === 'CONFIRM_VALUE_FAILED') throw new BootstrapError('CONFIRM_VALUE_FAILED', `SMP pairing failed: ${e?.message ?? name}`, { cause: err });
      if (name === 'NUMERIC_COMPARISON_FAILED') {
        // SmpError's detail says REMOTE when the peer sent the Pairing Failed.
        const who = e?.detail === 'REMOTE' ? 'the other device rejected the numeric comparison' : 'the numeric comparison was rejected';
        throw new BootstrapError('COMPARISON_REJECTED', `${who}: ${e?.message ?? name}`, { cause: err });
      }
      throw new BootstrapError('BLE_PAIRING_FAILED', `SMP pairing failed: ${name}: ${e?.message ?? String(err)}`, { cause: err });
    } finally {
      // The link stays encrypted; the SecurityManager is not needed after pairing.
      sm.close();
    }
  }

  async openChannel(psm: number, signal: AbortSignal): Promise<BleChannel> {
    const ch = await this.conn.openChannel(psm, { signal, timeoutMs: 10_000 });
    return new HciBleChannel(ch);
  }

  acceptChannel(psm: number, signal: AbortSignal): Promise<BleChannel> {
    const ready = this.#channels.get(psm)?.shift();
    if (ready) return Promise.resolve(new HciBleChannel(ready));
    return new Promise((resolve, reject) => {
      const waiter = (ch: L2capChannel): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(new HciBleChannel(ch));
      };
      const onAbort = (): void => {
        const list = this.#channelWaiters.get(psm) ?? [];
        const i = list.indexOf(waiter);
        if (i >= 0) list.splice(i, 1);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const list = this.#channelWaiters.get(psm) ?? [];
      list.push(waiter);
      this.#channelWaiters.set(psm, list);
    });
  }

  /** Called by the radio when the peer opened a channel to one of our PSMs. */
  offerChannel(psm: number, ch: L2capChannel): void {
    const w = this.#channelWaiters.get(psm)?.shift();
    if (w) return w(ch);
    const list = this.#channels.get(psm) ?? [];
    list.push(ch);
    this.#channels.set(psm, list);
  }

  async disconnect(): Promise<void> {
    if (this.conn.connected) await this.conn.disconnect();
  }

  /** The connection as SMP sees it, with the SMP channel handler routed through our early buffer. */
  #smpLink(): SmpLink {
    const conn = this.conn;
    const self = this;
    return {
      get role() {
        return conn.role;
      },
      get info() {
        return conn.info;
      },
      get encrypted() {
        return conn.encrypted;
      },
      get connected() {
        return conn.connected;
      },
      setFixedChannelHandler(cid: number, handler: (payload: Buffer) => void): () => void {
        if (cid !== SMP_CID) return conn.setFixedChannelHandler(cid, handler);
        self.#smpHandler = handler;
        for (const pdu of self.#early.splice(0)) handler(pdu);
        return () => {
          if (self.#smpHandler === handler) self.#smpHandler = undefined;
        };
      },
      sendFixed: (cid, payload) => conn.sendFixed(cid, payload),
      startEncryption: (ltk, ediv, rand, signal) => conn.startEncryption(ltk, ediv, rand, signal),
      ltkReply: (ltk) => conn.ltkReply(ltk),
      ltkNegativeReply: () => conn.ltkNegativeReply(),
      on: ((event: string, listener: (...a: never[]) => void) => conn.on(event as 'disconnect', listener as () => void)) as SmpLink['on'],
      off: ((event: string, listener: (...a: never[]) => void) => conn.off(event as 'disconnect', listener as () => void)) as SmpLink['off'],
    };
  }
}

function waitPeripheral(sm: SecurityManager, signal: AbortSignal): Promise<import('@pairkit/smp').PairingResult> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      sm.off('pairingComplete', onOk);
      sm.off('pairingFailed', onFail);
      sm.off('timeout', onTimeout);
      signal.removeEventListener('abort', onAbort);
    };
    const onOk = (r: import('@pairkit/smp').PairingResult): void => (done(), resolve(r));
    const onFail = (e: Error): void => (done(), reject(e));
    const onTimeout = (): void => (done(), reject(new BootstrapError('TIMEOUT', 'SMP timed out (30 s)')));
    const onAbort = (): void => {
      done();
      if (sm.core.pairing) sm.cancel();
      reject(signal.reason);
    };
    sm.on('pairingComplete', onOk);
    sm.on('pairingFailed', onFail);
    sm.on('timeout', onTimeout);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reads bonds from the registry but keeps a new bond in memory instead of writing it. */
class CapturingBonds implements BondStore {
  bond: Omit<BleBond, 'createdAt'> | undefined;
  constructor(readonly inner: BondStore) {}
  saveBond(bond: Omit<BleBond, 'createdAt'>): unknown {
    this.bond = bond;
    return bond;
  }
  getBond(address: string): BleBond | undefined {
    return this.inner.getBond(address);
  }
  listBonds(): BleBond[] {
    return this.inner.listBonds();
  }
  removeBond(): boolean {
    return false;
  }
  bondsWithIrk(): (BleBond & { irk: Uint8Array })[] {
    return this.inner.bondsWithIrk();
  }
}

class HciBleChannel implements BleChannel {
  constructor(readonly ch: L2capChannel) {}
  async send(sdu: Uint8Array, signal: AbortSignal): Promise<void> {
    await this.ch.write(sdu, signal);
  }
  async receive(signal: AbortSignal): Promise<Uint8Array> {
    const sdu = await this.ch.read(signal);
    if (sdu === null) throw new BootstrapError('LINK_LOST', 'the L2CAP channel closed before the handover arrived');
    return new Uint8Array(sdu);
  }
  async close(): Promise<void> {
    await this.ch.close();
  }
}

function truncateUtf8(s: string, maxBytes: number): string {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > maxBytes) break;
    out += ch;
  }
  return out;
}
