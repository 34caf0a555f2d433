import { createHash, type Hash } from 'node:crypto';
import { DropError } from '../errors.js';
import { failureActions, feedFrames } from './core.js';
import { FrameDecoder, FrameType, encodeControl, encodeFrame, parseControl, type Frame } from './frames.js';
import {
  PROTOCOL_VERSION,
  checkFileName,
  isSize,
  parseAccept,
  parseErrorBody,
  parseIndexed,
  rejectErrorCode,
  REFUSAL_ERROR_CODES,
  type Accept,
  type OfferedFile,
} from './messages.js';

/** What the sender core asks its IO adapter to do, in order. */
export type SenderAction =
  /** Write these bytes to the stream. */
  | { type: 'send'; bytes: Uint8Array }
  /** Read up to `length` bytes of file `index` at `offset` and hand them to `provide()`. */
  | { type: 'read'; index: number; offset: number; length: number }
  /** Receiver resumes file `index` at `offset` (0 when its partial copy did not match). */
  | { type: 'file-start'; index: number; offset: number; resumed: boolean }
  | { type: 'progress'; index: number; sent: number; size: number }
  /** The receiver confirmed file `index` arrived whole with the same SHA-256. */
  | { type: 'file-done'; index: number; sha256: string }
  | { type: 'done' }
  | { type: 'error'; error: DropError };

export interface SenderOptions {
  /** Largest DATA frame (default 256 KiB). */
  chunkSize?: number;
}

type State = 'idle' | 'offered' | 'prefix' | 'sending' | 'awaiting-results' | 'done' | 'failed';

/**
 * Sans-IO sender of the drop protocol: feed it the stream's bytes (`receive`) and the file
 * bytes it asks for (`provide`); it returns the actions to perform. It never reads a file
 * ahead of the receiver's credit, so memory stays bounded by the receiver's window.
 */
export class DropSender {
  readonly files: readonly OfferedFile[];
  readonly #chunk: number;
  readonly #decoder = new FrameDecoder();
  #state: State = 'idle';
  #accept: Accept | undefined;
  #credit = 0;
  #index = 0;
  #pos = 0;
  #hash: Hash = createHash('sha256');
  #reading: { offset: number; length: number } | undefined;
  #results = 0;
  #ended = 0;

  constructor(files: OfferedFile[], options: SenderOptions = {}) {
    if (files.length === 0) throw new DropError('DROP_USAGE', 'nothing to send');
    for (const f of files) {
      checkFileName(f.name);
      if (!isSize(f.size)) throw new DropError('DROP_USAGE', `bad size for ${f.name}`);
    }
    if (new Set(files.map((f) => f.name)).size !== files.length) {
      throw new DropError('DROP_USAGE', 'two files with the same name');
    }
    this.files = files.map((f) => ({ ...f }));
    this.#chunk = options.chunkSize ?? 256 * 1024;
  }

  get state(): State {
    return this.#state;
  }

  /** Sends the offer. */
  start(): SenderAction[] {
    if (this.#state !== 'idle') throw new Error('start() called twice');
    this.#state = 'offered';
    return [{ type: 'send', bytes: encodeControl(FrameType.OFFER, { version: PROTOCOL_VERSION, files: this.files }) }];
  }

  /** Bytes from the stream. */
  receive(bytes: Uint8Array): SenderAction[] {
    return feedFrames<SenderAction>(this.#decoder, bytes, {
      frame: (frame, out) => this.#frame(frame, out),
      over: () => this.#over(),
      fail: (err) => this.#fail(err),
    });
  }

  /** The bytes for the last `read` action (fewer than asked is fine; none means the file ended early). */
  provide(data: Uint8Array): SenderAction[] {
    if (this.#over()) return [];
    const want = this.#reading;
    if (want === undefined) throw new Error('provide() without a pending read');
    this.#reading = undefined;
    const out: SenderAction[] = [];
    try {
      if (data.length === 0 || data.length > want.length) {
        throw new DropError('DROP_SOURCE_CHANGED', `${this.files[this.#index]!.name} is shorter than announced`);
      }
      this.#hash.update(data);
      this.#pos += data.length;
      if (this.#state === 'prefix') {
        this.#continuePrefix(out);
      } else {
        out.push({ type: 'send', bytes: encodeFrame(FrameType.DATA, data) });
        this.#credit -= data.length;
        out.push({ type: 'progress', index: this.#index, sent: this.#pos, size: this.files[this.#index]!.size });
        this.#pump(out);
      }
    } catch (err) {
      return [...out, ...this.#fail(err)];
    }
    return out;
  }

  /** The stream ended (or the adapter gave up); anything but a finished transfer is an error. */
  end(error?: unknown): SenderAction[] {
    if (this.#over()) return [];
    return this.#fail(error ?? new DropError('DROP_CLOSED', 'the connection closed before the transfer finished'), false);
  }

  #over(): boolean {
    return this.#state === 'done' || this.#state === 'failed';
  }

  #fail(err: unknown, tell = true): SenderAction[] {
    this.#state = 'failed';
    return failureActions(err, tell, ['DROP_REMOTE_ERROR', ...REFUSAL_ERROR_CODES, 'DROP_CLOSED']);
  }

  #frame(frame: Frame, out: SenderAction[]): void {
    const body = parseControlUnlessData(frame);
    switch (frame.type) {
      case FrameType.ACCEPT: {
        if (this.#state !== 'offered') throw new DropError('DROP_PROTOCOL', 'unexpected ACCEPT');
        this.#accept = parseAccept(body, { version: PROTOCOL_VERSION, files: [...this.files] });
        this.#credit = this.#accept.window;
        this.#beginFile(0, out);
        return;
      }
      case FrameType.REJECT: {
        const e = parseErrorBody(body);
        const code = rejectErrorCode(e.code);
        const verb = code === 'DROP_REJECTED' ? 'declined' : 'refused';
        throw new DropError(code, `the receiver ${verb}: ${e.message || e.code}`);
      }
      case FrameType.CREDIT: {
        if (this.#accept === undefined) throw new DropError('DROP_PROTOCOL', 'CREDIT before ACCEPT');
        if (!isSize(body.bytes) || body.bytes < 1) throw new DropError('DROP_PROTOCOL', 'bad CREDIT');
        this.#credit += body.bytes;
        if (this.#credit > this.#accept.window) throw new DropError('DROP_PROTOCOL', 'credit beyond the window');
        this.#pump(out);
        return;
      }
      case FrameType.FILE_RESULT: {
        const r = parseIndexed(body, ['ok', 'sha256', 'code'], 'FILE_RESULT');
        if (r.index !== this.#results || r.index >= this.#ended) {
          throw new DropError('DROP_PROTOCOL', `unexpected FILE_RESULT for file ${r.index}`);
        }
        if (r.ok !== true) {
          const name = this.files[r.index]!.name;
          throw new DropError('DROP_HASH_MISMATCH', `the receiver's copy of ${name} does not match (${String(r.code ?? 'failed')})`);
        }
        this.#results++;
        out.push({ type: 'file-done', index: r.index, sha256: String(r.sha256) });
        if (this.#results === this.files.length) {
          this.#state = 'done';
          out.push({ type: 'done' });
        }
        return;
      }
      case FrameType.ERROR: {
        const e = parseErrorBody(body);
        throw new DropError('DROP_REMOTE_ERROR', `receiver failed: ${e.code}: ${e.message}`);
      }
      default:
        throw new DropError('DROP_PROTOCOL', `unexpected frame type ${frame.type} at the sender`);
    }
  }

  #beginFile(index: number, out: SenderAction[]): void {
    this.#index = index;
    this.#hash = createHash('sha256');
    this.#pos = 0;
    const resume = this.#accept!.files[index]!;
    if (resume.offset > 0) {
      // The receiver kept a partial copy: check it matches our prefix before continuing.
      this.#state = 'prefix';
      this.#continuePrefix(out);
    } else {
      this.#startData(0, out);
    }
  }

  #continuePrefix(out: SenderAction[]): void {
    const resume = this.#accept!.files[this.#index]!;
    if (this.#pos < resume.offset) {
      this.#read(Math.min(this.#chunk, resume.offset - this.#pos), out);
      return;
    }
    const ours = this.#hash.copy().digest('hex');
    if (ours === resume.prefixSha256) {
      this.#startData(resume.offset, out);
    } else {
      this.#hash = createHash('sha256');
      this.#pos = 0;
      this.#startData(0, out);
    }
  }

  #startData(offset: number, out: SenderAction[]): void {
    this.#state = 'sending';
    this.#pos = offset;
    out.push({ type: 'send', bytes: encodeControl(FrameType.FILE_START, { index: this.#index, offset }) });
    out.push({ type: 'file-start', index: this.#index, offset, resumed: offset > 0 });
    this.#pump(out);
  }

  #read(length: number, out: SenderAction[]): void {
    this.#reading = { offset: this.#pos, length };
    out.push({ type: 'read', index: this.#index, offset: this.#pos, length });
  }

  #pump(out: SenderAction[]): void {
    while (this.#state === 'sending' && this.#reading === undefined) {
      const size = this.files[this.#index]!.size;
      if (this.#pos < size) {
        if (this.#credit <= 0) return;
        this.#read(Math.min(this.#chunk, this.#credit, size - this.#pos), out);
        return;
      }
      out.push({ type: 'send', bytes: encodeControl(FrameType.FILE_END, { index: this.#index, sha256: this.#hash.digest('hex') }) });
      this.#ended++;
      if (this.#index + 1 < this.files.length) {
        this.#beginFile(this.#index + 1, out);
        return;
      }
      this.#state = 'awaiting-results';
    }
  }
}

function parseControlUnlessData(frame: Frame): Record<string, unknown> {
  if (frame.type === FrameType.DATA) throw new DropError('DROP_PROTOCOL', 'DATA sent to the sender');
  return parseControl(frame);
}
