import { DropError } from './errors.js';

// Byte counts as people write and read them. K/M/G/T (and KiB/MiB/...) are powers of 1024,
// KB/MB/GB/TB powers of 1000, as in GNU coreutils; a bare number (or a B suffix) is bytes.

const POWERS: Record<string, number> = { '': 0, K: 1, M: 2, G: 3, T: 4 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(?:([KMGT])(i?B|B)?|B)?$/i;

/** Parses `500M`, `2G`, `1.5GiB`, `10MB`, `4096` into bytes; anything else is DROP_USAGE. */
export function parseSize(text: string): number {
  const m = SIZE.exec(text.trim());
  if (m === null) {
    throw new DropError('DROP_USAGE', `bad size ${JSON.stringify(text)}: use bytes or a number with K, M, G or T (500M, 2G)`);
  }
  const unit = (m[2] ?? '').toUpperCase();
  const decimal = m[3] !== undefined && m[3].toUpperCase() === 'B';
  const bytes = Math.floor(Number(m[1]) * (decimal ? 1000 : 1024) ** POWERS[unit]!);
  if (!Number.isSafeInteger(bytes)) throw new DropError('DROP_USAGE', `size ${JSON.stringify(text)} is too large`);
  return bytes;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
