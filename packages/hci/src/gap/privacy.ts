import { createCipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { HciError } from '../errors.js';
import { isValidAddress } from '../address.js';

/** AES-128 block encryption e(key, plaintext), both MSB-first as the spec prints them. */
export function aes128(key: Uint8Array, plaintext: Uint8Array): Buffer {
  if (key.length !== 16 || plaintext.length !== 16) throw new HciError('INVALID_PARAMETER', 'e() takes a 16-byte key and block');
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

/**
 * Random address hash ah(k, r) = e(k, 0^104 || r) mod 2^24 (Core Vol 3 Part H §2.2.2).
 * irk (16 bytes) and r (3 bytes) MSB-first; returns 3 bytes MSB-first.
 */
export function ah(irk: Uint8Array, r: Uint8Array): Buffer {
  if (r.length !== 3) throw new HciError('INVALID_PARAMETER', 'ah() takes a 3-byte r');
  const block = Buffer.alloc(16);
  block.set(r, 13);
  return aes128(irk, block).subarray(13);
}

function addressHex(address: string): Buffer {
  if (!isValidAddress(address)) throw new HciError('INVALID_PARAMETER', `not a Bluetooth address: ${JSON.stringify(address)}`);
  return Buffer.from(address.replace(/:/g, ''), 'hex'); // MSB-first, as displayed
}

function formatAddress(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':').toUpperCase();
}

/** A new static random address (two top bits 11, random part neither all 0 nor all 1). */
export function generateStaticRandomAddress(): string {
  for (;;) {
    const b = randomBytes(6);
    b[0] = (b[0] & 0x3f) | 0xc0;
    const rest = Buffer.from(b);
    rest[0] &= 0x3f;
    const zeros = rest.every((x) => x === 0);
    const ones = rest[0] === 0x3f && rest.subarray(1).every((x) => x === 0xff);
    if (!zeros && !ones) return formatAddress(b);
  }
}

/** A resolvable private address for `irk` (MSB-first): prand (top bits 01) || ah(irk, prand). */
export function generateResolvablePrivateAddress(irk: Uint8Array): string {
  for (;;) {
    const prand = randomBytes(3);
    prand[0] = (prand[0] & 0x3f) | 0x40;
    const randPart = Buffer.from(prand);
    randPart[0] &= 0x3f;
    if (randPart.every((x) => x === 0) || (randPart[0] === 0x3f && randPart[1] === 0xff && randPart[2] === 0xff)) continue;
    return formatAddress(Buffer.concat([prand, ah(irk, prand)]));
  }
}

export function isResolvablePrivateAddress(address: string): boolean {
  return isValidAddress(address) && addressHex(address)[0] >> 6 === 0b01;
}

/** Which IRK (index into `irks`) generated this RPA, or -1. */
export function resolvePrivateAddress(address: string, irks: readonly Uint8Array[]): number {
  if (!isResolvablePrivateAddress(address)) return -1;
  const b = addressHex(address);
  const prand = b.subarray(0, 3);
  const hash = b.subarray(3);
  for (let i = 0; i < irks.length; i++) {
    if (timingSafeEqual(ah(irks[i], prand), hash)) return i;
  }
  return -1;
}
