import { SimError } from './errors.js';

/** Little-endian reader over one packet; running off the end is a typed error. */
export class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new SimError('MALFORMED_PACKET', 'parameters too short');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.buf[this.pos] | (this.buf[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }
  u24(): number {
    return this.u16() | (this.u8() << 16);
  }
  u64(): bigint {
    const b = this.bytes(8);
    return Buffer.from(b).readBigUInt64LE(0);
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

/** Growable little-endian writer. */
export class Writer {
  private parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  i8(v: number): this {
    return this.u8(v < 0 ? v + 256 : v);
  }
  u16(v: number): this {
    this.parts.push(v & 0xff, (v >>> 8) & 0xff);
    return this;
  }
  u64(v: bigint): this {
    for (let i = 0n; i < 8n; i++) this.parts.push(Number((v >> (8n * i)) & 0xffn));
    return this;
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  build(): Buffer {
    return Buffer.from(this.parts);
  }
}

/** "AA:BB:CC:DD:EE:FF" (MSB first, as people write it) from 6 little-endian octets. */
export function formatAddress(le: Uint8Array): string {
  return Array.from(le)
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0').toUpperCase())
    .join(':');
}

/** 6 little-endian octets from "AA:BB:CC:DD:EE:FF". */
export function parseAddress(text: string): Buffer {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(text)) {
    throw new SimError('BAD_ADDRESS', `not a BD_ADDR: ${JSON.stringify(text)}`);
  }
  return Buffer.from(text.split(':').reverse().map((h) => parseInt(h, 16)));
}
