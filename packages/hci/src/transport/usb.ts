import createDebug from 'debug';
import { HciError } from '../errors.js';
import { H4PacketType } from '../constants.js';
import { BaseTransport } from './types.js';

const debug = createDebug('pairkit:hci:usb');

// Minimal view of the optional `usb` package (node-usb 2.x/3.x legacy API).
interface UsbEndpoint {
  direction: 'in' | 'out';
  transferType: number;
  address: number;
  on(ev: 'data', cb: (d: Buffer) => void): unknown;
  on(ev: 'error', cb: (e: Error) => void): unknown;
  startPoll(n?: number, size?: number): void;
  stopPoll(cb?: () => void): void;
  transfer(data: Buffer, cb: (e?: Error) => void): void;
}
interface UsbInterface {
  endpoints: UsbEndpoint[];
  claim(): void;
  release(closeEndpoints: boolean, cb: (e?: Error) => void): void;
  isKernelDriverActive(): boolean;
  detachKernelDriver(): void;
}
interface UsbDevice {
  open(): void;
  close(): void;
  interface(n: number): UsbInterface;
  controlTransfer(type: number, req: number, value: number, index: number, data: Buffer, cb: (e?: Error) => void): void;
}

const TRANSFER_INTERRUPT = 3;
const TRANSFER_BULK = 2;

/** Collects packets that USB may split across transfers (events: 2-byte header, ACL: 4). */
export class UsbPacketAccumulator {
  private buf = Buffer.alloc(0);
  constructor(
    private readonly type: number,
    private readonly header: number,
    private readonly len: (b: Buffer) => number,
  ) {}
  push(chunk: Buffer): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= this.header) {
      const total = this.header + this.len(this.buf);
      if (this.buf.length < total) break;
      out.push(Buffer.concat([Buffer.from([this.type]), this.buf.subarray(0, total)]));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }
}

/**
 * HCI over USB (Core Vol 4 Part B): commands as class control transfers on endpoint 0,
 * events on the interrupt IN endpoint, ACL on the bulk endpoints. Not testable without
 * hardware; see the README.
 */
export class UsbTransport extends BaseTransport {
  private readonly events = new UsbPacketAccumulator(H4PacketType.Event, 2, (b) => b[1]);
  private readonly aclIn = new UsbPacketAccumulator(H4PacketType.ACL, 4, (b) => b.readUInt16LE(2));

  constructor(
    private readonly device: UsbDevice,
    private readonly iface: UsbInterface,
    private readonly evtEp: UsbEndpoint,
    private readonly bulkIn: UsbEndpoint,
    private readonly bulkOut: UsbEndpoint,
    readonly label: string,
  ) {
    super();
    const onErr = (e: Error) => {
      const err = new HciError('TRANSPORT', `${label}: ${e.message}`, { cause: e });
      if (this.listenerCount('error') > 0) this.emit('error', err);
      this.ended();
    };
    evtEp.on('data', (d) => this.events.push(d).forEach((p) => this.emit('data', p)));
    bulkIn.on('data', (d) => this.aclIn.push(d).forEach((p) => this.emit('data', p)));
    evtEp.on('error', onErr);
    bulkIn.on('error', onErr);
    evtEp.startPoll(3, 1024);
    bulkIn.startPoll(3, 4096);
  }

  write(packet: Buffer): void {
    if (this.closed) throw new HciError('CLOSED', `${this.label}: transport is closed`);
    const cb = (e?: Error) => {
      if (e) debug('%s write: %s', this.label, e.message);
    };
    const body = packet.subarray(1);
    if (packet[0] === H4PacketType.Command) this.device.controlTransfer(0x20, 0, 0, 0, body, cb);
    else if (packet[0] === H4PacketType.ACL) this.bulkOut.transfer(body, cb);
    else throw new HciError('NOT_SUPPORTED', `${this.label}: packet type 0x${packet[0].toString(16)} over USB`);
  }

  protected async doClose(): Promise<void> {
    await new Promise<void>((r) => this.evtEp.stopPoll(() => r()));
    await new Promise<void>((r) => this.bulkIn.stopPoll(() => r()));
    await new Promise<void>((r) => this.iface.release(true, () => r()));
    this.device.close();
  }
}

/** Open a USB Bluetooth controller by vendor/product id through the optional `usb` package. */
export async function openUsb(vendorId: number, productId: number): Promise<UsbTransport> {
  const label = `usb:${vendorId.toString(16).padStart(4, '0')}:${productId.toString(16).padStart(4, '0')}`;
  let findByIds: (vid: number, pid: number) => UsbDevice | undefined;
  try {
    const mod = (await import('usb' as string)) as { findByIds?: typeof findByIds; usb?: { findByIds?: typeof findByIds }; default?: { findByIds?: typeof findByIds } };
    findByIds = (mod.findByIds ?? mod.usb?.findByIds ?? mod.default?.findByIds)!;
    if (!findByIds) throw new Error('findByIds export missing');
  } catch (e) {
    throw new HciError('NOT_SUPPORTED', `${label}: the optional package usb is not installed or failed to load`, { cause: e });
  }
  const device = findByIds(vendorId, productId);
  if (!device) throw new HciError('TRANSPORT', `${label}: no such USB device`);
  try {
    device.open();
    const iface = device.interface(0);
    if (iface.isKernelDriverActive()) iface.detachKernelDriver();
    iface.claim();
    const evt = iface.endpoints.find((e) => e.direction === 'in' && e.transferType === TRANSFER_INTERRUPT);
    const bin = iface.endpoints.find((e) => e.direction === 'in' && e.transferType === TRANSFER_BULK);
    const bout = iface.endpoints.find((e) => e.direction === 'out' && e.transferType === TRANSFER_BULK);
    if (!evt || !bin || !bout) throw new Error('interface 0 lacks the HCI interrupt/bulk endpoints');
    return new UsbTransport(device, iface, evt, bin, bout, label);
  } catch (e) {
    try {
      device.close();
    } catch {
      /* already closed */
    }
    throw new HciError('TRANSPORT', `${label}: ${(e as Error).message}`, { cause: e });
  }
}
