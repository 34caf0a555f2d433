import { H4 } from './constants.js';
import { SimError } from './errors.js';

/**
 * Cuts a byte stream from a host into whole H4 packets (type byte included).
 * Copes with packets split over several chunks and several packets in one chunk.
 * An unknown packet indicator is garbage: the stream cannot be resynchronised, so it throws.
 */
export class H4Deframer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const size = packetSize(this.pending);
      if (size === undefined || this.pending.length < size) break;
      out.push(this.pending.subarray(0, size));
      this.pending = this.pending.subarray(size);
    }
    return out;
  }

  /** Bytes held waiting for the rest of a packet. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Total size of the packet at the start of buf, or undefined if the header is incomplete. */
function packetSize(buf: Buffer): number | undefined {
  if (buf.length === 0) return undefined;
  switch (buf[0]) {
    case H4.Command:
    case H4.SCO:
      return buf.length < 4 ? undefined : 4 + buf[3];
    case H4.ACL:
      return buf.length < 5 ? undefined : 5 + buf.readUInt16LE(3);
    case H4.Event:
      return buf.length < 3 ? undefined : 3 + buf[2];
    case H4.ISO:
      return buf.length < 5 ? undefined : 5 + (buf.readUInt16LE(3) & 0x3fff);
    default:
      throw new SimError('UNKNOWN_PACKET_TYPE', `unknown H4 packet indicator 0x${buf[0].toString(16).padStart(2, '0')}`);
  }
}
