import { EventEmitter } from 'node:events';
import type { HciError } from '../errors.js';

export interface HciTransportEvents {
  /** One whole H4 packet (indicator byte first) per event. */
  data: [packet: Buffer];
  /** A framing or IO error; framing errors in resync mode do not close the transport. */
  error: [err: HciError];
  close: [];
}

/**
 * What the host talks to: whole H4 packets in both directions. This is the same shape as
 * the `ble-host` npm transport (write(Buffer) + 'data'), so either host can sit on it.
 */
export interface HciTransport {
  write(packet: Buffer): void;
  on<K extends keyof HciTransportEvents>(event: K, listener: (...args: HciTransportEvents[K]) => void): this;
  off<K extends keyof HciTransportEvents>(event: K, listener: (...args: HciTransportEvents[K]) => void): this;
  close(): Promise<void>;
  readonly closed: boolean;
}

/** Base for transports: typed events, idempotent close. */
export abstract class BaseTransport extends EventEmitter<HciTransportEvents> implements HciTransport {
  private closing: Promise<void> | undefined;
  closed = false;

  abstract write(packet: Buffer): void;
  protected abstract doClose(): Promise<void> | void;

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.doClose();
      } finally {
        this.closed = true;
        this.emit('close');
      }
    })();
    return this.closing;
  }

  /** For subclasses: the far end went away. */
  protected ended(): void {
    if (this.closed || this.closing) return;
    void this.close();
  }
}
