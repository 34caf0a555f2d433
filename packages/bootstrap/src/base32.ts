// RFC 4648 base32, lowercase, no padding. Decoding is strict: unknown characters and
// non-zero leftover bits are errors (two texts never decode to the same octets).
import { BootstrapError } from './errors.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Encoding is the registry's (the same alphabet as device ids). */
export { base32 as base32Encode } from '@pairkit/registry';

export function base32Decode(text: string): Uint8Array {
  const s = text.toLowerCase();
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new BootstrapError('MALFORMED', `not a base32 character: ${JSON.stringify(ch)}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits >= 5 || acc !== 0) throw new BootstrapError('MALFORMED', 'base32 text has a bad length or trailing bits');
  return Uint8Array.from(out);
}
