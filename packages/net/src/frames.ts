import type { Stream } from '@libp2p/interface';
import { Uint8ArrayList } from 'uint8arraylist';
import { NetError, abortError } from './errors.js';

/** Default largest frame we accept: pairing messages are a few hundred bytes. */
export const DEFAULT_MAX_FRAME = 16 * 1024;

export interface FrameReadOptions {
  /** Per-read timeout: a peer that goes silent fails with TIMEOUT. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Length-prefixed frames (unsigned LEB128 varint length, then the bytes) on a libp2p stream.
 * The length is checked before the body is buffered, so an oversized frame costs nothing.
 */
export class FrameStream {
  private readonly buf = new Uint8ArrayList();
  private readonly it: AsyncIterator<Uint8Array | Uint8ArrayList>;
  private ended = false;

  constructor(
    readonly stream: Stream,
    readonly maxFrame = DEFAULT_MAX_FRAME
  ) {
    this.it = stream[Symbol.asyncIterator]();
  }

  async read(opts: FrameReadOptions): Promise<Uint8Array> {
    const signal = opts.signal
      ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)])
      : AbortSignal.timeout(opts.timeoutMs);
    for (;;) {
      const header = decodeLength(this.buf);
      if (header != null) {
        if (header.length > this.maxFrame) {
          throw new NetError('FRAME_TOO_LARGE', `frame of ${header.length} bytes exceeds ${this.maxFrame}`);
        }
        if (this.buf.byteLength >= header.headerBytes + header.length) {
          const frame = this.buf.subarray(header.headerBytes, header.headerBytes + header.length);
          this.buf.consume(header.headerBytes + header.length);
          return frame;
        }
      }
      if (this.ended) throw new NetError('STREAM_CLOSED', 'the peer closed the stream');
      const chunk = await nextChunk(this.it, signal);
      if (chunk == null) this.ended = true;
      else this.buf.append(chunk);
    }
  }

  /** Sends one frame, waiting for the stream to drain when its buffer is full. */
  async write(frame: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (frame.length > this.maxFrame) {
      throw new NetError('FRAME_TOO_LARGE', `refusing to send a frame of ${frame.length} bytes`);
    }
    const out = new Uint8ArrayList(encodeLength(frame.length), frame);
    if (!this.stream.send(out)) await this.stream.onDrain({ signal });
  }
}

async function nextChunk(
  it: AsyncIterator<Uint8Array | Uint8ArrayList>,
  signal: AbortSignal
): Promise<Uint8Array | Uint8ArrayList | null> {
  if (signal.aborted) throw abortError(signal, 'read');
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal, 'read'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const r = await Promise.race([it.next(), aborted]);
    return r.done === true ? null : r.value;
  } catch (err) {
    if (err instanceof NetError) throw err;
    throw new NetError('STREAM_CLOSED', `stream failed: ${(err as Error).message}`, { cause: err });
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export function encodeLength(n: number): Uint8Array {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Uint8Array.from(out);
}

/** Decodes the varint at the head of `buf`; null when more bytes are needed. */
function decodeLength(buf: Uint8ArrayList): { length: number; headerBytes: number } | null {
  let length = 0;
  for (let i = 0; i < Math.min(buf.byteLength, 5); i++) {
    const b = buf.get(i);
    length += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { length, headerBytes: i + 1 };
  }
  if (buf.byteLength >= 5) throw new NetError('FRAME_TOO_LARGE', 'frame length prefix too long');
  return null;
}
