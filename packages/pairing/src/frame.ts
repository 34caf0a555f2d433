// Length-prefixed frames: u32 big-endian body length, then the body (PROTOCOL.md "Framing").
import { PairingProtocolError } from './errors.js';
import { decodeMessage, encodeMessage, type PairingMessage } from './messages.js';

export const MAX_FRAME_SIZE = 8192;
export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(body: Uint8Array): Uint8Array {
  if (body.length === 0 || body.length > MAX_FRAME_SIZE) {
    throw new PairingProtocolError('FRAME_TOO_LARGE', `frame body of ${body.length} bytes is outside 1..${MAX_FRAME_SIZE}`);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/** A message as wire bytes, length prefix included. */
export function encodeMessageFrame(m: PairingMessage): Uint8Array {
  return encodeFrame(encodeMessage(m));
}

/**
 * Incremental decoder for a byte stream: push chunks, get whole frame bodies.
 * Holds at most one partial frame (<= MAX_FRAME_SIZE + 4 bytes). After an error it stays failed.
 */
export class FrameDecoder {
  readonly maxFrameSize: number;
  #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #body: Uint8Array | undefined; // allocated once the (checked) length is known
  #bodyFill = 0;
  #failed: PairingProtocolError | undefined;

  constructor(maxFrameSize = MAX_FRAME_SIZE) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes buffered for an incomplete frame. */
  get buffered(): number {
    return this.#headerFill + this.#bodyFill;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed) throw this.#failed;
    if (!(chunk instanceof Uint8Array)) throw this.#fail(new PairingProtocolError('MALFORMED_FRAME', 'chunk is not bytes'));
    const frames: Uint8Array[] = [];
    let o = 0;
    while (o < chunk.length) {
      if (this.#body === undefined) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - o);
        this.#header.set(chunk.subarray(o, o + take), this.#headerFill);
        this.#headerFill += take;
        o += take;
        if (this.#headerFill < FRAME_HEADER_BYTES) break;
        const len = new DataView(this.#header.buffer).getUint32(0, false);
        this.#headerFill = 0;
        // Reject before buffering anything of the body.
        if (len > this.maxFrameSize) {
          throw this.#fail(new PairingProtocolError('FRAME_TOO_LARGE', `frame of ${len} bytes exceeds ${this.maxFrameSize}`));
        }
        if (len === 0) throw this.#fail(new PairingProtocolError('MALFORMED_FRAME', 'empty frame'));
        this.#body = new Uint8Array(len);
        this.#bodyFill = 0;
      }
      const take = Math.min(this.#body.length - this.#bodyFill, chunk.length - o);
      this.#body.set(chunk.subarray(o, o + take), this.#bodyFill);
      this.#bodyFill += take;
      o += take;
      if (this.#bodyFill === this.#body.length) {
        frames.push(this.#body);
        this.#body = undefined;
        this.#bodyFill = 0;
      }
    }
    return frames;
  }

  /** True when the stream is between frames (nothing partial buffered). */
  get idle(): boolean {
    return this.#body === undefined && this.#headerFill === 0 && !this.#failed;
  }

  #fail(e: PairingProtocolError): PairingProtocolError {
    this.#failed = e;
    this.#body = undefined;
    this.#bodyFill = 0;
    this.#headerFill = 0;
    return e;
  }
}

/** Decodes exactly one whole frame (prefix + body) into a message. */
export function decodeMessageFrame(frame: Uint8Array): PairingMessage {
  const d = new FrameDecoder();
  const bodies = d.push(frame);
  if (bodies.length !== 1 || !d.idle) throw new PairingProtocolError('MALFORMED_FRAME', 'expected exactly one whole frame');
  return decodeMessage(bodies[0]);
}
