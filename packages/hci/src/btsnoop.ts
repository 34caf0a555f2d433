import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { HciError } from './errors.js';
import { H4PacketType } from './constants.js';
import { BaseTransport, type HciTransport } from './transport/types.js';

/** BTSnoop datalink type for H4 (UART) framing: each record starts with the packet indicator. */
export const BTSNOOP_DATALINK_H4 = 1002;
const MAGIC = Buffer.from('btsnoop\0', 'latin1');
/** Microseconds from 0000-01-01 (the BTSnoop epoch) to 1970-01-01. */
const EPOCH_DELTA_US = 0x00dcddb30f2f8000n;

export type BtsnoopDirection = 'sent' | 'received';

export interface BtsnoopRecord {
  /** 'sent' = host to controller, 'received' = controller to host. */
  direction: BtsnoopDirection;
  /** Microseconds since the Unix epoch. */
  timestampUs: bigint;
  /** Whole H4 packet, indicator byte first. */
  packet: Buffer;
  flags: number;
  drops: number;
}

function flagsFor(direction: BtsnoopDirection, packet: Buffer): number {
  const isCmdEvt = packet[0] === H4PacketType.Command || packet[0] === H4PacketType.Event;
  return (direction === 'received' ? 1 : 0) | (isCmdEvt ? 2 : 0);
}

export function encodeBtsnoopHeader(): Buffer {
  const h = Buffer.alloc(16);
  MAGIC.copy(h, 0);
  h.writeUInt32BE(1, 8);
  h.writeUInt32BE(BTSNOOP_DATALINK_H4, 12);
  return h;
}

export function encodeBtsnoopRecord(direction: BtsnoopDirection, packet: Buffer, timestampUs: bigint): Buffer {
  const r = Buffer.alloc(24 + packet.length);
  r.writeUInt32BE(packet.length, 0);
  r.writeUInt32BE(packet.length, 4);
  r.writeUInt32BE(flagsFor(direction, packet), 8);
  r.writeUInt32BE(0, 12);
  r.writeBigInt64BE(timestampUs + EPOCH_DELTA_US, 16);
  packet.copy(r, 24);
  return r;
}

/** Parse a whole BTSnoop file (datalink 1002). Throws HciError BTSNOOP_FORMAT. */
export function parseBtsnoop(data: Buffer): BtsnoopRecord[] {
  if (data.length < 16 || !data.subarray(0, 8).equals(MAGIC)) throw new HciError('BTSNOOP_FORMAT', 'not a BTSnoop file');
  const version = data.readUInt32BE(8);
  const datalink = data.readUInt32BE(12);
  if (version !== 1) throw new HciError('BTSNOOP_FORMAT', `BTSnoop version ${version} unsupported`);
  if (datalink !== BTSNOOP_DATALINK_H4) throw new HciError('BTSNOOP_FORMAT', `datalink ${datalink} unsupported (expected 1002, H4)`);
  const out: BtsnoopRecord[] = [];
  let off = 16;
  while (off < data.length) {
    if (data.length - off < 24) throw new HciError('BTSNOOP_FORMAT', `truncated record header at offset ${off}`);
    const incl = data.readUInt32BE(off + 4);
    const flags = data.readUInt32BE(off + 8);
    const drops = data.readUInt32BE(off + 12);
    const ts = data.readBigInt64BE(off + 16) - EPOCH_DELTA_US;
    if (data.length - off - 24 < incl) throw new HciError('BTSNOOP_FORMAT', `truncated record at offset ${off}`);
    out.push({ direction: flags & 1 ? 'received' : 'sent', timestampUs: ts, packet: Buffer.from(data.subarray(off + 24, off + 24 + incl)), flags, drops });
    off += 24 + incl;
  }
  return out;
}

export async function readBtsnoop(path: string): Promise<BtsnoopRecord[]> {
  return parseBtsnoop(await readFile(path));
}

/** Writes a BTSnoop capture that Wireshark opens (H4 datalink, direction flags, timestamps). */
export class BtsnoopWriter {
  private readonly out: WriteStream;
  private done: Promise<void> | undefined;

  constructor(
    readonly path: string,
    private readonly clockUs: () => bigint = () => BigInt(Date.now()) * 1000n,
  ) {
    this.out = createWriteStream(path, { mode: 0o600 });
    this.out.on('error', () => {}); // surfaced by close()
    this.out.write(encodeBtsnoopHeader());
  }

  record(direction: BtsnoopDirection, packet: Buffer): void {
    if (this.done) return;
    this.out.write(encodeBtsnoopRecord(direction, packet, this.clockUs()));
  }

  /** Wrap a transport: everything written is 'sent', every 'data' packet is 'received'. */
  tap(transport: HciTransport): HciTransport {
    return new TappedTransport(transport, this);
  }

  close(): Promise<void> {
    this.done ??= new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
    return this.done;
  }
}

class TappedTransport extends BaseTransport {
  private readonly onData = (p: Buffer) => {
    this.writer.record('received', p);
    this.emit('data', p);
  };
  private readonly onErr = (e: HciError) => {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  };
  private readonly onClose = () => this.ended();

  constructor(
    private readonly inner: HciTransport,
    private readonly writer: BtsnoopWriter,
  ) {
    super();
    inner.on('data', this.onData);
    inner.on('error', this.onErr);
    inner.on('close', this.onClose);
  }
  write(packet: Buffer): void {
    this.writer.record('sent', packet);
    this.inner.write(packet);
  }
  protected async doClose(): Promise<void> {
    this.inner.off('data', this.onData);
    this.inner.off('error', this.onErr);
    this.inner.off('close', this.onClose);
    await this.inner.close();
  }
}
