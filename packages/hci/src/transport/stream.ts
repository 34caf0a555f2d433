import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import { HciError } from '../errors.js';
import { H4Deframer, type H4DeframerOptions } from '../codec/h4.js';
import { BaseTransport } from './types.js';

const debug = createDebug('pairkit:hci:transport');

/**
 * H4 over a byte stream (TCP, Unix socket, UART): deframes incoming bytes into whole
 * packets. Garbage is reported as a typed 'error'; in 'close' mode the transport closes.
 */
export class StreamTransport extends BaseTransport {
  private readonly deframer: H4Deframer;

  constructor(
    readonly stream: Duplex,
    readonly label: string,
    deframer: H4DeframerOptions = {},
  ) {
    super();
    this.deframer = new H4Deframer({ types: [0x02, 0x03, 0x04, 0x05], ...deframer });
    stream.on('data', (chunk: Buffer) => {
      const { packets, errors } = this.deframer.push(chunk);
      for (const p of packets) this.emit('data', p);
      for (const e of errors) {
        debug('%s: %s', label, e.message);
        if (this.listenerCount('error') > 0) this.emit('error', e);
      }
      if (this.deframer.closedError) this.ended();
    });
    stream.on('error', (e: Error) => {
      debug('%s: %s', label, e.message);
      const err = new HciError('TRANSPORT', `${label}: ${e.message}`, { cause: e });
      if (this.listenerCount('error') > 0) this.emit('error', err);
      this.ended();
    });
    stream.on('close', () => this.ended());
    stream.on('end', () => this.ended());
  }

  write(packet: Buffer): void {
    if (this.closed) throw new HciError('CLOSED', `${this.label}: transport is closed`);
    this.stream.write(packet);
  }

  protected doClose(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.destroyed) return resolve();
      this.stream.once('close', () => resolve());
      this.stream.destroy();
    });
  }
}
