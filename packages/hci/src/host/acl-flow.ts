import { PacketBoundary } from '../constants.js';
import { encodeAcl } from '../codec/packets.js';
import { HciError } from '../errors.js';

interface Pdu {
  fragments: Buffer[];
  done: () => void;
  fail: (e: HciError) => void;
}

/**
 * Sans-IO host->controller ACL flow control (Core Vol 4 Part E §4.1.1): fragments L2CAP PDUs
 * to the controller's LE ACL buffer size and sends no more packets than it has free buffers,
 * counting them back with Number Of Completed Packets. Connections are served round-robin.
 */
export class AclFlow {
  private maxLength = 27;
  private total = 1;
  private inFlight = 0;
  private readonly perHandle = new Map<number, number>();
  private readonly queues = new Map<number, Pdu[]>();
  private rr: number[] = [];

  setBuffers(maxLength: number, total: number): void {
    if (maxLength < 1 || total < 1) throw new HciError('INVALID_PARAMETER', `bad ACL buffer size ${maxLength} x ${total}`);
    this.maxLength = maxLength;
    this.total = total;
  }
  get bufferSize(): { maxLength: number; total: number; free: number } {
    return { maxLength: this.maxLength, total: this.total, free: this.total - this.inFlight };
  }

  /** Queue one L2CAP PDU (basic header included). Resolves when the last fragment went out. */
  send(handle: number, pdu: Buffer): Promise<void> {
    const fragments: Buffer[] = [];
    // An empty PDU still goes out as one (empty) start fragment.
    for (let off = 0; off === 0 || off < pdu.length; off += this.maxLength) {
      const pb = off === 0 ? PacketBoundary.FirstNonFlushable : PacketBoundary.Continuing;
      fragments.push(encodeAcl(handle, pb, 0, pdu.subarray(off, off + this.maxLength)));
    }
    return new Promise((done, fail) => {
      let q = this.queues.get(handle);
      if (!q) {
        q = [];
        this.queues.set(handle, q);
        this.rr.push(handle);
      }
      q.push({ fragments, done, fail });
    });
  }

  /** ACL packets that fit in the controller's free buffers now. */
  drain(): Buffer[] {
    const out: Buffer[] = [];
    while (this.inFlight < this.total && this.rr.length > 0) {
      const handle = this.rr.shift()!;
      const q = this.queues.get(handle)!;
      const pdu = q[0];
      out.push(pdu.fragments.shift()!);
      this.inFlight++;
      this.perHandle.set(handle, (this.perHandle.get(handle) ?? 0) + 1);
      if (pdu.fragments.length === 0) {
        q.shift();
        pdu.done();
      }
      if (q.length > 0) this.rr.push(handle);
      else this.queues.delete(handle);
    }
    return out;
  }

  /** Number Of Completed Packets for one handle. */
  completed(handle: number, n: number): void {
    const had = this.perHandle.get(handle) ?? 0;
    const k = Math.min(had, n); // ignore over-reporting controllers
    this.perHandle.set(handle, had - k);
    this.inFlight -= k;
  }

  /** A connection ended: its buffers are free again and queued data is dropped. */
  disconnected(handle: number, err: HciError): void {
    this.inFlight -= this.perHandle.get(handle) ?? 0;
    this.perHandle.delete(handle);
    const q = this.queues.get(handle);
    this.queues.delete(handle);
    this.rr = this.rr.filter((h) => h !== handle);
    for (const p of q ?? []) p.fail(err);
  }

  close(err: HciError): void {
    for (const h of [...this.queues.keys()]) this.disconnected(h, err);
    this.inFlight = 0;
  }
}
