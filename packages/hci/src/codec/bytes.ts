import { HciError } from '../errors.js';

/** Bounds-checked little-endian reader; every short read is a typed TRUNCATED error. */
export class Reader {
  offset = 0;
  constructor(readonly buf: Buffer, readonly what = 'packet') {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }
  need(n: number): void {
    if (this.remaining < n) {
      throw new HciError('TRUNCATED', `${this.what}: needs ${n} more byte(s) at offset ${this.offset}, has ${this.remaining}`);
    }
  }
  u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = this.buf.readUIntLE(this.offset, 3);
    this.offset += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = Buffer.from(this.buf.subarray(this.offset, this.offset + n));
    this.offset += n;
    return v;
  }
  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function checkRange(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new HciError('INVALID_PARAMETER', `${name} out of range: ${v}`);
  }
}
