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
  failed: PairingProtocolError | undefined;
  completed: PairingResult | undefined;
  constructor(readonly conv: PairingConversation, readonly autoCommit = true) {}
}

export interface WireOptions {
  now?: number;
  /** Called for each frame in flight; return the bytes to deliver (or undefined to drop it). */
  tamper?: (frame: Uint8Array, from: 'joiner' | 'initiator', index: number) => Uint8Array | undefined;
  /** Stop delivering after this many frames in total (simulates a crash/partition). */
  maxFrames?: number;
  /** Don't call committed() for this side (simulates a crash before the registry write). */
  noCommit?: 'joiner' | 'initiator';
}

/** Runs a joiner and an initiator conversation against each other until nothing moves. */
export function wire(joinerConv: PairingConversation, initiatorConv: PairingConversation, options: WireOptions = {}): { joiner: Side; initiator: Side } {
  const now = options.now ?? 0;
  const joiner = new Side(joinerConv, options.noCommit !== 'joiner');
  const initiator = new Side(initiatorConv, options.noCommit !== 'initiator');
  const queue: { to: Side; from: Side; bytes: Uint8Array }[] = [];
  let delivered = 0;
  const other = (s: Side): Side => (s === joiner ? initiator : joiner);
  const apply = (side: Side, actions: PairingAction[]): void => {
    for (const a of actions) {
      side.actions.push(a);
      if (a.type === 'send') {
        side.sent.push(a.frame);
        queue.push({ to: other(side), from: side, bytes: a.frame });
      } else if (a.type === 'commit') {
        if (side.autoCommit) {
          side.registry.set(a.result.peer.deviceId, a.result);
          apply(side, side.conv.committed(now));
        }
      } else if (a.type === 'completed') side.completed = a.result;
      else if (a.type === 'failed') side.failed = a.error;
      else if (a.type === 'close') side.closed = true;
    }
  };
  apply(initiator, initiatorConv.start(now));
  apply(joiner, joinerConv.start(now));
  let index = 0;
  for (;;) {
    const item = queue.shift();
    if (!item) {
      // EOF after a close: the other end notices.
      let moved = false;
      for (const s of [joiner, initiator]) {
        if (s.closed && !other(s).closed) {
          const acts = other(s).conv.close(now);
          other(s).closed = true;
          apply(other(s), acts);
          moved = true;
        }
      }
      if (!moved) break;
      continue;
    }
    if (options.maxFrames !== undefined && delivered >= options.maxFrames) continue;
    const from = item.from === joiner ? 'joiner' : 'initiator';
    const bytes = options.tamper ? options.tamper(item.bytes, from, index++) : item.bytes;
    if (bytes === undefined) continue;
    delivered++;
    apply(item.to, item.to.conv.receive(bytes, now));
  }
  return { joiner, initiator };
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
