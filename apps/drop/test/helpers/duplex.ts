import type { ByteDuplex } from '../../src/index.js';

export interface PairOptions {
  /** Split each write into random pieces of at most this many bytes. */
  fragment?: number;
  /** A writer waits while the reader holds more than this many unread bytes (backpressure). */
  highWater?: number;
  /** Rewrites bytes going from side A to side B (to simulate tampering). */
  tamperAtoB?: (bytes: Uint8Array, totalBefore: number) => Uint8Array;
}

class Inbox {
  chunks: Uint8Array[] = [];
  buffered = 0;
  ended = false;
  error: Error | undefined;
  wakeReader: (() => void) | undefined;
  drainWaiters: (() => void)[] = [];

  wake(): void {
    const w = this.wakeReader;
    this.wakeReader = undefined;
    w?.();
  }

  drained(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }
}

/** Two connected in-memory byte streams with backpressure, like a socket pair. */
export function duplexPair(options: PairOptions = {}): [ByteDuplex & { written: number }, ByteDuplex & { written: number }] {
  const highWater = options.highWater ?? 256 * 1024;
  const inboxes = [new Inbox(), new Inbox()];
  const make = (me: number): ByteDuplex & { written: number } => {
    const mine = inboxes[me]!;
    const peer = inboxes[1 - me]!;
    let closed = false;
    const side = {
      written: 0,
      async write(bytes: Uint8Array): Promise<void> {
        if (closed || peer.error !== undefined || mine.error !== undefined) throw new Error('stream closed');
        let data = Uint8Array.from(bytes);
        if (me === 0 && options.tamperAtoB !== undefined) data = options.tamperAtoB(data, side.written);
        side.written += data.length;
        let at = 0;
        while (at < data.length) {
          const n = options.fragment === undefined ? data.length : 1 + Math.floor(Math.random() * options.fragment);
          const piece = data.subarray(at, at + n);
          at += piece.length;
          peer.chunks.push(piece);
          peer.buffered += piece.length;
        }
        peer.wake();
        while (peer.buffered > highWater && peer.error === undefined && !peer.ended) {
          await new Promise<void>((r) => peer.drainWaiters.push(r));
        }
      },
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        peer.ended = true;
        peer.wake();
        peer.drained();
      },
      abort(err: Error): void {
        closed = true;
        peer.error = err;
        mine.error = err;
        peer.wake();
        peer.drained();
        mine.wake();
        mine.drained();
      },
      async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
        for (;;) {
          if (mine.chunks.length > 0) {
            const c = mine.chunks.shift()!;
            mine.buffered -= c.length;
            if (mine.buffered <= highWater) mine.drained();
            yield c;
            continue;
          }
          if (mine.error !== undefined) throw mine.error;
          if (mine.ended) return;
          await new Promise<void>((r) => (mine.wakeReader = r));
        }
      },
    };
    return side;
  };
  return [make(0), make(1)];
}
