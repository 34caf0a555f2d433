import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import { DropError } from '../errors.js';
import { failureActions, feedFrames } from './core.js';
import { FrameDecoder, FrameType, encodeControl, parseControl, type Frame } from './frames.js';
import {
  isRejectCode,
  isSha256Hex,
  isSize,
  parseErrorBody,
  parseIndexed,
  parseOffer,
  rejectErrorCode,
  type Offer,
  type OfferedFile,
  type RejectCode,
} from './messages.js';

/** What the receiver core asks its IO adapter to do, in order. */
export type ReceiverAction =
  | { type: 'send'; bytes: Uint8Array }
  /** An offer arrived: answer with `accept()` or `reject()`. */
  | { type: 'offer'; offer: Offer }
  /** Data for file `index` starts at `offset`: cut the partial copy to `offset` bytes. */
  | { type: 'file-start'; index: number; file: OfferedFile; offset: number; resumed: boolean }
  /** Write `data` at `offset` of file `index`, then call `written(data.length)`. */
  | { type: 'write'; index: number; offset: number; data: Uint8Array }
  | { type: 'progress'; index: number; received: number; size: number }
  /** File complete: keep it when `ok`, discard the partial copy when not. */
  | { type: 'file-end'; index: number; file: OfferedFile; sha256: string; ok: boolean }
  | { type: 'done' }
  | { type: 'error'; error: DropError };

/** What the receiver already holds of an offered file (from a `.part` left by an earlier try). */
export interface PartialFile {
  /** Bytes held; the sender continues from here if its own prefix has the same SHA-256. */
  offset: number;
  /** SHA-256 state after exactly those `offset` bytes; the core continues it with new data. */
  hash: Hash;
}

export interface AcceptOptions {
  /** Bytes the sender may have in flight unacknowledged (default 8 MiB); bounds memory. */
  window?: number;
}

type State = 'waiting-offer' | 'deciding' | 'receiving' | 'done' | 'failed';

/** Sans-IO receiver of the drop protocol. */
export class DropReceiver {
  readonly #decoder = new FrameDecoder();
  #state: State = 'waiting-offer';
  #offer: Offer | undefined;
  #partials: (PartialFile | undefined)[] = [];
  #window = 0;
  #inflight = 0;
  #index = -1;
  #pos = 0;
  #inFile = false;
  #hash: Hash = createHash('sha256');
  #completed = 0;

  get state(): State {
    return this.#state;
  }

  get offer(): Offer | undefined {
    return this.#offer;
  }

  receive(bytes: Uint8Array): ReceiverAction[] {
    return feedFrames<ReceiverAction>(this.#decoder, bytes, {
      frame: (frame, out) => this.#frame(frame, out),
      over: () => this.#over(),
      fail: (err) => this.#fail(err),
    });
  }

  /** Takes the offer. `partials[i]` describes what is already here of file i (or undefined). */
  accept(partials: (PartialFile | undefined)[] = [], options: AcceptOptions = {}): ReceiverAction[] {
    if (this.#state !== 'deciding') throw new Error('accept() without a pending offer');
    const offer = this.#offer!;
    this.#window = options.window ?? 8 * 1024 * 1024;
    this.#partials = offer.files.map((f, i) => {
      const p = partials[i];
      return p !== undefined && p.offset > 0 && p.offset <= f.size ? p : undefined;
    });
    this.#state = 'receiving';
    const files = this.#partials.map((p) => (p === undefined ? { offset: 0 } : { offset: p.offset, prefixSha256: p.hash.copy().digest('hex') }));
    return [{ type: 'send', bytes: encodeControl(FrameType.ACCEPT, { window: this.#window, files }) }];
  }

  /**
   * Turns the offer down with a reason; both ends then report the same error code
   * (DECLINED: DROP_REJECTED, NOT_ALLOWED: DROP_NOT_ALLOWED, TOO_LARGE: DROP_TOO_LARGE,
   * NO_SPACE: DROP_NO_SPACE). Nothing of the offer was written, and nothing will be.
   */
  reject(message: string, code: RejectCode = 'DECLINED'): ReceiverAction[] {
    if (this.#state !== 'deciding') throw new Error('reject() without a pending offer');
    if (!isRejectCode(code)) throw new Error(`unknown reject code ${String(code)}`);
    this.#state = 'failed';
    return [
      { type: 'send', bytes: encodeControl(FrameType.REJECT, { code, message }) },
      { type: 'error', error: new DropError(rejectErrorCode(code), message) },
    ];
  }

  /** `n` bytes of a `write` action reached storage: let the sender send that much more. */
  written(n: number): ReceiverAction[] {
    if (this.#over()) return [];
    this.#inflight -= n;
    return [{ type: 'send', bytes: encodeControl(FrameType.CREDIT, { bytes: n }) }];
  }

  /** The stream ended (or the adapter gave up). */
  end(error?: unknown): ReceiverAction[] {
    if (this.#over()) return [];
    return this.#fail(error ?? new DropError('DROP_CLOSED', 'the connection closed before the transfer finished'), false);
  }

  #over(): boolean {
    return this.#state === 'done' || this.#state === 'failed';
  }

  #fail(err: unknown, tell = true): ReceiverAction[] {
    this.#state = 'failed';
    return failureActions(err, tell, ['DROP_REMOTE_ERROR', 'DROP_CLOSED']);
  }

  #frame(frame: Frame, out: ReceiverAction[]): void {
    if (frame.type === FrameType.DATA) {
      this.#data(frame.payload, out);
      return;
    }
    const body = parseControl(frame);
    switch (frame.type) {
      case FrameType.OFFER: {
        if (this.#state !== 'waiting-offer') throw new DropError('DROP_PROTOCOL', 'a second OFFER');
        this.#offer = parseOffer(body);
        this.#state = 'deciding';
        out.push({ type: 'offer', offer: this.#offer });
        return;
      }
      case FrameType.FILE_START: {
        const m = parseIndexed(body, ['offset'], 'FILE_START');
        if (this.#state !== 'receiving' || this.#inFile || m.index !== this.#index + 1 || m.index >= this.#offer!.files.length) {
          throw new DropError('DROP_PROTOCOL', `unexpected FILE_START for file ${m.index}`);
        }
        const partial = this.#partials[m.index];
        const file = this.#offer!.files[m.index]!;
        if (m.offset === 0) {
          this.#hash = createHash('sha256');
        } else if (partial !== undefined && m.offset === partial.offset) {
          this.#hash = partial.hash;
        } else {
          throw new DropError('DROP_PROTOCOL', `FILE_START at offset ${String(m.offset)} we did not offer`);
        }
        this.#index = m.index;
        this.#pos = m.offset as number;
        this.#inFile = true;
        out.push({ type: 'file-start', index: m.index, file, offset: this.#pos, resumed: this.#pos > 0 });
        out.push({ type: 'progress', index: m.index, received: this.#pos, size: file.size });
        return;
      }
      case FrameType.FILE_END: {
        const m = parseIndexed(body, ['sha256'], 'FILE_END');
        const file = this.#offer?.files[m.index];
        if (!this.#inFile || m.index !== this.#index || file === undefined) {
          throw new DropError('DROP_PROTOCOL', `unexpected FILE_END for file ${m.index}`);
        }
        if (!isSha256Hex(m.sha256)) throw new DropError('DROP_PROTOCOL', 'FILE_END: bad sha256');
        if (this.#pos !== file.size) throw new DropError('DROP_PROTOCOL', `FILE_END after ${this.#pos} of ${file.size} bytes`);
        this.#inFile = false;
        const ours = this.#hash.digest();
        const ok = timingSafeEqual(ours, Buffer.from(m.sha256, 'hex'));
        out.push({ type: 'file-end', index: m.index, file, sha256: ours.toString('hex'), ok });
        out.push({
          type: 'send',
          bytes: encodeControl(FrameType.FILE_RESULT, ok ? { index: m.index, ok, sha256: ours.toString('hex') } : { index: m.index, ok, code: 'HASH_MISMATCH' }),
        });
        if (!ok) {
          this.#state = 'failed';
          out.push({ type: 'error', error: new DropError('DROP_HASH_MISMATCH', `${file.name}: SHA-256 differs from the sender's; the partial copy was discarded`) });
          return;
        }
        this.#completed++;
        if (this.#completed === this.#offer!.files.length) {
          this.#state = 'done';
          out.push({ type: 'done' });
        }
        return;
      }
      case FrameType.ERROR: {
        const e = parseErrorBody(body);
        throw new DropError('DROP_REMOTE_ERROR', `sender failed: ${e.code}: ${e.message}`);
      }
      default:
        throw new DropError('DROP_PROTOCOL', `unexpected frame type ${frame.type} at the receiver`);
    }
  }

  #data(data: Uint8Array, out: ReceiverAction[]): void {
    if (!this.#inFile) throw new DropError('DROP_PROTOCOL', 'DATA outside a file');
    const file = this.#offer!.files[this.#index]!;
    if (data.length === 0 || this.#pos + data.length > file.size) throw new DropError('DROP_PROTOCOL', `DATA beyond the size of ${file.name}`);
    this.#inflight += data.length;
    if (this.#inflight > this.#window) throw new DropError('DROP_PROTOCOL', 'sender ignored flow control');
    this.#hash.update(data);
    const offset = this.#pos;
    this.#pos += data.length;
    out.push({ type: 'write', index: this.#index, offset, data });
    out.push({ type: 'progress', index: this.#index, received: this.#pos, size: file.size });
  }
}

