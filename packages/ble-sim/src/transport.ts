import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import type { SimController } from './controller.js';
import { SimError } from './errors.js';
import { H4Deframer } from './h4.js';

const log = createDebug('pairkit:ble-sim:transport');

export interface SimTransportEvents {
  /** One whole H4 packet from the controller. */
  data: [Buffer];
  error: [Error];
  close: [];
}

/**
 * In-process attachment of a host to a SimController: `write(Buffer)` in, one `'data'`
 * event per whole H4 packet out. This is the transport shape the npm `ble-host` package
 * expects, and what @pairkit/hci's `sim` transport can wrap.
 *
 * Packets to the host are delivered asynchronously (batched on setImmediate), as from
 * a real transport, so a host never re-enters itself from inside its own write().
 */
export class SimTransport extends EventEmitter<SimTransportEvents> {
  private readonly deframer = new H4Deframer();
  private queue: Buffer[] = [];
  private scheduled = false;
  private closed = false;
  private readonly onPacket = (p: Buffer): void => {
    this.queue.push(p);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  };

  constructor(readonly controller: SimController) {
    super();
    controller.on('packet', this.onPacket);
    controller.once('close', () => this.close());
  }

  /** Bytes from the host; may hold part of a packet or several packets. */
  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    try {
      for (const pkt of this.deframer.push(data)) this.controller.receive(pkt);
    } catch (e) {
      if (!(e instanceof SimError)) throw e;
      log('closing after bad input: %s', e.message);
      this.emit('error', e);
      this.close();
      return false;
    }
    return true;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const p of batch) {
      if (this.closed) return;
      this.emit('data', p);
    }
  };

  /** Detach; the controller leaves the air. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller.off('packet', this.onPacket);
    this.queue = [];
    this.controller.close();
    this.emit('close');
  }
}
