import { DropError, type DropErrorCode } from '../errors.js';

// Strict validation of the JSON control messages: unknown keys and wrong types are protocol
// errors, so a peer cannot smuggle surprises into the file system layer.

export const PROTOCOL_VERSION = 1;
export const MAX_FILES = 10_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** One file as announced by the sender. */
export interface OfferedFile {
  /** Base name only: no directories. */
  name: string;
  size: number;
  /** Sender's modification time; with name, size and sender it identifies a file for resume. */
  mtimeMs: number;
}

export interface Offer {
  version: number;
  files: OfferedFile[];
}

/** Per file: where the receiver wants the data to start, and the SHA-256 of what it has. */
export interface ResumePoint {
  offset: number;
  prefixSha256?: string;
}

export interface Accept {
  /** Bytes the sender may have in flight before it gets CREDIT back. */
  window: number;
  files: ResumePoint[];
}

function fail(message: string): never {
  throw new DropError('DROP_PROTOCOL', message);
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], what: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${what}: unexpected field "${k}"`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Throws DROP_BAD_OFFER unless `name` is a plain file name safe to create in a folder. */
export function checkFileName(name: unknown): asserts name is string {
  const bad = (why: string): never => {
    throw new DropError('DROP_BAD_OFFER', `bad file name ${JSON.stringify(name)}: ${why}`);
  };
  if (typeof name !== 'string' || name.length === 0) bad('empty');
  const n = name as string;
  if (Buffer.byteLength(n, 'utf8') > 255) bad('longer than 255 bytes');
  if (n === '.' || n === '..') bad('not a file name');
  if (/[/\\]/.test(n)) bad('contains a path separator');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(n)) bad('contains control characters');
  if (n.endsWith('.part') || n.endsWith('.part.json')) bad('reserved suffix');
}

export function parseOffer(o: Record<string, unknown>): Offer {
  onlyKeys(o, ['version', 'files'], 'offer');
  if (o.version !== PROTOCOL_VERSION) {
    throw new DropError('DROP_BAD_OFFER', `unsupported drop protocol version ${String(o.version)}`);
  }
  if (!Array.isArray(o.files) || o.files.length === 0 || o.files.length > MAX_FILES) {
    throw new DropError('DROP_BAD_OFFER', `offer must list 1..${MAX_FILES} files`);
  }
  const seen = new Set<string>();
  const files = o.files.map((f: unknown): OfferedFile => {
    if (!isObject(f)) throw new DropError('DROP_BAD_OFFER', 'file entry is not an object');
    onlyKeys(f, ['name', 'size', 'mtimeMs'], 'offer file');
    checkFileName(f.name);
    if (!isSize(f.size)) throw new DropError('DROP_BAD_OFFER', `bad size for ${f.name}`);
    if (typeof f.mtimeMs !== 'number' || !Number.isFinite(f.mtimeMs) || f.mtimeMs < 0) {
      throw new DropError('DROP_BAD_OFFER', `bad mtime for ${f.name}`);
    }
    if (seen.has(f.name)) throw new DropError('DROP_BAD_OFFER', `file name ${f.name} offered twice`);
    seen.add(f.name);
    return { name: f.name, size: f.size, mtimeMs: f.mtimeMs };
  });
  return { version: PROTOCOL_VERSION, files };
}

export function parseAccept(o: Record<string, unknown>, offer: Offer): Accept {
  onlyKeys(o, ['window', 'files'], 'accept');
  if (!isSize(o.window) || o.window < 1) fail('accept: bad window');
  if (!Array.isArray(o.files) || o.files.length !== offer.files.length) fail('accept: one resume point per file');
  const files = o.files.map((r: unknown, i): ResumePoint => {
    if (!isObject(r)) fail('accept: resume point is not an object');
    onlyKeys(r, ['offset', 'prefixSha256'], 'resume point');
    if (!isSize(r.offset) || r.offset > offer.files[i]!.size) fail(`accept: bad offset for file ${i}`);
    if (r.offset === 0) {
      if (r.prefixSha256 !== undefined) fail('accept: prefix hash without a prefix');
      return { offset: 0 };
    }
    if (typeof r.prefixSha256 !== 'string' || !SHA256_HEX.test(r.prefixSha256)) fail(`accept: bad prefix hash for file ${i}`);
    return { offset: r.offset, prefixSha256: r.prefixSha256 };
  });
  return { window: o.window, files };
}

export function parseIndexed(o: Record<string, unknown>, keys: string[], what: string): Record<string, unknown> & { index: number } {
  onlyKeys(o, ['index', ...keys], what);
  if (!isSize(o.index)) fail(`${what}: bad index`);
  return o as Record<string, unknown> & { index: number };
}

export function isSha256Hex(v: unknown): v is string {
  return typeof v === 'string' && SHA256_HEX.test(v);
}

// The peer's words end up on our terminal: no control characters (escape sequences).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function parseErrorBody(o: Record<string, unknown>): { code: string; message: string } {
  const code = typeof o.code === 'string' ? o.code.slice(0, 64).replace(CONTROL, '?') : 'UNKNOWN';
  const message = typeof o.message === 'string' ? o.message.slice(0, 500).replace(CONTROL, '?') : '';
  return { code, message };
}

/**
 * Why a receiver turns an offer down: the `code` of a REJECT frame. A receiver may send a code
 * this version does not know; the sender treats it as DECLINED (still DROP_REJECTED), so new
 * reasons need no new protocol version.
 */
export type RejectCode =
  /** No particular reason (the user or the app said no). */
  | 'DECLINED'
  /** The receiver only accepts files from other devices. */
  | 'NOT_ALLOWED'
  /** The offer's total size is over the receiver's limit. */
  | 'TOO_LARGE'
  /** The receiver's file system lacks room for the offer. */
  | 'NO_SPACE';

const REJECT_ERRORS: Record<RejectCode, DropErrorCode> = {
  DECLINED: 'DROP_REJECTED',
  NOT_ALLOWED: 'DROP_NOT_ALLOWED',
  TOO_LARGE: 'DROP_TOO_LARGE',
  NO_SPACE: 'DROP_NO_SPACE',
};

/** The DropError codes of a REJECT: both ends already know why the transfer ended. */
export const REFUSAL_ERROR_CODES: readonly DropErrorCode[] = Object.values(REJECT_ERRORS);

export function isRejectCode(v: unknown): v is RejectCode {
  return typeof v === 'string' && Object.hasOwn(REJECT_ERRORS, v);
}

/** The DropError code both ends report for a REJECT with `code` (unknown codes: DROP_REJECTED). */
export function rejectErrorCode(code: string): DropErrorCode {
  return isRejectCode(code) ? REJECT_ERRORS[code] : 'DROP_REJECTED';
}
