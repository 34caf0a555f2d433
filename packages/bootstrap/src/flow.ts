// What both ends of the handover share: the stage and close(), the one-run guard, the SMP
// pairing stage with its comparison events, and how a run ends (paired or failed).
import { EventEmitter } from 'node:events';
import type { Debugger } from 'debug';
import type { DeviceStore, PairedOutcome, PairkitLibp2p } from '@pairkit/net';
import { BootstrapError } from './errors.js';
import type { BleLink, BleOob, BlePairResult, BleRadio } from './ports.js';
import { DEFAULT_TIMEOUTS, asBootstrapError, runStage, type HandoverEvents, type HandoverStage, type StageTimeouts } from './stages.js';

/** The options both ends take. */
export interface HandoverFlowOptions {
  radio: BleRadio;
  /** A started libp2p node running with the registry's identity. */
  node: PairkitLibp2p;
  registry: DeviceStore;
  /** Numeric Comparison: resolve true when the user confirms the value. */
  confirm: (value: string, signal: AbortSignal) => Promise<boolean>;
  /** Per-stage limits; the initiator's `advertise` bounds the whole wait for a joiner, across attempts. */
  timeouts?: Partial<StageTimeouts>;
  signal?: AbortSignal;
  now?: () => number;
}

export abstract class HandoverFlow extends EventEmitter<HandoverEvents> {
  protected readonly timeouts: StageTimeouts;
  protected current: HandoverStage;
  /** Aborted by close(). */
  protected readonly closer = new AbortController();
  /** The local user's comparison answer in the latest SMP stage ('none': not asked). */
  protected localAnswer: 'none' | 'pending' | 'accepted' | 'rejected' = 'none';
  readonly #log: Debugger;
  #running = false;

  constructor(first: HandoverStage, timeouts: Partial<StageTimeouts> | undefined, log: Debugger) {
    super();
    this.current = first;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
    this.#log = log;
  }

  get stage(): HandoverStage {
    return this.current;
  }

  /** Stops a running flow (it fails with ABORTED, nothing stored); a no-op once it ended. */
  async close(): Promise<void> {
    this.closer.abort(new BootstrapError('CLOSED', 'handover closed'));
  }

  /** A flow runs once. */
  protected begin(): void {
    if (this.#running) throw new BootstrapError('INVALID_INPUT', 'run() was already called');
    this.#running = true;
  }

  /** The SMP stage: Numeric Comparison (or OOB) on `link`, with its events and timing. */
  protected async pairBle(
    link: BleLink,
    signal: AbortSignal,
    opts: { oob?: BleOob; confirm: HandoverFlowOptions['confirm']; now: () => number },
  ): Promise<BlePairResult> {
    this.localAnswer = 'none';
    const t = opts.now();
    const ble = await runStage('ble pairing', this.timeouts.smp, signal, link.closed, (s) =>
      link.pair({
        signal: s,
        oob: opts.oob,
        confirm: async (value, cs) => {
          this.current = 'compare';
          this.emit('compare', { value });
          this.localAnswer = 'pending';
          // Recorded before SMP hears the answer; an answer given after the stage ended is moot.
          try {
            const ok = await opts.confirm(value, cs);
            if (!cs.aborted) this.localAnswer = ok === true ? 'accepted' : 'rejected';
            return ok;
          } catch (err) {
            if (!cs.aborted) this.localAnswer = 'rejected';
            throw err;
          }
        },
      }),
    );
    this.current = 'ble-paired';
    this.emit('ble-paired', { model: ble.model, authenticated: ble.authenticated, address: link.peer.address });
    this.emit('timing', { stage: 'smp', ms: opts.now() - t });
    return ble;
  }

  /** The end of a good run: the registry's entry, with the network pairing's verification. */
  protected paired(registry: DeviceStore, outcome: PairedOutcome): PairedOutcome {
    this.current = 'paired';
    const device = registry.get(outcome.deviceId) ?? outcome;
    this.emit('paired', { deviceId: outcome.deviceId, peerId: outcome.peerId, name: outcome.name, verification: outcome.verification, method: device.method });
    return { ...outcome, ...device, verification: outcome.verification };
  }

  /** The end of a failed run: any error as a BootstrapError, reported with the stage it ended in. */
  protected failed(err: unknown): BootstrapError {
    const e = asBootstrapError(err, 'BLE_PAIRING_FAILED', 'handover failed');
    this.#log('failed in %s: %s', this.current, e.code);
    this.emit('failed', { stage: this.current, code: e.code, message: e.message });
    return e;
  }
}
