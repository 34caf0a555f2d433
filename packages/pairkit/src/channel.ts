import type { Stream } from '@libp2p/interface';
import type { PairedDevice } from '@pairkit/registry';
import { PairkitError } from './errors.js';
import { withTimeout } from './util.js';

/** Options of anything that waits. */
export interface WaitOptions {
  signal?: AbortSignal;
}

/** Above this many unread bytes the stream is paused; below LOW_WATER it resumes. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** Yamux's largest stream window, plus room for one more message. */
const MAX_IN_FLIGHT = 16 * 1024 * 1024 + HIGH_WATER + 1024 * 1024;

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
 * It listens to the libp2p stream from the moment it exists, so no byte is lost between the
 * handshake and the app, and it pauses the stream while the app is more than 1 MiB behind, so
 * a slow reader does not fill memory either.
 */
export class Channel implements AsyncIterable<Uint8Array> {
  /** The paired device at the other end (as it was when the channel opened). */
  readonly device: PairedDevice;
  readonly protocol: string;
  /**
   * The underlying libp2p stream, for its status or low-level writes. Read through the channel
   * only: it takes every incoming byte from the moment it exists (iterating `stream` as well
   * would see the data twice, and the channel pauses the stream when its own reader lags).
   */
  readonly stream: Stream;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  #reading = false;

  /** @internal */
  constructor(stream: Stream, device: PairedDevice, protocol: string) {
    this.stream = stream;
    this.device = device;
    this.protocol = protocol;
    // Pausing stops yamux window updates, but what is already in flight (up to the 16 MiB
    // window) still arrives into the stream's read buffer: make room for it.
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, MAX_IN_FLIGHT);
    stream.addEventListener('message', (evt) => {
      const bytes = chunkBytes(evt.data);
      this.#queue.push(bytes);
      this.#queued += bytes.length;
      if (this.#queued > HIGH_WATER && stream.readStatus === 'readable') stream.pause();
      this.#wakeUp();
    });
    // 'end': the remote finished and everything buffered was delivered. A 'close' without an
    // error may come earlier, while paused data is still buffered, so only errors count there.
    stream.addEventListener('end', () => this.#end(undefined));
    stream.addEventListener('close', (evt) => {
      if (evt.error != null) this.#end(evt.error);
    });
    // The stream may have ended already with bytes still buffered (multistream-select puts
    // back what it read past the handshake, after 'end' fired). Adding our 'message' listener
    // queued a microtask that delivers them; end after it.
    if (stream.readableEnded) queueMicrotask(() => this.#end(undefined));
  }

  /** Bytes received and not yet read by the app (stays near 1 MiB: a slow reader pauses the sender). */
  get readableLength(): number {
    return this.#queued;
  }

  #end(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Reads the next chunk (undefined at the end), honouring `signal`. @internal */
  async next(options: WaitOptions = {}): Promise<Uint8Array | undefined> {
    const { signal } = options;
    for (;;) {
      if (this.#queue.length > 0) {
        const chunk = this.#queue.shift()!;
        this.#queued -= chunk.length;
        if (this.#queued <= LOW_WATER && this.stream.readStatus === 'paused') {
          try {
            this.stream.resume();
          } catch {
            // closing: nothing more will arrive anyway
          }
        }
        return chunk;
      }
      if (this.#error !== undefined) {
        throw new PairkitError('CHANNEL_CLOSED', `channel failed: ${this.#error.message}`, { cause: this.#error });
      }
      if (this.#ended) return undefined;
      if (signal?.aborted === true) throw abortReason(signal, 'read');
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.#wake = undefined;
          reject(abortReason(signal!, 'read'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
  }

  /** Puts bytes back in front of the stream. @internal */
  unshift(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#queue.unshift(bytes);
    this.#queued += bytes.length;
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
  const signal = withTimeout(options.signal, options.timeoutMs ?? 10_000);
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
