// Security Manager cryptographic toolbox, Vol 3 Part H 2.2. Every argument and result
// is MSB-first as the spec prints it. AES and ah are hci's (GAP needs them for RPAs too).
import { createCipheriv } from 'node:crypto';
import { aes128, ah as hciAh } from '@pairkit/hci';
import { concat, xor } from './bytes.js';
import { SmpArgumentError } from './errors.js';

const ZERO16 = new Uint8Array(16);

function check(name: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new SmpArgumentError(`${name} must be ${length} octets`);
  }
}

/** e: the security function, AES-128 of one block. */
export function e(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  check('key', key, 16);
  check('plaintext', plaintext, 16);
  return new Uint8Array(aes128(key, plaintext));
}

function shiftLeft1(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = ((block[i] << 1) | (i < 15 ? block[i + 1] >>> 7 : 0)) & 0xff;
  return out;
}

/** RFC 4493 subkeys K1, K2 (exported for the intermediate vectors). */
export function cmacSubkeys(key: Uint8Array): { l: Uint8Array; k1: Uint8Array; k2: Uint8Array } {
  const l = e(key, ZERO16);
  const k1 = shiftLeft1(l);
  if (l[0] & 0x80) k1[15] ^= 0x87;
  const k2 = shiftLeft1(k1);
  if (k1[0] & 0x80) k2[15] ^= 0x87;
  return { l, k1, k2 };
}

/** AES-CMAC (RFC 4493), computed as one CBC pass over the message with the last block pre-masked. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  check('key', key, 16);
  const { k1, k2 } = cmacSubkeys(key);
  const blocks = Math.max(1, Math.ceil(message.length / 16));
  const complete = message.length > 0 && message.length % 16 === 0;
  const m = new Uint8Array(blocks * 16);
  m.set(message);
  if (!complete) m[message.length] = 0x80;
  const last = (blocks - 1) * 16;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) m[last + i] ^= sub[i];
  const c = createCipheriv('aes-128-cbc', key, ZERO16);
  c.setAutoPadding(false);
  const out = c.update(m);
  return new Uint8Array(out.subarray(out.length - 16));
}

/** f4: confirm values in LE Secure Connections. U, V: 256-bit X coordinates; X: 128-bit key; Z: 8 bits. */
export function f4(u: Uint8Array, v: Uint8Array, x: Uint8Array, z: number): Uint8Array {
  check('U', u, 32);
  check('V', v, 32);
  return aesCmac(x, concat(u, v, Uint8Array.of(z & 0xff)));
}

const F5_SALT = Uint8Array.from([0x6c, 0x88, 0x83, 0x91, 0xaa, 0xf5, 0xa5, 0x38, 0x60, 0x37, 0x0b, 0xdb, 0x5a, 0x60, 0x83, 0xbe]);
const KEY_ID_BTLE = Uint8Array.from([0x62, 0x74, 0x6c, 0x65]);
const LENGTH_256 = Uint8Array.from([0x01, 0x00]);

/** f5: MacKey and LTK from the DHKey W, nonces N1/N2 and 56-bit addresses A1/A2 (type octet first). */
export function f5(w: Uint8Array, n1: Uint8Array, n2: Uint8Array, a1: Uint8Array, a2: Uint8Array): { macKey: Uint8Array; ltk: Uint8Array } {
  check('W', w, 32);
  check('N1', n1, 16);
  check('N2', n2, 16);
  check('A1', a1, 7);
  check('A2', a2, 7);
  const t = aesCmac(F5_SALT, w);
  const body = (counter: number) => concat(Uint8Array.of(counter), KEY_ID_BTLE, n1, n2, a1, a2, LENGTH_256);
  return { macKey: aesCmac(t, body(0)), ltk: aesCmac(t, body(1)) };
}

/** The f5 intermediate T = AES-CMAC_SALT(W), exported for the vector test. */
export function f5T(w: Uint8Array): Uint8Array {
  check('W', w, 32);
  return aesCmac(F5_SALT, w);
}

/** f6: DHKey check values. R: 128 bits; IOcap: AuthReq || OOB flag || IO capability (24 bits). */
export function f6(w: Uint8Array, n1: Uint8Array, n2: Uint8Array, r: Uint8Array, ioCap: Uint8Array, a1: Uint8Array, a2: Uint8Array): Uint8Array {
  check('N1', n1, 16);
  check('N2', n2, 16);
  check('R', r, 16);
  check('IOcap', ioCap, 3);
  check('A1', a1, 7);
  check('A2', a2, 7);
  return aesCmac(w, concat(n1, n2, r, ioCap, a1, a2));
}

/** g2: the 32-bit numeric comparison value; show it as g2 mod 10^6 (see numericComparisonValue). */
export function g2(u: Uint8Array, v: Uint8Array, x: Uint8Array, y: Uint8Array): number {
  check('U', u, 32);
  check('V', v, 32);
  check('Y', y, 16);
  const mac = aesCmac(x, concat(u, v, y));
  return new DataView(mac.buffer, mac.byteOffset).getUint32(12);
}

/** The six digits a user compares, zero padded. */
export function numericComparisonValue(g2Value: number): string {
  return String(g2Value % 1_000_000).padStart(6, '0');
}

/** h6: link key conversion with a 32-bit keyID. */
export function h6(w: Uint8Array, keyId: Uint8Array): Uint8Array {
  check('keyID', keyId, 4);
  return aesCmac(w, keyId);
}

/** h7: link key conversion with a SALT (used when both sides set CT2). */
export function h7(salt: Uint8Array, w: Uint8Array): Uint8Array {
  check('SALT', salt, 16);
  check('W', w, 16);
  return aesCmac(salt, w);
}

/** ah: the random address hash; IRK k, 24-bit prand r, 24-bit result. */
export function ah(k: Uint8Array, r: Uint8Array): Uint8Array {
  check('key', k, 16);
  check('r', r, 3);
  return new Uint8Array(hciAh(k, r));
}

/**
 * c1: legacy confirm value. preq/pres: the 7-octet Pairing Request/Response as 56-bit
 * MSB-first values (the wire PDU reversed); iat/rat: address types (0 public, 1 random);
 * ia/ra: 48-bit addresses MSB-first.
 */
export function c1(k: Uint8Array, r: Uint8Array, preq: Uint8Array, pres: Uint8Array, iat: number, rat: number, ia: Uint8Array, ra: Uint8Array): Uint8Array {
  check('r', r, 16);
  check('preq', preq, 7);
  check('pres', pres, 7);
  check('ia', ia, 6);
  check('ra', ra, 6);
  const p1 = concat(pres, preq, Uint8Array.of(rat & 1), Uint8Array.of(iat & 1));
  const p2 = concat(new Uint8Array(4), ia, ra);
  return e(k, xor(e(k, xor(r, p1)), p2));
}

/** s1: legacy STK from the low 64 bits of r1 (Srand) and r2 (Mrand). */
export function s1(k: Uint8Array, r1: Uint8Array, r2: Uint8Array): Uint8Array {
  check('r1', r1, 16);
  check('r2', r2, 16);
  return e(k, concat(r1.subarray(8), r2.subarray(8)));
}

const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'ascii'));
const KEY_TMP1 = ascii('tmp1');
const KEY_TMP2 = ascii('tmp2');
const KEY_LEBR = ascii('lebr');
const KEY_BRLE = ascii('brle');
const salt = (id: Uint8Array) => concat(new Uint8Array(12), id);

/** Cross-transport key derivation, LE LTK -> BR/EDR link key (Vol 3 Part H 2.4.2.4). */
export function linkKeyFromLtk(ltk: Uint8Array, ct2: boolean): Uint8Array {
  const ilk = ct2 ? h7(salt(KEY_TMP1), ltk) : h6(ltk, KEY_TMP1);
  return h6(ilk, KEY_LEBR);
}

/** Cross-transport key derivation, BR/EDR link key -> LE LTK (Vol 3 Part H 2.4.2.5). */
export function ltkFromLinkKey(linkKey: Uint8Array, ct2: boolean): Uint8Array {
  const ilk = ct2 ? h7(salt(KEY_TMP2), linkKey) : h6(linkKey, KEY_TMP2);
  return h6(ilk, KEY_BRLE);
}

/**
 * Data signing (Vol 3 Part H 2.4.5, Vol 3 Part C 10.4.1): the 12-octet wire signature
 * SignCounter (LE) || MAC, where MAC = the 64 most significant bits of
 * AES-CMAC_CSRK over the MSB-first form of (message || SignCounter), sent LSB first.
 */
export function signData(csrk: Uint8Array, messageWire: Uint8Array, signCounter: number): Uint8Array {
  check('CSRK', csrk, 16);
  const counter = new Uint8Array(4);
  new DataView(counter.buffer).setUint32(0, signCounter >>> 0, true);
  const m = concat(messageWire, counter).reverse();
  const mac = aesCmac(csrk, m).subarray(0, 8);
  return concat(counter, Uint8Array.from(mac).reverse());
}
