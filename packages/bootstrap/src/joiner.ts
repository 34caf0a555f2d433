// The joiner of the BLE handover: scans for the pairkit service, connects to the chosen
// initiator, pairs over SMP, opens the sealed handover, then runs the network pairing joiner
// with the handed-over code, dialing the initiator's addresses directly.
import createDebug from 'debug';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { PairingService, type PairedOutcome } from '@pairkit/net';
import { PairingCode } from '@pairkit/pairing';
import { BondingStore } from './bond-store.js';
import type { LeAddress } from './context.js';
import { BootstrapError } from './errors.js';
import { openHandover } from './handover.js';
import { HANDOVER_PSM, HANDOVER_READY, PAIRKIT_SERVICE_UUID, type BleLink, type BleOob, type NearbyInitiator } from './ports.js';
import { HandoverFlow, type HandoverFlowOptions } from './flow.js';
import { asBootstrapError, runStage } from './stages.js';

const log = createDebug('pairkit:bootstrap:joiner');

/** Picks one initiator from those seen so far; undefined means "keep scanning". */
export type ChooseInitiator = (seen: NearbyInitiator[], signal: AbortSignal) => Promise<NearbyInitiator | undefined> | NearbyInitiator | undefined;

export interface BleHandoverJoinerOptions extends HandoverFlowOptions {
  /**
   * Which initiator to connect to, asked each time a new one is seen. Default: the first one
   * seen. Ignored when `target` is given.
   */
  choose?: ChooseInitiator;
  /** Wait this long after the first initiator is seen before asking `choose` (default 0). */
  settleMs?: number;
  /** Connect to this address without scanning (e.g. the address in the peer's OOB data). */
  target?: LeAddress;
  /** LE SC OOB with the peer's r and C instead of Numeric Comparison. */
  oob?: BleOob;
}

export class BleHandoverJoiner extends HandoverFlow {
  readonly #o: BleHandoverJoinerOptions;

  constructor(opts: BleHandoverJoinerOptions) {
    super('scanning', opts.timeouts, log);
    this.#o = opts;
  }

  async run(): Promise<PairedOutcome> {
    this.begin();
    const o = this.#o;
    const now = o.now ?? Date.now;
    const store = new BondingStore(o.registry);
    const service = new PairingService({ node: o.node, registry: store });
    const signal = AbortSignal.any([this.closer.signal, ...(o.signal ? [o.signal] : [])]);
    let link: BleLink | undefined;
    try {
      await service.start();
      let t = now();
      let target = o.target;
      if (!target) {
        this.current = 'scanning';
        this.emit('scanning', { serviceUuid: PAIRKIT_SERVICE_UUID });
        target = (await runStage('scanning', this.timeouts.scan, signal, undefined, (s) => this.#scan(s))).address;
        this.emit('timing', { stage: 'scan', ms: now() - t });
      }
      t = now();
      const to = target;
      link = await runStage('connecting', this.timeouts.connect, signal, undefined, (s) => o.radio.connect(to, s));
      const l = link;
      this.current = 'connected';
      this.emit('connected', { address: l.peer.address, addressType: l.peer.type });
      this.emit('timing', { stage: 'connect', ms: now() - t });

      const ble = await this.pairBle(l, signal, { oob: o.oob, confirm: o.confirm, now });

      t = now();
      const payload = await runStage('handover', this.timeouts.handover, signal, l.closed, async (s) => {
        const ch = await l.openChannel(HANDOVER_PSM, s);
        try {
          await ch.send(Uint8Array.of(HANDOVER_READY), s);
          const sealed = await ch.receive(s);
          return openHandover({ ltk: ble.ltk, initiator: l.peer, joiner: l.local, psm: HANDOVER_PSM }, sealed, { now: now() });
        } finally {
          await ch.close().catch(() => {});
        }
      });
      this.current = 'handover';
      this.emit('handover', { peerId: payload.peerId, addresses: payload.multiaddrs.length });
      this.emit('timing', { stage: 'handover', ms: now() - t });

      t = now();
      store.attach(ble.bond, payload.peerId);
      const words = PairingCode.fromEntropy(payload.codeSecret).toString();
      payload.codeSecret.fill(0);
      const peer = { id: peerIdFromString(payload.peerId), multiaddrs: payload.multiaddrs.map((a) => multiaddr(a)) };
      const outcome = await runStage('network pairing', this.timeouts.network, signal, undefined, (s) =>
        service.join(words, { peers: [peer], mdns: false, dht: false, signal: s, timeoutMs: this.timeouts.network }).catch((err) => {
          throw asBootstrapError(err, 'NETWORK_FAILED', 'network pairing failed');
        }),
      );
      if (!store.saved || store.saved.peerId !== payload.peerId) {
        throw new BootstrapError('NETWORK_FAILED', 'the network pairing completed with a peer other than the one handed over');
      }
      this.emit('timing', { stage: 'network', ms: now() - t });
      return this.paired(o.registry, outcome);
    } catch (err) {
      throw this.failed(err);
    } finally {
      store.detach();
      await service.close().catch(() => {});
      await link?.disconnect().catch(() => {});
    }
  }

  /**
   * Scans until `choose` picks one of the initiators seen so far. `choose` is first asked
   * `settleMs` after the first sighting (so that a second initiator nearby is noticed), then
   * again on every new sighting.
   */
  async #scan(signal: AbortSignal): Promise<NearbyInitiator> {
    const seen: NearbyInitiator[] = [];
    const choose = this.#o.choose ?? ((list: NearbyInitiator[]) => list[0]);
    const settleMs = this.#o.settleMs ?? 0;
    const it = this.#o.radio.scan({ serviceUuid: PAIRKIT_SERVICE_UUID, signal })[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<NearbyInitiator>> | undefined;
    let settleAt: number | undefined;
    let settled = false;
    try {
      for (;;) {
        pending ??= it.next();
        const wait = settleAt === undefined || settled ? undefined : Math.max(0, settleAt - Date.now());
        let timer: NodeJS.Timeout | undefined;
        const next = await (wait === undefined
          ? pending
          : Promise.race([pending, new Promise<'settled'>((r) => (timer = setTimeout(() => r('settled'), wait)))]));
        clearTimeout(timer);
        if (next !== 'settled') {
          pending = undefined;
          if (next.done === true) break;
          seen.push(next.value);
          this.emit('nearby', { address: next.value.address.address, name: next.value.name, rssi: next.value.rssi });
          if (!settled) {
            settleAt ??= Date.now() + settleMs;
            if (Date.now() < settleAt) continue;
          }
        }
        settled = true;
        const pick = await choose([...seen], signal);
        if (pick) return pick;
      }
    } finally {
      // Not awaited: a next() may still be pending; the stage's signal ends the scan for good.
      void it.return?.()?.catch(() => {});
    }
    throw new BootstrapError('NO_INITIATOR', 'no pairkit initiator chosen');
  }
}
