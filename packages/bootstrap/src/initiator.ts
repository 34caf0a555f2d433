// The initiator of the BLE handover: starts a network pairing session, advertises the pairkit
// service, pairs over SMP with the joiner that connects, hands the session over on an LE
// credit-based channel, and waits for the joiner's network pairing. A connection that ends
// before the handover for a reason that is not the local user's is forgotten and the initiator
// advertises again, up to `maxAttempts` connections per run (HANDOVER.md section 4).
import createDebug from 'debug';
import { PairingService, type PairedOutcome } from '@pairkit/net';
import { PairingCode } from '@pairkit/pairing';
import { BondingStore } from './bond-store.js';
import { BootstrapError } from './errors.js';
import { sealHandover } from './handover.js';
import { HANDOVER_PSM, HANDOVER_READY, PAIRKIT_SERVICE_UUID, type BleLink, type BleOob } from './ports.js';
import { HandoverFlow, type HandoverFlowOptions } from './flow.js';
import { asBootstrapError, runStage } from './stages.js';

const log = createDebug('pairkit:bootstrap:initiator');

/** BLE connections one initiator run serves before it gives up (TOO_MANY_ATTEMPTS). */
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface BleHandoverInitiatorOptions extends HandoverFlowOptions {
  /** Advertised device name (default: the registry's device name). */
  name?: string;
  /** Pair with LE SC OOB (our data, printed earlier) instead of Numeric Comparison. */
  oob?: BleOob;
  /** Lifetime of the network pairing code (default 5 minutes). */
  ttlMs?: number;
  /**
   * BLE connections served in this run (default 5): each one that ends without a handover
   * (and not by the local user's decision) is an `attempt-failed`; after the last one the run
   * fails with TOO_MANY_ATTEMPTS.
   */
  maxAttempts?: number;
}

/** What one connection needs from the run. */
interface Session {
  codeSecret: Uint8Array;
  expiresAt: number;
  result: Promise<PairedOutcome>;
  store: BondingStore;
  signal: AbortSignal;
  now: () => number;
}

export class BleHandoverInitiator extends HandoverFlow {
  readonly #o: BleHandoverInitiatorOptions;
  #link: BleLink | undefined;

  constructor(opts: BleHandoverInitiatorOptions) {
    super('advertising', opts.timeouts, log);
    this.#o = opts;
  }

  /** Runs the flow. Resolves when both registries hold each other; else a BootstrapError. */
  async run(): Promise<PairedOutcome> {
    this.begin();
    const o = this.#o;
    const now = o.now ?? Date.now;
    const store = new BondingStore(o.registry);
    const service = new PairingService({ node: o.node, registry: store });
    const cancel = new AbortController();
    const signal = AbortSignal.any([cancel.signal, this.closer.signal, ...(o.signal ? [o.signal] : [])]);
    let codeSecret: Uint8Array | undefined;
    try {
      const maxAttempts = o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new BootstrapError('INVALID_INPUT', `maxAttempts must be a whole number >= 1, got ${maxAttempts}`);
      await service.start();
      // One network pairing session for the whole run: its code goes to one link at most.
      const session = service.initiate({ ttlMs: o.ttlMs, dht: false, signal });
      let sessionOver = false;
      session.result.then(
        () => (sessionOver = true),
        () => (sessionOver = true),
      );
      codeSecret = PairingCode.parse(session.code).entropy;
      const s: Session = { codeSecret, expiresAt: session.expiresAt, result: session.result, store, signal, now };
      const name = o.name ?? o.registry.identity().name;
      const deadline = now() + this.timeouts.advertise;

      for (let attempt = 1; ; attempt++) {
        const left = deadline - now();
        if (left <= 0 || Date.now() >= session.expiresAt) {
          throw new BootstrapError('TIMEOUT', `no device completed the handover in time (${attempt - 1} failed attempts)`);
        }
        if (sessionOver) throw new BootstrapError('NETWORK_FAILED', 'the network pairing session ended before a handover');
        this.current = 'advertising';
        this.emit('advertising', { address: o.radio.address.address, name, attempt });
        const t = now();
        const link = await runStage('advertising', left, signal, undefined, (a) =>
          o.radio.advertise({ serviceUuid: PAIRKIT_SERVICE_UUID, name, signal: a }),
        );
        this.#link = link;
        this.current = 'connected';
        this.emit('connected', { address: link.peer.address, addressType: link.peer.type });
        this.emit('timing', { stage: 'connect', ms: now() - t });

        const handedOver = { value: false };
        try {
          const outcome = await this.#serve(link, s, handedOver);
          return this.paired(o.registry, outcome);
        } catch (err) {
          if (handedOver.value || signal.aborted || !this.#notOurs(err)) throw err;
          const e = err as BootstrapError;
          const stage = this.current;
          log('attempt %d/%d from %s ended in %s: %s', attempt, maxAttempts, link.peer.address, stage, e.code);
          await this.#forget(link, signal);
          this.emit('attempt-failed', { attempt, maxAttempts, stage, code: e.code, message: e.message, address: link.peer.address });
          if (attempt >= maxAttempts) {
            throw new BootstrapError('TOO_MANY_ATTEMPTS', `${attempt} BLE connections ended without a handover (last: ${e.code}); giving up`, { cause: e });
          }
        }
      }
    } catch (err) {
      throw this.failed(err);
    } finally {
      codeSecret?.fill(0);
      store.detach();
      cancel.abort(new BootstrapError('CLOSED', 'handover ended'));
      await service.close().catch(() => {});
      await this.#link?.disconnect().catch(() => {});
    }
  }

  /**
   * One connection: SMP pairing, the handover, then the network pairing. Sets
   * `handedOver.value` just before the sealed code starts to go out on this link.
   */
  async #serve(link: BleLink, s: Session, handedOver: { value: boolean }): Promise<PairedOutcome> {
    const o = this.#o;
    // Ends this connection's channel wait when the attempt ends.
    const attempt = new AbortController();
    const signal = AbortSignal.any([s.signal, attempt.signal]);
    let ltk: Uint8Array | undefined;
    let down = false;
    void link.closed.then(() => (down = true));
    try {
      // The joiner opens the channel right after pairing; start accepting now so no open is missed.
      const channel = link.acceptChannel(HANDOVER_PSM, signal);
      channel.catch(() => {});
      const ble = await this.pairBle(link, signal, { oob: o.oob, confirm: o.confirm, now: s.now });
      ltk = ble.ltk;

      let t = s.now();
      const multiaddrs = o.node.getMultiaddrs().map((a) => a.toString()).slice(0, 16);
      await runStage('handover', this.timeouts.handover, signal, link.closed, async (st) => {
        const ch = await channel;
        // Wait for the joiner's "ready" octet: it has its end of the channel set up by then.
        const ready = await ch.receive(st);
        if (ready.length !== 1 || ready[0] !== HANDOVER_READY) throw new BootstrapError('MALFORMED', 'unexpected first SDU from the joiner');
        // The stage may have ended (timeout) or the link gone while we waited: then nothing goes out.
        st.throwIfAborted();
        if (down) throw new BootstrapError('LINK_LOST', 'the BLE link went down before the handover was sent');
        const sealed = sealHandover(
          { ltk: ble.ltk, initiator: link.local, joiner: link.peer, psm: HANDOVER_PSM },
          { codeSecret: s.codeSecret, peerId: o.node.peerId.toString(), multiaddrs, expiresAt: s.expiresAt },
        );
        s.codeSecret.fill(0);
        // The bond rides along with the network pairing's registry write (one transaction).
        s.store.attach(ble.bond);
        // From here on this peer may hold the code: whatever happens next ends the run.
        handedOver.value = true;
        await ch.send(sealed, st);
      });
      this.current = 'handover';
      this.emit('handover', { peerId: o.node.peerId.toString(), addresses: multiaddrs.length });
      this.emit('timing', { stage: 'handover', ms: s.now() - t });

      t = s.now();
      // The BLE link may drop now: the network carries the rest.
      const outcome = await runStage('network pairing', this.timeouts.network, s.signal, undefined, () =>
        s.result.catch((err) => {
          throw asBootstrapError(err, 'NETWORK_FAILED', 'network pairing failed');
        }),
      );
      if (!s.store.saved || s.store.saved.deviceId !== outcome.deviceId) {
        // Someone else completed the session first: should not happen (only the BLE peer got the code).
        throw new BootstrapError('NETWORK_FAILED', 'the network pairing completed with a device that did not pair over BLE');
      }
      this.emit('timing', { stage: 'network', ms: s.now() - t });
      return outcome;
    } catch (err) {
      if (handedOver.value && err instanceof BootstrapError && err.code === 'LINK_LOST') {
        throw new BootstrapError('LINK_LOST', `${err.message}; the handover may have reached that device, so this run ends`, { cause: err });
      }
      throw err;
    } finally {
      attempt.abort(new BootstrapError('CLOSED', 'attempt ended'));
      if (!handedOver.value) ltk?.fill(0);
    }
  }

  /**
   * True when a connection's failure was not the local user's decision, so the run may go on:
   * the link dropped, SMP failed on the peer's side, the peer's user rejected the comparison,
   * the peer stalled. The local user rejecting (or not answering) the comparison ends the run.
   */
  #notOurs(err: unknown): boolean {
    if (!(err instanceof BootstrapError)) return false;
    switch (err.code) {
      case 'LINK_LOST':
      case 'BLE_PAIRING_FAILED':
      case 'CONFIRM_VALUE_FAILED':
      case 'MALFORMED':
        return true;
      case 'COMPARISON_REJECTED':
        return this.localAnswer !== 'rejected';
      case 'TIMEOUT':
        return this.localAnswer !== 'pending';
      default:
        return false;
    }
  }

  /** Drops a failed connection and waits until it is gone (no bond was stored for it). */
  async #forget(link: BleLink, signal: AbortSignal): Promise<void> {
    await runStage('disconnecting', this.timeouts.connect, signal, undefined, async () => {
      await link.disconnect();
      await link.closed;
    });
    if (this.#link === link) this.#link = undefined;
  }
}
