// Identifiers derived from keys. The device id is never taken from a claim: always computed here.
import { createHash } from 'node:crypto';
import { RegistryError } from './errors.js';

/** Domain separation so the id can never collide with another SHA-256 use of the same key. */
export const DEVICE_ID_LABEL = 'pairkit device id v1';
/** Bytes of the digest kept: 20 bytes = 160 bits, 32 base32 characters. */
export const DEVICE_ID_BYTES = 20;

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, no padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * deviceId = base32(SHA-256(utf8("pairkit device id v1") || 0x00 || publicKey)[0..20]).
 * 32 lowercase characters from [a-z2-7].
 */
export function deviceIdFromPublicKey(publicKey: Uint8Array): string {
  checkEd25519PublicKey(publicKey);
  const h = createHash('sha256');
  h.update(DEVICE_ID_LABEL, 'utf8');
  h.update(new Uint8Array([0]));
  h.update(publicKey);
  return base32(h.digest().subarray(0, DEVICE_ID_BYTES));
}

/**
 * libp2p peer id string: base58btc of the identity multihash (0x00, length) of the protobuf
 * PublicKey { Type = Ed25519 (1), Data = key }. Computed here rather than with @libp2p/peer-id,
 * which would add a tenth of a second to every `pair` start-up.
 */
export function peerIdFromEd25519PublicKey(publicKey: Uint8Array): string {
  checkEd25519PublicKey(publicKey);
  const protobuf = [0x08, 0x01, 0x12, publicKey.length, ...publicKey];
  return base58btc(Uint8Array.from([0x00, protobuf.length, ...protobuf]));
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Bitcoin base58 (no multibase prefix): each leading zero byte is a '1'. */
export function base58btc(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

/** Short, non-secret fingerprint for showing that a key exists: first 8 bytes of SHA-256, hex pairs. */
export function fingerprint(bytes: Uint8Array): string {
  const d = createHash('sha256').update('pairkit fingerprint v1\0').update(bytes).digest();
  return [...d.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function checkEd25519PublicKey(publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new RegistryError('INVALID_INPUT', 'an Ed25519 public key must be 32 bytes');
  }
}

const ADDR_RE = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;

/** Normalises "aa:bb:..." to upper case and checks the shape. */
export function normalizeBleAddress(address: string): string {
  const a = String(address).trim().toUpperCase();
  if (!ADDR_RE.test(a)) throw new RegistryError('INVALID_INPUT', `not a BLE address: ${JSON.stringify(address)}`);
  return a;
}
