import { HciError } from '../errors.js';
import { BaseTransport } from './types.js';

/**
 * The in-process transport shape shared with `ble-host` and ble-sim's SimTransport:
 * `write(packet)` sends one whole H4 packet, a 'data' event delivers one whole H4 packet.
 */
export interface PacketPort {
  write(packet: Buffer): unknown;
  on(event: 'data', listener: (packet: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  off?(event: 'data' | 'close', listener: (...a: never[]) => void): unknown;
  close?(): unknown;
}

/** Adapt a PacketPort (e.g. ble-sim's SimTransport) to an HciTransport. */
export class PacketPortTransport extends BaseTransport {
  // No copy: a port hands over each packet in its own buffer (SimTransport, ble-host style).
  private readonly onPortData = (p: Buffer) => {
    if (!this.closed) this.emit('data', p);
  };
  private readonly onPortClose = () => this.ended();

  constructor(readonly port: PacketPort) {
    super();
    port.on('data', this.onPortData);
    port.on('close', this.onPortClose);
  }

  write(packet: Buffer): void {
    if (this.closed) throw new HciError('CLOSED', 'transport is closed');
    this.port.write(packet);
  }

  protected async doClose(): Promise<void> {
    this.port.off?.('data', this.onPortData);
    this.port.off?.('close', this.onPortClose);
    await this.port.close?.();
  }
}

export function fromPacketPort(port: PacketPort): PacketPortTransport {
  return new PacketPortTransport(port);
}
