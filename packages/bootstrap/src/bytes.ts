// Small byte helpers shared by the formats.
import { timingSafeEqual } from 'node:crypto';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function reversed(a: Uint8Array): Uint8Array {
  return Uint8Array.from(a).reverse();
}

export function toHex(a: Uint8Array): string {
  return Buffer.from(a).toString('hex');
}

export function isBytes(v: unknown, length?: number): v is Uint8Array {
  return v instanceof Uint8Array && (length === undefined || v.length === length);
}
