import { DropError } from '../errors.js';

// Wire format: every frame is [type u8][payload length u32 BE][payload]. Control frames carry
// UTF-8 JSON; DATA frames carry raw file bytes of the current file.

export const FrameType = {
  OFFER: 1,
  ACCEPT: 2,
  REJECT: 3,
  FILE_START: 4,
  DATA: 5,
  FILE_END: 6,
  CREDIT: 7,
  FILE_RESULT: 8,
  ERROR: 9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const HEADER_LENGTH = 5;
/** Largest JSON payload (an offer of many files fits). */
export const MAX_CONTROL_PAYLOAD = 1 << 20;
/** Largest DATA payload. */
export const MAX_DATA_PAYLOAD = 1 << 20;

export interface Frame {
  type: FrameType;
  payload: Uint8Array;
}

const KNOWN = new Set<number>(Object.values(FrameType));

export function encodeFrame(type: FrameType, payload: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  out[0] = type;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, HEADER_LENGTH);
  return out;
}

export function encodeControl(type: FrameType, body: unknown): Uint8Array {
  return encodeFrame(type, Buffer.from(JSON.stringify(body), 'utf8'));
}

/** Splits a byte stream into frames; keeps incoming chunks in a list so big frames are copied once. */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #length = 0;

  push(bytes: Uint8Array): Frame[] {
    if (bytes.length > 0) {
      this.#chunks.push(bytes);
      this.#length += bytes.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.#length < HEADER_LENGTH) break;
      const header = this.#peek(HEADER_LENGTH);
      const type = header[0]!;
      const size = Buffer.from(header.buffer, header.byteOffset, HEADER_LENGTH).readUInt32BE(1);
      if (!KNOWN.has(type)) throw new DropError('DROP_PROTOCOL', `unknown frame type ${type}`);
      const max = type === FrameType.DATA ? MAX_DATA_PAYLOAD : MAX_CONTROL_PAYLOAD;
      if (size > max) throw new DropError('DROP_FRAME_TOO_LARGE', `frame of ${size} bytes (max ${max})`);
      if (this.#length < HEADER_LENGTH + size) break;
      const whole = this.#take(HEADER_LENGTH + size);
      frames.push({ type: type as FrameType, payload: whole.subarray(HEADER_LENGTH) });
    }
    return frames;
  }

  /** Bytes buffered but not yet a whole frame. */
  get buffered(): number {
    return this.#length;
  }

  #peek(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.#chunks).subarray(0, n);
  }

  #take(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      const parts: Uint8Array[] = [];
      let need = n;
      while (need > 0) {
        const c = this.#chunks[0]!;
        if (c.length <= need) {
          parts.push(c);
          this.#chunks.shift();
          need -= c.length;
        } else {
          parts.push(c.subarray(0, need));
          this.#chunks[0] = c.subarray(need);
          need = 0;
        }
      }
      out = Buffer.concat(parts);
    }
    this.#length -= n;
    return out;
  }
}

/** Parses a control payload as a JSON object or throws DROP_PROTOCOL. */
export function parseControl(frame: Frame): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(frame.payload).toString('utf8'));
  } catch (cause) {
    throw new DropError('DROP_PROTOCOL', `frame ${frame.type}: payload is not JSON`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DropError('DROP_PROTOCOL', `frame ${frame.type}: payload is not an object`);
  }
  return value as Record<string, unknown>;
}
