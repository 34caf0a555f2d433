import { HciError } from '../errors.js';
import { BaseTransport } from './types.js';

/** One end of an in-process packet pipe. */
export class PipeTransport extends BaseTransport {
  peer: PipeTransport | undefined;

  write(packet: Buffer): void {
    if (this.closed) throw new HciError('CLOSED', 'transport is closed');
    const peer = this.peer;
    if (!peer || peer.closed) return;
    const copy = Buffer.from(packet);
    // Deliver asynchronously, as a real link would, so re-entrancy bugs show up in tests.
    setImmediate(() => {
      if (!peer.closed) peer.emit('data', copy);
    });
  }

  protected doClose(): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer && !peer.closed) setImmediate(() => void peer.close());
  }
}

/** Two connected in-process transports: what one writes, the other emits as 'data'. */
export function createPacketPipe(): [PipeTransport, PipeTransport] {
  const a = new PipeTransport();
  const b = new PipeTransport();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
