// Test helpers: fixed device identities and two conversations wired back to back in memory.
import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { deviceIdFromPublicKey, peerIdFromEd25519PublicKey } from '@pairkit/registry';
import {
  PairingProtocolHandler,
  type LocalDevice,
  type PairingAction,
  type PairingConversation,
  type PairingHandlerOptions,
  type PairingProtocolError,
  type PairingResult,
} from '../../src/index.js';

export const deriveDeviceId = deviceIdFromPublicKey;
export const derivePeerId = peerIdFromEd25519PublicKey;

export function makeDevice(name: string, seedByte: number): LocalDevice {
  const privateKey = new Uint8Array(32).fill(seedByte);
  const publicKey = ed25519.getPublicKey(privateKey);
  return {
    deviceId: deriveDeviceId(publicKey),
    peerId: derivePeerId(publicKey),
    publicKey,
    privateKey,
    info: { name, os: 'linux', appVersion: '0.1.0' },
  };
}

/** Deterministic "random" bytes for reproducible tests (never for real use). */
export function counterRandom(start = 1): (n: number) => Uint8Array {
  let counter = start;
  return (n) => {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const block = createHash('sha256').update(`pairing-test-random-${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - filled)), filled);
      filled += 32;
    }
    return out;
  };
}

export function makeHandler(device: LocalDevice, options: Partial<PairingHandlerOptions> = {}): PairingProtocolHandler {
  return new PairingProtocolHandler({ local: device, ...options });
}

/** One end of an in-memory stream plus a fake registry. */
export class Side {
  readonly sent: Uint8Array[] = [];
  readonly actions: PairingAction[] = [];
  readonly registry = new Map<string, PairingResult>();
  closed = false;
  commitPending: PairingResult | undefined;
  failed: PairingProtocolError | undefined;
  completed: PairingResult | undefined;
  constructor(readonly name: 'joiner' | 'initiator', readonly conv: PairingConversation, public autoCommit = true) {}
}

export interface LinkOptions {
  now?: number;
  /** Called for each frame in flight; return the bytes to deliver (or undefined to drop it). */
  tamper?: (frame: Uint8Array, from: 'joiner' | 'initiator', index: number) => Uint8Array | undefined;
  /** Deliver each frame in chunks of this many bytes. */
  chunk?: number;
  /** Don't call committed() for this side (a crash before the registry write). */
  noCommit?: 'joiner' | 'initiator';
  /** The durable write for a commit (e.g. a real registry); runs before committed(). */
  onCommit?: (side: 'joiner' | 'initiator', result: PairingResult) => void;
}

/** Two conversations connected back to back by an in-memory stream. */
export class Link {
  readonly joiner: Side;
  readonly initiator: Side;
  readonly queue: { to: Side; from: Side; bytes: Uint8Array }[] = [];
  now: number;
  #index = 0;

  constructor(joinerConv: PairingConversation, initiatorConv: PairingConversation, readonly options: LinkOptions = {}) {
    this.now = options.now ?? 0;
    this.joiner = new Side('joiner', joinerConv, options.noCommit !== 'joiner');
    this.initiator = new Side('initiator', initiatorConv, options.noCommit !== 'initiator');
    this.apply(this.initiator, initiatorConv.start(this.now));
    this.apply(this.joiner, joinerConv.start(this.now));
  }

  other(s: Side): Side {
    return s === this.joiner ? this.initiator : this.joiner;
  }

  apply(side: Side, actions: PairingAction[]): void {
    for (const a of actions) {
      side.actions.push(a);
      if (a.type === 'send') {
        side.sent.push(a.frame);
        this.queue.push({ to: this.other(side), from: side, bytes: a.frame });
      } else if (a.type === 'commit') {
        side.commitPending = a.result;
        if (side.autoCommit) this.commit(side);
      } else if (a.type === 'completed') side.completed = a.result;
      else if (a.type === 'failed') side.failed = a.error;
      else if (a.type === 'close') side.closed = true;
    }
  }

  /** The registry write succeeded: tell the conversation. */
  commit(side: Side): void {
    const r = side.commitPending;
    if (!r) throw new Error('nothing to commit');
    side.commitPending = undefined;
    this.options.onCommit?.(side.name, r);
    side.registry.set(r.peer.deviceId, r);
    this.apply(side, side.conv.committed(this.now));
  }

  /** Delivers up to `max` frames in flight. Returns how many were delivered or dropped. */
  step(max = Infinity): number {
    let n = 0;
    while (n < max) {
      const item = this.queue.shift();
      if (!item) break;
      n++;
      const from = item.from.name;
      const bytes = this.options.tamper ? this.options.tamper(item.bytes, from, this.#index++) : item.bytes;
      if (bytes === undefined) continue;
      const size = this.options.chunk ?? bytes.length;
      for (let o = 0; o < bytes.length; o += size) this.apply(item.to, item.to.conv.receive(bytes.subarray(o, o + size), this.now));
    }
    return n;
  }

  /** Runs until nothing moves; a closed end is then seen as EOF by the other end. */
  run(): this {
    for (;;) {
      this.step();
      let moved = false;
      for (const s of [this.joiner, this.initiator]) {
        const o = this.other(s);
        if (s.closed && !o.closed) {
          o.closed = true;
          this.apply(o, o.conv.close(this.now));
          moved = true;
        }
      }
      if (!moved && this.queue.length === 0) return this;
    }
  }
}

export function wire(joinerConv: PairingConversation, initiatorConv: PairingConversation, options: LinkOptions = {}): Link {
  return new Link(joinerConv, initiatorConv, options).run();
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
