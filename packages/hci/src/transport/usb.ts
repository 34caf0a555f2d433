import createDebug from 'debug';
import { HciError } from '../errors.js';
import { H4PacketType } from '../constants.js';
import { BaseTransport } from './types.js';

const debug = createDebug('pairkit:hci:usb');

// Minimal view of the WebUSB API that the optional `usb` package (2.x and 3.x) provides.
interface WebUsbEndpoint {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt' | 'isochronous';
}
interface WebUsbDevice {
  configuration: { interfaces: { interfaceNumber: number; alternate: { endpoints: WebUsbEndpoint[] } }[] } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(n: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  controlTransferOut(
    setup: { requestType: 'class'; recipient: 'device'; request: number; value: number; index: number },
    data: Uint8Array,
  ): Promise<unknown>;
  transferIn(endpointNumber: number, length: number): Promise<{ data?: DataView; status: string }>;
  transferOut(endpointNumber: number, data: Uint8Array): Promise<unknown>;
}
interface WebUsb {
  findDeviceByIds?(vid: number, pid: number): Promise<WebUsbDevice | undefined>;
  getDevices(): Promise<(WebUsbDevice & { vendorId: number; productId: number })[]>;
}

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
  private readonly loops: Promise<void>[];

  constructor(
    private readonly device: WebUsbDevice,
    evtEp: number,
    bulkIn: number,
    private readonly bulkOut: number,
    readonly label: string,
  ) {
    super();
    this.loops = [this.readLoop(evtEp, 1024, this.events), this.readLoop(bulkIn, 4096, this.aclIn)];
  }

  private async readLoop(ep: number, size: number, acc: UsbPacketAccumulator): Promise<void> {
    while (!this.closed) {
      try {
        const r = await this.device.transferIn(ep, size);
        if (this.closed) return;
        if (r.data && r.data.byteLength > 0) {
          for (const p of acc.push(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength))) this.emit('data', p);
        }
      } catch (e) {
        if (this.closed) return;
        const err = new HciError('TRANSPORT', `${this.label}: ${(e as Error).message}`, { cause: e });
        if (this.listenerCount('error') > 0) this.emit('error', err);
        this.ended();
        return;
      }
    }
  }

  write(packet: Buffer): void {
    if (this.closed) throw new HciError('CLOSED', `${this.label}: transport is closed`);
    const fail = (e: Error) => debug('%s write: %s', this.label, e.message);
    const body = packet.subarray(1);
    if (packet[0] === H4PacketType.Command) {
      this.device.controlTransferOut({ requestType: 'class', recipient: 'device', request: 0, value: 0, index: 0 }, body).catch(fail);
    } else if (packet[0] === H4PacketType.ACL) {
      this.device.transferOut(this.bulkOut, body).catch(fail);
    } else {
      throw new HciError('NOT_SUPPORTED', `${this.label}: packet type 0x${packet[0].toString(16)} over USB`);
    }
  }

  protected async doClose(): Promise<void> {
    await this.device.releaseInterface(0).catch(() => {});
    await this.device.close().catch(() => {}); // pending transferIn calls fail and the loops end
    await Promise.allSettled(this.loops);
  }
}

/** Open a USB Bluetooth controller by vendor/product id through the optional `usb` package (WebUSB API). */
export async function openUsb(vendorId: number, productId: number): Promise<UsbTransport> {
  const label = `usb:${vendorId.toString(16).padStart(4, '0')}:${productId.toString(16).padStart(4, '0')}`;
  let webusb: WebUsb;
  try {
    const mod = (await import('usb' as string)) as { WebUSB?: new (o: { allowAllDevices: boolean }) => WebUsb; default?: { WebUSB?: new (o: { allowAllDevices: boolean }) => WebUsb } };
    const WebUSB = mod.WebUSB ?? mod.default?.WebUSB;
    if (!WebUSB) throw new Error('WebUSB export missing');
    webusb = new WebUSB({ allowAllDevices: true });
  } catch (e) {
    throw new HciError('NOT_SUPPORTED', `${label}: the optional package usb is not installed or failed to load`, { cause: e });
  }
  let device: WebUsbDevice | undefined;
  try {
    device = webusb.findDeviceByIds
      ? await webusb.findDeviceByIds(vendorId, productId)
      : (await webusb.getDevices()).find((d) => d.vendorId === vendorId && d.productId === productId);
  } catch (e) {
    throw new HciError('TRANSPORT', `${label}: cannot list USB devices: ${(e as Error).message}`, { cause: e });
  }
  if (!device) throw new HciError('TRANSPORT', `${label}: no such USB device`);
  try {
    await device.open();
    if (device.configuration === null) await device.selectConfiguration(1);
    // The kernel's btusb driver must not own the device (unbind it first on Linux).
    await device.claimInterface(0);
    const eps = device.configuration?.interfaces.find((i) => i.interfaceNumber === 0)?.alternate.endpoints ?? [];
    const evt = eps.find((e) => e.direction === 'in' && e.type === 'interrupt');
    const bin = eps.find((e) => e.direction === 'in' && e.type === 'bulk');
    const bout = eps.find((e) => e.direction === 'out' && e.type === 'bulk');
    if (!evt || !bin || !bout) throw new Error('interface 0 lacks the HCI interrupt/bulk endpoints');
    return new UsbTransport(device, evt.endpointNumber, bin.endpointNumber, bout.endpointNumber, label);
  } catch (e) {
    await device.close().catch(() => {});
    throw new HciError('TRANSPORT', `${label}: ${(e as Error).message}`, { cause: e });
  }
}
