// The initiator of the BLE handover: starts a network pairing session, advertises the pairkit
// service, pairs over SMP with the joiner that connects, hands the session over on an LE
// credit-based channel, and waits for the joiner's network pairing.
import createDebug from 'debug';
import { PairingService, type DeviceStore, type PairedOutcome, type PairkitLibp2p } from '@pairkit/net';
import { PairingCode } from '@pairkit/pairing';
import { BondingStore } from './bond-store.js';
import { BootstrapError } from './errors.js';
import { sealHandover } from './handover.js';
import { HANDOVER_PSM, HANDOVER_READY, PAIRKIT_SERVICE_UUID, type BleLink, type BleOob, type BleRadio } from './ports.js';
import { HandoverFlow } from './flow.js';
import { asBootstrapError, runStage, type StageTimeouts } from './stages.js';

const log = createDebug('pairkit:bootstrap:initiator');

export interface BleHandoverInitiatorOptions {
  radio: BleRadio;
  /** A started libp2p node running with the registry's identity. */
  node: PairkitLibp2p;
  registry: DeviceStore;
  /** Advertised device name (default: the registry's device name). */
  name?: string;
  /** Numeric Comparison: resolve true when the user confirms the value. */
  confirm: (value: string, signal: AbortSignal) => Promise<boolean>;
  /** Pair with LE SC OOB (our data, printed earlier) instead of Numeric Comparison. */
  oob?: BleOob;
  /** Lifetime of the network pairing code (default 5 minutes). */
  ttlMs?: number;
  timeouts?: Partial<StageTimeouts>;
  signal?: AbortSignal;
  now?: () => number;
}

export class BleHandoverInitiator extends HandoverFlow {
  readonly #o: BleHandoverInitiatorOptions;
  #link: BleLink | undefined;

  constructor(opts: BleHandoverInitiatorOptions) {
    super('advertising', opts.timeouts, log);
    this.#o = opts;
  }

  /** Runs the whole flow once. Resolves when both registries hold each other; else a BootstrapError. */
  async run(): Promise<PairedOutcome> {
    this.begin();
    const o = this.#o;
    const now = o.now ?? Date.now;
    const store = new BondingStore(o.registry);
    const service = new PairingService({ node: o.node, registry: store });
    const cancel = new AbortController();
    const signal = AbortSignal.any([cancel.signal, this.closer.signal, ...(o.signal ? [o.signal] : [])]);
    try {
      await service.start();
      const session = service.initiate({ ttlMs: o.ttlMs, dht: false, signal });
      session.result.catch(() => {});
      const codeSecret = PairingCode.parse(session.code).entropy;
      const name = o.name ?? o.registry.identity().name;

      this.current = 'advertising';
      this.emit('advertising', { address: o.radio.address.address, name });
      let t = now();
      const link = await runStage('advertising', this.timeouts.advertise, signal, undefined, (s) =>
        o.radio.advertise({ serviceUuid: PAIRKIT_SERVICE_UUID, name, signal: s }),
      );
      this.#link = link;
      this.current = 'connected';
      this.emit('connected', { address: link.peer.address, addressType: link.peer.type });
      this.emit('timing', { stage: 'connect', ms: now() - t });

      // The joiner opens the channel right after pairing; start accepting now so no open is missed.
      const channel = link.acceptChannel(HANDOVER_PSM, signal);
      channel.catch(() => {});
      const ble = await this.pairBle(link, signal, { oob: o.oob, confirm: o.confirm, now });

      t = now();
      const multiaddrs = o.node.getMultiaddrs().map((a) => a.toString()).slice(0, 16);
      const sealed = sealHandover(
        { ltk: ble.ltk, initiator: link.local, joiner: link.peer, psm: HANDOVER_PSM },
        { codeSecret, peerId: o.node.peerId.toString(), multiaddrs, expiresAt: session.expiresAt },
      );
      codeSecret.fill(0);
      // The bond rides along with the network pairing's registry write (one transaction).
      store.attach(ble.bond);
      await runStage('handover', this.timeouts.handover, signal, link.closed, async (s) => {
        const ch = await channel;
        // Wait for the joiner's "ready" octet: it has its end of the channel set up by then.
        const ready = await ch.receive(s);
        if (ready.length !== 1 || ready[0] !== HANDOVER_READY) throw new BootstrapError('MALFORMED', 'unexpected first SDU from the joiner');
        await ch.send(sealed, s);
      });
      this.current = 'handover';
      this.emit('handover', { peerId: o.node.peerId.toString(), addresses: multiaddrs.length });
      this.emit('timing', { stage: 'handover', ms: now() - t });

      t = now();
      // The BLE link may drop now: the network carries the rest.
      const outcome = await runStage('network pairing', this.timeouts.network, signal, undefined, () =>
        session.result.catch((err) => {
          throw asBootstrapError(err, 'NETWORK_FAILED', 'network pairing failed');
        }),
      );
      if (!store.saved || store.saved.deviceId !== outcome.deviceId) {
        // Someone else completed the session first: should not happen (only the BLE peer got the code).
        throw new BootstrapError('NETWORK_FAILED', 'the network pairing completed with a device that did not pair over BLE');
      }
      this.emit('timing', { stage: 'network', ms: now() - t });
      return this.paired(o.registry, outcome);
    } catch (err) {
      throw this.failed(err);
    } finally {
      store.detach();
      cancel.abort(new BootstrapError('CLOSED', 'handover ended'));
      await service.close().catch(() => {});
      await this.#link?.disconnect().catch(() => {});
    }
  }
}
