import { PacketBoundary } from '../constants.js';
import { HciError } from '../errors.js';

/**
 * Rebuilds L2CAP PDUs from ACL fragments of one connection. A start fragment (PB 0b00 or
 * 0b10) begins a PDU, 0b01 continues it. Errors drop the partial PDU and are thrown typed.
 */
export class L2capReassembler {
  private parts: Buffer[] = [];
  private have = 0;
  private expected = -1; // total bytes incl. 4-byte header, -1 until the header is complete

  /** Incomplete PDUs dropped because a new one started. */
  dropped = 0;

  constructor(readonly maxPdu = 0xffff + 4) {}

  /** Returns a complete PDU (basic header included), undefined if more is needed; throws HciError. */
  push(pb: number, data: Buffer): Buffer | undefined {
    if (pb === PacketBoundary.Continuing) {
      if (this.have === 0) throw new HciError('MALFORMED', 'L2CAP continuation fragment without a start');
    } else if (pb === PacketBoundary.FirstNonFlushable || pb === PacketBoundary.FirstFlushable) {
      if (this.have > 0) {
        // The previous PDU was never completed (e.g. flushed): drop it, keep the new one.
        this.dropped++;
        this.reset();
      }
    } else {
      throw new HciError('MALFORMED', `ACL Packet_Boundary_Flag 0b11 is not allowed from a controller`);
    }
    this.parts.push(data);
    this.have += data.length;
    return this.check();
  }

  private check(): Buffer | undefined {
    if (this.expected < 0 && this.have >= 4) {
      const head = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
      this.expected = head.readUInt16LE(0) + 4;
      if (this.expected > this.maxPdu) {
        const n = this.expected;
        this.reset();
        throw new HciError('TOO_LARGE', `L2CAP PDU of ${n} bytes exceeds ${this.maxPdu}`);
      }
    }
    if (this.expected < 0 || this.have < this.expected) return undefined;
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    const extra = this.have - this.expected;
    const n = this.expected;
    this.reset();
    if (extra > 0) throw new HciError('MALFORMED', `ACL fragments carry ${extra} byte(s) beyond the L2CAP PDU`);
    return all.subarray(0, n);
  }

  reset(): void {
    this.parts = [];
    this.have = 0;
    this.expected = -1;
  }
}
