// What a receiver checks before it accepts an offer. Pure functions: the adapter passes in
// what it measured (the file system's free space, the partial copies it holds), so the rules
// are testable without a full disk.
import { formatBytes } from '../bytes.js';
import type { Offer, RejectCode } from './messages.js';

/** A reason to turn an offer down, as sent in the REJECT frame. */
export interface Refusal {
  code: RejectCode;
  message: string;
}

/** Free space of the target folder's file system (from `statfs`). */
export interface FreeSpace {
  /** Bytes an unprivileged writer may still use (`bavail * bsize`). */
  available: number;
  /** Allocation unit: every file takes whole blocks. */
  blockSize: number;
}

/** The offer's total size in bytes. */
export function offerSize(offer: Offer): number {
  return offer.files.reduce((n, f) => n + f.size, 0);
}

/** Two sizes as people read them; exact bytes when rounding would make them look equal. */
function sizes(a: number, b: number): [string, string] {
  const [fa, fb] = [formatBytes(a), formatBytes(b)];
  return fa === fb ? [`${a} bytes`, `${b} bytes`] : [fa, fb];
}

function files(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}

/** TOO_LARGE when the offer's total is over `maxBytes` (a total equal to it is fine). */
export function checkMaxSize(offer: Offer, maxBytes: number | undefined): Refusal | undefined {
  if (maxBytes === undefined) return undefined;
  const total = offerSize(offer);
  if (total <= maxBytes) return undefined;
  const [t, m] = sizes(total, maxBytes);
  return { code: 'TOO_LARGE', message: `${files(offer.files.length)} of ${t} is over this receiver's limit of ${m}` };
}

/**
 * Disk the offer still needs: each file's missing bytes (`held[i]` are already there from an
 * earlier try) rounded up to whole blocks, plus one block per file for its resume record.
 */
export function spaceNeeded(offer: Offer, held: readonly number[], blockSize: number): number {
  const block = Math.max(1, blockSize);
  return offer.files.reduce((n, f, i) => {
    const missing = Math.max(0, f.size - (held[i] ?? 0));
    return n + Math.ceil(missing / block) * block + block;
  }, 0);
}

/** NO_SPACE when the offer does not fit in what the file system has left. */
export function checkFreeSpace(offer: Offer, held: readonly number[], space: FreeSpace): Refusal | undefined {
  const needed = spaceNeeded(offer, held, space.blockSize);
  if (needed <= space.available) return undefined;
  const [n, a] = sizes(needed, space.available);
  return { code: 'NO_SPACE', message: `not enough disk space: ${files(offer.files.length)} ${offer.files.length === 1 ? 'needs' : 'need'} ${n}, ${a} free` };
}
