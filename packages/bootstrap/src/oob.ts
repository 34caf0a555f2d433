// LE Secure Connections OOB data (Vol 3 Part H 2.3.5.6.4): this device's address, r and
// C = f4(PKx, PKx, r, 0), carried as a checksummed text (`pairkit-oob:...`, also shown as a QR)
// or as AD structures (Core Spec Supplement Part A: 0x1B, 0x22, 0x23, 0x1C).
import { createHash } from 'node:crypto';
import { f4, generateScOobData, P256KeyPair, type ScOobData } from '@pairkit/smp';
import { addressOctets, addressText, type LeAddress } from './context.js';
import { BootstrapError } from './errors.js';
import { concat, equalBytes, isBytes, reversed, toHex } from './bytes.js';
import { base32Decode, base32Encode } from './base32.js';

export const OOB_TEXT_PREFIX = 'pairkit-oob:';
export const OOB_TEXT_VERSION = 1;
/** Default lifetime of printed OOB data: long enough to scan a QR, short enough to go stale. */
export const DEFAULT_OOB_TTL_MS = 10 * 60_000;

/** AD types from the Assigned Numbers used by OOB data. */
export const AdType = {
  LE_BLUETOOTH_DEVICE_ADDRESS: 0x1b,
  LE_ROLE: 0x1c,
  LE_SC_CONFIRMATION_VALUE: 0x22,
  LE_SC_RANDOM_VALUE: 0x23,
} as const;

/** LE Role AD values. */
export type LeRole = 'peripheral' | 'central' | 'peripheral-preferred' | 'central-preferred';
const ROLE_VALUES: LeRole[] = ['peripheral', 'central', 'peripheral-preferred', 'central-preferred'];

/** One device's LE SC OOB data. r and c are MSB-first, as the toolbox takes them. */
export interface OobData {
  address: LeAddress;
  r: Uint8Array;
  c: Uint8Array;
  /** Unix ms; the text form always carries one (second resolution), AD structures have none. */
  expiresAt?: number;
  role?: LeRole;
}

const BODY_BYTES = 1 + 1 + 6 + 16 + 16 + 4;
const CHECKSUM_BYTES = 4;
const CHECKSUM_LABEL = new TextEncoder().encode('pairkit-oob checksum');

function checksum(body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(CHECKSUM_LABEL).update(body).digest().subarray(0, CHECKSUM_BYTES));
}

function checkData(d: OobData): void {
  if (d == null || typeof d !== 'object') throw new BootstrapError('INVALID_INPUT', 'OOB data must be an object');
  addressOctets(d.address?.address);
  if (d.address.type !== 'public' && d.address.type !== 'random') throw new BootstrapError('INVALID_INPUT', 'bad address type');
  if (!isBytes(d.r, 16) || !isBytes(d.c, 16)) throw new BootstrapError('INVALID_INPUT', 'r and C must be 16 octets');
  if (d.role !== undefined && !ROLE_VALUES.includes(d.role)) throw new BootstrapError('INVALID_INPUT', `bad role: ${String(d.role)}`);
}

/** `pairkit-oob:` + base32 of version, address type, address, r, C, expiry (s), checksum. */
export function encodeOobText(d: OobData): string {
  checkData(d);
  if (d.expiresAt === undefined || !Number.isFinite(d.expiresAt) || d.expiresAt <= 0) {
    throw new BootstrapError('INVALID_INPUT', 'the text form needs an expiry');
  }
  const secs = Math.ceil(d.expiresAt / 1000);
  if (secs > 0xffffffff) throw new BootstrapError('INVALID_INPUT', 'expiry out of range');
  const exp = new Uint8Array(4);
  new DataView(exp.buffer).setUint32(0, secs);
  const body = concat(Uint8Array.of(OOB_TEXT_VERSION, d.address.type === 'random' ? 1 : 0), addressOctets(d.address.address), d.r, d.c, exp);
  return OOB_TEXT_PREFIX + base32Encode(concat(body, checksum(body)));
}

export interface ParseOobOptions {
  /** Current time, ms. Data at or past its expiry fails with EXPIRED. */
  now: number;
}

/** Parses the text form. Tolerates case, spaces and hyphens (a hand-typed copy). */
export function parseOobText(input: string, opts: ParseOobOptions): OobData {
  if (typeof input !== 'string') throw new BootstrapError('INVALID_INPUT', 'OOB text must be a string');
  const s = input.trim();
  if (s.slice(0, OOB_TEXT_PREFIX.length).toLowerCase() !== OOB_TEXT_PREFIX) {
    throw new BootstrapError('MALFORMED', `OOB text must start with ${OOB_TEXT_PREFIX}`);
  }
  const raw = base32Decode(s.slice(OOB_TEXT_PREFIX.length).replace(/[\s-]/g, ''));
  if (raw.length < 1) throw new BootstrapError('MALFORMED', 'OOB text is empty');
  if (raw[0] !== OOB_TEXT_VERSION) throw new BootstrapError('UNSUPPORTED_VERSION', `OOB text version ${raw[0]}`);
  if (raw.length !== BODY_BYTES + CHECKSUM_BYTES) throw new BootstrapError('MALFORMED', `OOB text has ${raw.length} octets, expected ${BODY_BYTES + CHECKSUM_BYTES}`);
  const body = raw.subarray(0, BODY_BYTES);
  if (!equalBytes(checksum(body), raw.subarray(BODY_BYTES))) throw new BootstrapError('BAD_CHECKSUM', 'OOB text checksum does not match (typo or cut off?)');
  if (body[1] > 1) throw new BootstrapError('MALFORMED', `bad address type ${body[1]}`);
  const secs = new DataView(body.buffer, body.byteOffset + 40, 4).getUint32(0);
  const data: OobData = {
    address: { address: addressText(body.subarray(2, 8)), type: body[1] === 1 ? 'random' : 'public' },
    r: Uint8Array.from(body.subarray(8, 24)),
    c: Uint8Array.from(body.subarray(24, 40)),
    expiresAt: secs * 1000,
  };
  checkFresh(data, opts);
  return data;
}

function checkFresh(d: OobData, opts: ParseOobOptions): void {
  if (!Number.isFinite(opts?.now)) throw new BootstrapError('INVALID_INPUT', 'now must be a number');
  if (d.expiresAt !== undefined && opts.now >= d.expiresAt) throw new BootstrapError('EXPIRED', 'the OOB data expired; ask for fresh data');
}

function ad(type: number, data: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(data.length + 1, type), data);
}

/** AD structures: 0x1B address (LE order + type octet), 0x22 C, 0x23 r (LE order), 0x1C role if set. */
export function encodeOobAd(d: OobData): Uint8Array {
  checkData(d);
  const parts = [
    ad(AdType.LE_BLUETOOTH_DEVICE_ADDRESS, concat(reversed(addressOctets(d.address.address)), Uint8Array.of(d.address.type === 'random' ? 1 : 0))),
    ad(AdType.LE_SC_CONFIRMATION_VALUE, reversed(d.c)),
    ad(AdType.LE_SC_RANDOM_VALUE, reversed(d.r)),
  ];
  if (d.role !== undefined) parts.push(ad(AdType.LE_ROLE, Uint8Array.of(ROLE_VALUES.indexOf(d.role))));
  return concat(...parts);
}

/** Parses AD structures; other AD types are skipped, a duplicate or a bad length is an error. */
export function parseOobAd(bytes: Uint8Array): OobData {
  if (!isBytes(bytes)) throw new BootstrapError('INVALID_INPUT', 'AD must be bytes');
  const seen = new Map<number, Uint8Array>();
  let o = 0;
  while (o < bytes.length) {
    const len = bytes[o];
    if (len === 0) {
      // A zero length ends the significant part; only zero padding may follow.
      if (bytes.subarray(o).some((b) => b !== 0)) throw new BootstrapError('MALFORMED', 'data after the AD terminator');
      break;
    }
    if (o + 1 + len > bytes.length) throw new BootstrapError('MALFORMED', 'AD structure runs past the end');
    const type = bytes[o + 1];
    const data = bytes.subarray(o + 2, o + 1 + len);
    o += 1 + len;
    const want = ({ 0x1b: 7, 0x1c: 1, 0x22: 16, 0x23: 16 } as Record<number, number>)[type];
    if (want === undefined) continue;
    if (data.length !== want) throw new BootstrapError('MALFORMED', `AD type 0x${type.toString(16)} has ${data.length} octets, expected ${want}`);
    if (seen.has(type)) throw new BootstrapError('MALFORMED', `AD type 0x${type.toString(16)} appears twice`);
    seen.set(type, data);
  }
  const a = seen.get(AdType.LE_BLUETOOTH_DEVICE_ADDRESS);
  const c = seen.get(AdType.LE_SC_CONFIRMATION_VALUE);
  const r = seen.get(AdType.LE_SC_RANDOM_VALUE);
  if (!a || !c || !r) throw new BootstrapError('MALFORMED', 'OOB AD needs the address (0x1B), C (0x22) and r (0x23)');
  if (a[6] > 1) throw new BootstrapError('MALFORMED', `bad address type ${a[6]}`);
  const out: OobData = {
    address: { address: addressText(reversed(a.subarray(0, 6))), type: a[6] === 1 ? 'random' : 'public' },
    r: reversed(r),
    c: reversed(c),
  };
  const role = seen.get(AdType.LE_ROLE);
  if (role) {
    if (role[0] > 3) throw new BootstrapError('MALFORMED', `bad LE role ${role[0]}`);
    out.role = ROLE_VALUES[role[0]];
  }
  return out;
}

/** `--oob DATA`: the text form, or AD structures in hex. */
export function parseOobInput(input: string, opts: ParseOobOptions): OobData {
  if (typeof input !== 'string') throw new BootstrapError('INVALID_INPUT', 'OOB data must be a string');
  const s = input.trim();
  if (s.toLowerCase().startsWith(OOB_TEXT_PREFIX)) return parseOobText(s, opts);
  const hex = s.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (hex.length > 0 && hex.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(hex)) return parseOobAd(new Uint8Array(Buffer.from(hex, 'hex')));
  throw new BootstrapError('MALFORMED', `OOB data must be ${OOB_TEXT_PREFIX}... text or AD structures in hex`);
}

/**
 * Checks C against r and the public key the peer used in SMP: what SMP does in phase 2 for
 * OOB. A mismatch (forged data, or data made with another key pair) is CONFIRM_VALUE_FAILED.
 */
export function checkOobConfirm(d: Pick<OobData, 'r' | 'c'>, peerPublicKeyX: Uint8Array): void {
  if (!isBytes(peerPublicKeyX, 32)) throw new BootstrapError('INVALID_INPUT', 'public key X must be 32 octets');
  if (!equalBytes(f4(peerPublicKeyX, peerPublicKeyX, d.r, 0), d.c)) {
    throw new BootstrapError('CONFIRM_VALUE_FAILED', 'the OOB confirmation value does not match the peer public key');
  }
}

export interface LocalOob {
  /** What to print (text / QR / AD). */
  data: OobData;
  /** What SMP needs to pair with it: keep until the pairing ran, then drop. */
  sc: ScOobData;
}

export interface CreateOobOptions {
  address: LeAddress;
  now: number;
  ttlMs?: number;
  role?: LeRole;
  keyPair?: P256KeyPair;
}

/** Makes fresh OOB data for this device (new key pair, r, C) with an expiry. */
export function createLocalOob(opts: CreateOobOptions): LocalOob {
  const sc = generateScOobData(opts.keyPair ?? P256KeyPair.generate());
  const ttl = opts.ttlMs ?? DEFAULT_OOB_TTL_MS;
  if (!Number.isFinite(opts.now) || !Number.isFinite(ttl) || ttl <= 0) throw new BootstrapError('INVALID_INPUT', 'now and ttlMs must be numbers');
  const data: OobData = { address: { ...opts.address }, r: Uint8Array.from(sc.r), c: Uint8Array.from(sc.c), expiresAt: opts.now + ttl };
  if (opts.role) data.role = opts.role;
  checkData(data);
  return { data, sc };
}

/** The OOB data as the hex string of its AD structures. */
export function oobAdHex(d: OobData): string {
  return toHex(encodeOobAd(d));
}
