import { HciError } from '../errors.js';
import { toBuffer } from './bytes.js';
import { h4HeaderInfo } from './packets.js';

export interface H4DeframerOptions {
  /** Largest payload accepted (bytes after the header); larger is TOO_LARGE. Default 65535. */
  maxPayload?: number;
  /** Packet indicators accepted; others are UNKNOWN_PACKET_TYPE. Default 0x01..0x05. */
  types?: readonly number[];
  /** On garbage: 'resync' skips bytes until a plausible packet starts; 'close' stops for good. */
  onError?: 'resync' | 'close';
}

export interface H4PushResult {
  /** Whole H4 packets (indicator byte first), in arrival order. */
  packets: Buffer[];
  /** Framing errors met in this chunk (typed, never thrown). */
  errors: HciError[];
}

/**
 * Incremental H4 deframer: bytes in (any split), whole packets out. A byte stream
 * carries no sync marks, so after garbage we can only guess: resync mode drops one byte
 * and tries again at the next byte that looks like a packet indicator.
 */
export class H4Deframer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly maxPayload: number;
  private readonly types: Set<number>;
  private readonly mode: 'resync' | 'close';
  private closedBy: HciError | undefined;

  constructor(opts: H4DeframerOptions = {}) {
    this.maxPayload = opts.maxPayload ?? 0xffff;
    this.types = new Set(opts.types ?? [1, 2, 3, 4, 5]);
    this.mode = opts.onError ?? 'resync';
  }

  /** The error that closed the deframer in 'close' mode. */
  get closedError(): HciError | undefined {
    return this.closedBy;
  }
  /** Bytes waiting for the rest of a packet. */
  get buffered(): number {
    return this.pending.length;
  }

  push(chunk: Uint8Array): H4PushResult {
    const out: H4PushResult = { packets: [], errors: [] };
    if (this.closedBy) {
      out.errors.push(new HciError('CLOSED', 'H4 stream closed after a framing error', { cause: this.closedBy }));
      return out;
    }
    let b = this.pending.length ? Buffer.concat([this.pending, toBuffer(chunk)]) : toBuffer(chunk);
    let off = 0;
    while (off < b.length) {
      const type = b[off];
      const info = this.types.has(type) ? h4HeaderInfo(type) : undefined;
      let err: HciError | undefined;
      if (!info) {
        err = new HciError('UNKNOWN_PACKET_TYPE', `unknown H4 packet indicator 0x${type.toString(16).padStart(2, '0')}`);
      } else {
        if (b.length - off < 1 + info.header) break;
        const len = info.length(b, off + 1);
        if (len > this.maxPayload) {
          err = new HciError('TOO_LARGE', `H4 packet declares ${len} bytes (limit ${this.maxPayload})`);
        } else {
          const total = 1 + info.header + len;
          if (b.length - off < total) break;
          out.packets.push(Buffer.from(b.subarray(off, off + total)));
          off += total;
          continue;
        }
      }
      out.errors.push(err);
      if (this.mode === 'close') {
        this.closedBy = err;
        b = Buffer.alloc(0);
        off = 0;
        break;
      }
      off++;
      while (off < b.length && !this.types.has(b[off])) off++;
    }
    this.pending = off < b.length ? Buffer.from(b.subarray(off)) : Buffer.alloc(0);
    return out;
  }

  /** Forget any partial packet (e.g. after the transport reconnects). */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.closedBy = undefined;
  }
}
