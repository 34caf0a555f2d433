import type { Stream } from '@libp2p/interface';
import type { PairedDevice } from '@pairkit/registry';
import { PairkitError } from './errors.js';

/** Options of anything that waits. */
export interface WaitOptions {
  signal?: AbortSignal;
}

function chunkBytes(chunk: Uint8Array | { subarray(): Uint8Array }): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray();
}

function abortReason(signal: AbortSignal, what: string): PairkitError {
  const r: unknown = signal.reason;
  const timeout = r instanceof Error && r.name === 'TimeoutError';
  return new PairkitError(timeout ? 'TIMEOUT' : 'ABORTED', `${what}: ${timeout ? 'timed out' : 'aborted'}`, { cause: r });
}

/**
 * An authenticated byte channel to one paired device, on one protocol. Read it with
 * `for await (const bytes of channel)`, write with `await channel.write(bytes)` (resolves
 * when the transport takes more, so a fast writer cannot fill memory), then `close()`.
 * It keeps one reader on the libp2p stream for its whole life, so no byte is lost between
 * the handshake and the app.
 */
export class Channel implements AsyncIterable<Uint8Array> {
  /** The paired device at the other end (as it was when the channel opened). */
  readonly device: PairedDevice;
  readonly protocol: string;
  /** The underlying libp2p stream, for advanced use. */
  readonly stream: Stream;
  readonly #it: AsyncIterator<Uint8Array | { subarray(): Uint8Array }>;
  #leftover: Uint8Array | undefined;
  #reading = false;

  /** @internal */
  constructor(stream: Stream, device: PairedDevice, protocol: string) {
    this.stream = stream;
    this.device = device;
    this.protocol = protocol;
    this.#it = stream[Symbol.asyncIterator]();
  }

  /** Reads the next chunk (undefined at the end), honouring `signal`. @internal */
  async next(options: WaitOptions = {}): Promise<Uint8Array | undefined> {
    if (this.#leftover !== undefined) {
      const l = this.#leftover;
      this.#leftover = undefined;
      return l;
    }
    const { signal } = options;
    if (signal?.aborted === true) throw abortReason(signal, 'read');
    let onAbort: (() => void) | undefined;
    const aborted =
      signal === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            onAbort = () => reject(abortReason(signal, 'read'));
            signal.addEventListener('abort', onAbort, { once: true });
          });
    try {
      const r = await (aborted === undefined ? this.#it.next() : Promise.race([this.#it.next(), aborted]));
      return r.done === true ? undefined : chunkBytes(r.value);
    } catch (err) {
      if (err instanceof PairkitError) throw err;
      throw new PairkitError('CHANNEL_CLOSED', `channel failed: ${(err as Error).message}`, { cause: err });
    } finally {
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
    }
  }

  /** Puts bytes back in front of the stream. @internal */
  unshift(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#leftover = this.#leftover === undefined ? bytes : Buffer.concat([bytes, this.#leftover]);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#reading) throw new PairkitError('CHANNEL_BUSY', 'a channel can only be read by one loop at a time');
    this.#reading = true;
    try {
      for (;;) {
        const chunk = await this.next();
        if (chunk === undefined) return;
        yield chunk;
      }
    } finally {
      this.#reading = false;
    }
  }

  /** Sends bytes; resolves once the stream can take more (backpressure). */
  async write(bytes: Uint8Array, options: WaitOptions = {}): Promise<void> {
    let more: boolean;
    try {
      more = this.stream.send(bytes);
    } catch (err) {
      throw new PairkitError('CHANNEL_CLOSED', `cannot write: ${(err as Error).message}`, { cause: err });
    }
    if (!more) {
      try {
        await this.stream.onDrain({ signal: options.signal });
      } catch (err) {
        if (options.signal?.aborted === true) throw abortReason(options.signal, 'write');
        throw new PairkitError('CHANNEL_CLOSED', `cannot write: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /** Ends our side gracefully (after buffered bytes are sent). */
  async close(options: WaitOptions = {}): Promise<void> {
    await this.stream.close({ signal: options.signal }).catch(() => {});
  }

  /** Resets the stream at once; the peer sees an error. */
  abort(err: Error): void {
    this.stream.abort(err);
  }
}

// The accepting side of a @pairkit/net channel sends one status frame first (a varint
// length, then JSON {"ok":true} or {"ok":false,"code","message"}). We read it through the
// channel's single reader so bytes that follow in the same chunk stay in the channel.
const MAX_STATUS = 1024;

export async function readChannelStatus(channel: Channel, options: WaitOptions & { timeoutMs?: number }): Promise<void> {
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 10_000), ...(options.signal ? [options.signal] : [])]);
  let buf = new Uint8Array(0);
  for (;;) {
    let length = 0;
    let header = 0;
    for (let i = 0; i < Math.min(buf.length, 3); i++) {
      length += (buf[i]! & 0x7f) * 2 ** (7 * i);
      if ((buf[i]! & 0x80) === 0) {
        header = i + 1;
        break;
      }
    }
    if (header === 0 && buf.length >= 3) throw new PairkitError('CHANNEL_MALFORMED', 'bad channel status frame');
    if (header > 0 && length > MAX_STATUS) throw new PairkitError('CHANNEL_MALFORMED', 'channel status frame too large');
    if (header > 0 && buf.length >= header + length) {
      channel.unshift(buf.subarray(header + length));
      let status: { ok?: unknown; code?: unknown; message?: unknown };
      try {
        status = JSON.parse(Buffer.from(buf.subarray(header, header + length)).toString('utf8')) as typeof status;
      } catch (cause) {
        throw new PairkitError('CHANNEL_MALFORMED', 'channel status is not JSON', { cause });
      }
      if (status.ok === true) return;
      const code = typeof status.code === 'string' ? status.code : 'REFUSED';
      const detail = typeof status.message === 'string' ? ` (${status.message.slice(0, 200)})` : '';
      throw new PairkitError(
        code === 'NOT_PAIRED' ? 'PEER_NOT_PAIRED' : 'CHANNEL_REFUSED',
        `${channel.device.name} (${channel.device.deviceId}) refused ${channel.protocol}: ${code}${detail}`,
      );
    }
    const chunk = await channel.next({ signal });
    if (chunk === undefined) throw new PairkitError('CHANNEL_CLOSED', `${channel.device.deviceId} closed ${channel.protocol} before accepting it`);
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
  }
}
