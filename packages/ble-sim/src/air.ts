import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import { SimController, type SimControllerOptions } from './controller.js';
import { SimError } from './errors.js';
import { SimLink } from './link.js';
import type { AdvView } from './reports.js';

const log = createDebug('pairkit:ble-sim:air');

/** Timer functions the air uses; inject fakes for deterministic tests. */
export interface SimTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SimAirOptions {
  /**
   * Connection-interval delay in ms: everything that crosses the air (ACL data, connection
   * setup, encryption, link procedures, advertising reports) arrives this much later.
   * 0 (default) delivers at once, inside the call that caused it.
   */
  delayMs?: number;
  /** Random source (LE Rand, random BD_ADDRs). Defaults to node:crypto. */
  random?: (n: number) => Uint8Array;
  timers?: SimTimers;
  /** RSSI reported in advertising reports, dBm. */
  rssi?: number;
}

export interface SimAirEvents {
  controller: [SimController];
  connection: [SimLink];
  disconnection: [SimLink];
}

/**
 * The shared simulated medium: every SimController created from one air can see the
 * others' advertising, connect to them and exchange ACL data.
 */
export class SimAir extends EventEmitter<SimAirEvents> {
  readonly delayMs: number;
  readonly rssi: number;
  readonly random: (n: number) => Uint8Array;
  private readonly timers: SimTimers;
  private readonly controllers = new Set<SimController>();
  private readonly pending = new Set<unknown>();
  private nextIndex = 1;
  private closed = false;

  constructor(options: SimAirOptions = {}) {
    super();
    const delay = options.delayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0) throw new SimError('BAD_OPTION', `delayMs must be >= 0, got ${delay}`);
    this.delayMs = delay;
    this.rssi = options.rssi ?? -50;
    this.random = options.random ?? ((n) => randomBytes(n));
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  /** A new virtual controller on this air. Its public BD_ADDR derives from its index unless given. */
  createController(options: SimControllerOptions = {}): SimController {
    if (this.closed) throw new SimError('CLOSED', 'air is closed');
    const c = new SimController(this, this.nextIndex++, options);
    this.controllers.add(c);
    c.once('close', () => this.controllers.delete(c));
    log('controller %d attached as %s', c.index, c.address);
    this.emit('controller', c);
    return c;
  }

  /** Controllers currently on the air. */
  get size(): number {
    return this.controllers.size;
  }

  /** Runs fn after the connection-interval delay (at once when the delay is 0). */
  schedule(fn: () => void, ms = this.delayMs): void {
    if (this.closed) return;
    if (ms <= 0) {
      fn();
      return;
    }
    const h = this.timers.setTimeout(() => {
      this.pending.delete(h);
      if (!this.closed) fn();
    }, ms);
    this.pending.add(h);
  }

  /**
   * Re-evaluates the air after a GAP change of `source`: a scanner that just started hears
   * every advertiser, an advertiser that (re)started is heard by every scanner, and
   * initiators connect to a matching connectable advertiser.
   */
  update(source: SimController): void {
    if (this.closed) return;
    const all = [...this.controllers];
    if (source.isScanning) {
      for (const adv of all) if (adv !== source && adv.isAdvertising) source.hear(adv);
    }
    if (source.isAdvertising) {
      for (const scanner of all) if (scanner !== source && scanner.isScanning) scanner.hear(source);
    }
    for (const init of all) {
      if (!init.isInitiating) continue;
      for (const adv of all) {
        const v = adv === init ? null : adv.connectableAdvertisement(init);
        if (v) {
          this.connect(init, adv, v);
          break;
        }
      }
    }
  }

  private connect(central: SimController, peripheral: SimController, v: AdvView): void {
    const link = central.beginCentral(peripheral, v);
    log('link: %s (central, handle %d) <-> %s (peripheral, handle %d)', central.address, link.central.handle, peripheral.address, link.peripheral.handle);
    this.schedule(() => {
      if (link.closed) return;
      central.connectionComplete(link);
      peripheral.connectionComplete(link);
      this.emit('connection', link);
    });
  }

  /**
   * Ends a link now. `by` gets `localReason`, the other end `remoteReason`; with `by`
   * null both get `remoteReason` (supervision timeout, MIC failure).
   */
  terminate(link: SimLink, by: SimController | null, localReason: number, remoteReason: number): void {
    if (link.closed) return;
    link.closed = true;
    for (const end of [link.central, link.peripheral]) end.controller.forget(link);
    this.schedule(() => {
      for (const end of [link.central, link.peripheral]) {
        end.controller.disconnectionComplete(end.handle, end.controller === by ? localReason : remoteReason);
      }
      this.emit('disconnection', link);
    });
  }

  /** Closes every controller and cancels everything in flight. */
  close(): void {
    if (this.closed) return;
    for (const c of [...this.controllers]) c.close();
    this.closed = true;
    for (const h of this.pending) this.timers.clearTimeout(h);
    this.pending.clear();
  }
}
