import type { Stream } from '@libp2p/interface';
import { Uint8ArrayList } from 'uint8arraylist';
import { NetError } from './errors.js';
import { Wake } from './wake.js';

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
 *
 * It listens to the stream only while a read is waiting: between reads the stream keeps
 * its own buffer, and `unwrap()` hands the stream on with no reader of ours left behind.
 * It does not use the stream's async iterator, which never ends when the remote closed
 * its side before reading started; it checks `readableEnded` and the 'end'/'close' events.
 */
export class FrameStream {
  private readonly buf = new Uint8ArrayList();
  private reading = false;

  constructor(
    readonly stream: Stream,
    readonly maxFrame = DEFAULT_MAX_FRAME
  ) {}

  async read(opts: FrameReadOptions): Promise<Uint8Array> {
    if (this.reading) throw new NetError('BUSY', 'one frame read at a time');
    const signal = opts.signal
      ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)])
      : AbortSignal.timeout(opts.timeoutMs);
    this.reading = true;
    const stream = this.stream;
    const waiter = new Wake();
    const onMessage = (evt: { data: Uint8Array | Uint8ArrayList }): void => {
      this.buf.append(evt.data);
      waiter.wake();
    };
    const onEvent = waiter.wake;
    stream.addEventListener('message', onMessage);
    stream.addEventListener('end', onEvent);
    stream.addEventListener('close', onEvent);
    stream.addEventListener('remoteCloseWrite', onEvent);
    try {
      for (;;) {
        const frame = this.takeFrame();
        if (frame != null) return frame;
        // Bytes still in the stream's buffer come with the microtask our listener queued.
        if (stream.readableEnded && stream.readBufferLength === 0) throw closedError(stream);
        await waiter.wait(signal);
      }
    } finally {
      waiter.clear();
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('end', onEvent);
      stream.removeEventListener('close', onEvent);
      stream.removeEventListener('remoteCloseWrite', onEvent);
      this.reading = false;
    }
  }

  /**
   * Gives the stream back for raw use: bytes read past the last frame are put back in front
   * of the stream's buffer, so its next reader sees them first. Use the FrameStream no more.
   */
  unwrap(): Stream {
    if (this.reading) throw new NetError('BUSY', 'cannot unwrap during a read');
    const rest = this.buf.sublist();
    this.buf.consume(rest.byteLength);
    if (rest.byteLength > 0) {
      const s = this.stream;
      // Delivering our last chunk may have closed the readable end (the remote had finished);
      // reopen it so the stream delivers the leftover to its next reader. Dead streams drop it.
      if (s.readStatus === 'closed' && (s.status === 'open' || s.status === 'closing')) s.readStatus = 'readable';
      if (s.readStatus === 'readable' || s.readStatus === 'paused') s.unshift(rest);
    }
    return this.stream;
  }

  /** Sends one frame, waiting for the stream to drain when its buffer is full. */
  async write(frame: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (frame.length > this.maxFrame) {
      throw new NetError('FRAME_TOO_LARGE', `refusing to send a frame of ${frame.length} bytes`);
    }
    const out = new Uint8ArrayList(encodeLength(frame.length), frame);
    if (!this.stream.send(out)) await this.stream.onDrain({ signal });
  }

  private takeFrame(): Uint8Array | null {
    const header = decodeLength(this.buf);
    if (header == null) return null;
    if (header.length > this.maxFrame) {
      throw new NetError('FRAME_TOO_LARGE', `frame of ${header.length} bytes exceeds ${this.maxFrame}`);
    }
    if (this.buf.byteLength < header.headerBytes + header.length) return null;
    const frame = this.buf.subarray(header.headerBytes, header.headerBytes + header.length);
    this.buf.consume(header.headerBytes + header.length);
    return frame;
  }
}

function closedError(stream: Stream): NetError {
  const how = stream.status === 'reset' ? 'reset the stream' : stream.status === 'aborted' ? 'stream aborted' : 'the peer closed the stream';
  return new NetError('STREAM_CLOSED', how);
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
