// The BLE out-of-band handover: what the initiator sends the joiner over the LE credit-based
// channel once SMP has encrypted the link. Sealed again (ChaCha20-Poly1305) under a key derived
// from the SMP LTK, so confidentiality never rests on the controller alone. See HANDOVER.md.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { address56, type LeAddress } from './context.js';
import { BootstrapError } from './errors.js';
import { concat, isBytes } from './bytes.js';

/** Version of the sealed envelope and of the payload inside it. */
export const HANDOVER_VERSION = 1;
/** "PKHO": first octets of every sealed handover. */
export const HANDOVER_MAGIC = Uint8Array.from([0x50, 0x4b, 0x48, 0x4f]);
/** HKDF info label; a distinct label keeps this key apart from every other use of the LTK. */
export const HANDOVER_KEY_LABEL = 'pairkit/bootstrap/handover-key/v1';
export const HANDOVER_SALT_BYTES = 32;
export const HANDOVER_TAG_BYTES = 16;
/** Largest sealed handover accepted (fits in one LE credit-based SDU of our MTU). */
export const MAX_HANDOVER_BYTES = 4096;
export const MAX_HANDOVER_ADDRS = 16;
export const MAX_MULTIADDR_BYTES = 512;
export const MAX_PEER_ID_BYTES = 128;
export const CODE_SECRET_BYTES = 16;

const HEADER_BYTES = HANDOVER_MAGIC.length + 1 + HANDOVER_SALT_BYTES;
// One message per key (the salt is fresh per message), so a fixed nonce never repeats under a key.
const NONCE = new Uint8Array(12);
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
const PEER_ID_RE = /^[1-9A-HJ-NP-Za-km-z]+$/; // base58btc

/** What the initiator hands over. */
export interface HandoverPayload {
  /** The network pairing code's secret: the 16 octets of entropy behind the 12 words. Never log it. */
  codeSecret: Uint8Array;
  /** The initiator's libp2p peer id (base58btc). */
  peerId: string;
  /** Where the joiner dials the initiator directly. */
  multiaddrs: string[];
  /** Unix ms after which the joiner refuses the handover (the code's own expiry). */
  expiresAt: number;
}

/** The link the handover is bound to. Both sides must pass the same values. */
export interface HandoverContext {
  /** The SMP LTK of this link (16 octets as SMP gives it). */
  ltk: Uint8Array;
  /** The initiator's BLE address (the advertising peripheral) and the joiner's (the central). */
  initiator: LeAddress;
  joiner: LeAddress;
  /** The LE credit-based channel's PSM. */
  psm: number;
}

/** The HKDF info: label, both addresses (type octet + MSB-first), the PSM. */
function keyInfo(ctx: HandoverContext): Uint8Array {
  if (!Number.isInteger(ctx.psm) || ctx.psm < 1 || ctx.psm > 0xffff) {
    throw new BootstrapError('INVALID_INPUT', `bad PSM: ${String(ctx.psm)}`);
  }
  const psm = Uint8Array.of(ctx.psm >>> 8, ctx.psm & 0xff);
  return concat(enc.encode(HANDOVER_KEY_LABEL), Uint8Array.of(0), address56(ctx.initiator), address56(ctx.joiner), psm);
}

/** HKDF-SHA256(ikm = LTK, salt = the message's salt, info = label || addresses || PSM), 32 octets. */
export function deriveHandoverKey(ctx: HandoverContext, salt: Uint8Array): Uint8Array {
  if (!isBytes(ctx.ltk, 16)) throw new BootstrapError('INVALID_INPUT', 'LTK must be 16 octets');
  if (!isBytes(salt, HANDOVER_SALT_BYTES)) throw new BootstrapError('INVALID_INPUT', 'salt must be 32 octets');
  return new Uint8Array(hkdfSync('sha256', ctx.ltk, salt, keyInfo(ctx), 32));
}

/** Plaintext layout: version, expiresAt, code secret, peer id, multiaddrs (HANDOVER.md). */
export function encodeHandoverPayload(p: HandoverPayload): Uint8Array {
  if (!isBytes(p.codeSecret, CODE_SECRET_BYTES)) throw new BootstrapError('INVALID_INPUT', 'codeSecret must be 16 octets');
  if (!Number.isSafeInteger(p.expiresAt) || p.expiresAt <= 0) throw new BootstrapError('INVALID_INPUT', 'expiresAt must be a positive integer (ms)');
  const peerId = checkPeerId(p.peerId, 'INVALID_INPUT');
  if (!Array.isArray(p.multiaddrs) || p.multiaddrs.length > MAX_HANDOVER_ADDRS) {
    throw new BootstrapError('INVALID_INPUT', `at most ${MAX_HANDOVER_ADDRS} multiaddrs`);
  }
  const addrs = p.multiaddrs.map((a) => checkMultiaddr(a, 'INVALID_INPUT'));
  const parts: Uint8Array[] = [Uint8Array.of(HANDOVER_VERSION), u64(p.expiresAt), p.codeSecret, Uint8Array.of(peerId.length), peerId, Uint8Array.of(addrs.length)];
  for (const a of addrs) parts.push(Uint8Array.of(a.length >>> 8, a.length & 0xff), a);
  return concat(...parts);
}

/** Strict decoding: every length checked, no trailing octets. */
export function decodeHandoverPayload(bytes: Uint8Array): HandoverPayload {
  let o = 0;
  const take = (n: number): Uint8Array => {
    if (o + n > bytes.length) throw new BootstrapError('MALFORMED', 'handover payload is truncated');
    const out = bytes.subarray(o, o + n);
    o += n;
    return out;
  };
  const version = take(1)[0];
  if (version !== HANDOVER_VERSION) throw new BootstrapError('UNSUPPORTED_VERSION', `handover payload version ${version}`);
  const expiresAt = readU64(take(8));
  if (expiresAt <= 0) throw new BootstrapError('MALFORMED', 'handover expiry is zero');
  const codeSecret = Uint8Array.from(take(CODE_SECRET_BYTES));
  const peerIdLength = take(1)[0];
  const peerId = checkPeerIdBytes(take(peerIdLength));
  const count = take(1)[0];
  if (count > MAX_HANDOVER_ADDRS) throw new BootstrapError('MALFORMED', `too many multiaddrs (${count})`);
  const multiaddrs: string[] = [];
  for (let i = 0; i < count; i++) {
    const h = take(2);
    const len = (h[0] << 8) | h[1];
    multiaddrs.push(text(take(len), 'multiaddr', MAX_MULTIADDR_BYTES, (s) => s.startsWith('/')));
  }
  if (o !== bytes.length) throw new BootstrapError('MALFORMED', 'trailing octets after the handover payload');
  return { codeSecret, peerId, multiaddrs, expiresAt };
}

/**
 * Seals one handover. A sealer seals once: the key comes from a fresh salt, so a second
 * message would need a new sealer anyway, and refusing makes nonce reuse impossible by construction.
 */
export class HandoverSealer {
  readonly #ctx: HandoverContext;
  #used = false;

  constructor(ctx: HandoverContext) {
    keyInfo(ctx);
    if (!isBytes(ctx.ltk, 16)) throw new BootstrapError('INVALID_INPUT', 'LTK must be 16 octets');
    this.#ctx = { ...ctx, ltk: Uint8Array.from(ctx.ltk) };
  }

  seal(payload: HandoverPayload, random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): Uint8Array {
    if (this.#used) throw new BootstrapError('ALREADY_SEALED', 'a handover sealer seals one message');
    const plain = encodeHandoverPayload(payload);
    this.#used = true;
    const salt = random(HANDOVER_SALT_BYTES);
    if (!isBytes(salt, HANDOVER_SALT_BYTES)) throw new BootstrapError('INVALID_INPUT', 'random source gave a bad salt');
    const header = concat(HANDOVER_MAGIC, Uint8Array.of(HANDOVER_VERSION), salt);
    const key = deriveHandoverKey(this.#ctx, salt);
    const c = createCipheriv('chacha20-poly1305', key, NONCE, { authTagLength: HANDOVER_TAG_BYTES });
    c.setAAD(header, { plaintextLength: plain.length });
    const body = concat(new Uint8Array(c.update(plain)), new Uint8Array(c.final()), new Uint8Array(c.getAuthTag()));
    key.fill(0);
    plain.fill(0);
    const out = concat(header, body);
    if (out.length > MAX_HANDOVER_BYTES) throw new BootstrapError('INVALID_INPUT', 'handover too large');
    return out;
  }
}

/** Seals one handover for the link in `ctx`. */
export function sealHandover(ctx: HandoverContext, payload: HandoverPayload): Uint8Array {
  return new HandoverSealer(ctx).seal(payload);
}

export interface OpenHandoverOptions {
  /** Current time, ms (passed in: no clock of our own). */
  now: number;
}

/** Opens and checks a sealed handover: envelope, tag, payload, expiry. Typed errors only. */
export function openHandover(ctx: HandoverContext, sealed: Uint8Array, opts: OpenHandoverOptions): HandoverPayload {
  if (!isBytes(sealed)) throw new BootstrapError('INVALID_INPUT', 'sealed handover must be bytes');
  if (sealed.length > MAX_HANDOVER_BYTES) throw new BootstrapError('MALFORMED', 'handover too large');
  if (sealed.length < HEADER_BYTES + HANDOVER_TAG_BYTES) throw new BootstrapError('MALFORMED', 'handover too short');
  for (let i = 0; i < HANDOVER_MAGIC.length; i++) {
    if (sealed[i] !== HANDOVER_MAGIC[i]) throw new BootstrapError('MALFORMED', 'not a pairkit handover');
  }
  const version = sealed[HANDOVER_MAGIC.length];
  if (version !== HANDOVER_VERSION) throw new BootstrapError('UNSUPPORTED_VERSION', `handover version ${version}`);
  const header = sealed.subarray(0, HEADER_BYTES);
  const salt = sealed.subarray(HANDOVER_MAGIC.length + 1, HEADER_BYTES);
  const ct = sealed.subarray(HEADER_BYTES, sealed.length - HANDOVER_TAG_BYTES);
  const tag = sealed.subarray(sealed.length - HANDOVER_TAG_BYTES);
  const key = deriveHandoverKey(ctx, salt);
  let plain: Uint8Array;
  try {
    const d = createDecipheriv('chacha20-poly1305', key, NONCE, { authTagLength: HANDOVER_TAG_BYTES });
    d.setAAD(header, { plaintextLength: ct.length });
    d.setAuthTag(tag);
    plain = concat(new Uint8Array(d.update(ct)), new Uint8Array(d.final()));
  } catch (err) {
    throw new BootstrapError('DECRYPT_FAILED', 'the handover did not authenticate (wrong link key or tampered)', { cause: err });
  } finally {
    key.fill(0);
  }
  const payload = decodeHandoverPayload(plain);
  plain.fill(0);
  if (!Number.isFinite(opts?.now)) throw new BootstrapError('INVALID_INPUT', 'now must be a number');
  if (opts.now >= payload.expiresAt) {
    payload.codeSecret.fill(0);
    throw new BootstrapError('EXPIRED', 'the handover expired');
  }
  return payload;
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function readU64(b: Uint8Array): number {
  const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BootstrapError('MALFORMED', 'handover expiry out of range');
  return Number(v);
}

function text(b: Uint8Array, what: string, max: number, ok: (s: string) => boolean): string {
  if (b.length === 0 || b.length > max) throw new BootstrapError('MALFORMED', `${what} length ${b.length}`);
  let s: string;
  try {
    s = dec.decode(b);
  } catch {
    throw new BootstrapError('MALFORMED', `${what} is not UTF-8`);
  }
  if (!ok(s) || /[\u0000-\u001f\u007f\s]/.test(s)) throw new BootstrapError('MALFORMED', `bad ${what}`);
  return s;
}

function checkPeerIdBytes(b: Uint8Array): string {
  return text(b, 'peer id', MAX_PEER_ID_BYTES, (s) => PEER_ID_RE.test(s));
}

function checkPeerId(s: unknown, code: 'INVALID_INPUT'): Uint8Array {
  if (typeof s !== 'string' || !PEER_ID_RE.test(s) || s.length > MAX_PEER_ID_BYTES) throw new BootstrapError(code, 'peerId must be a base58btc peer id');
  return enc.encode(s);
}

function checkMultiaddr(s: unknown, code: 'INVALID_INPUT'): Uint8Array {
  if (typeof s !== 'string' || !s.startsWith('/') || /\s/.test(s)) throw new BootstrapError(code, `bad multiaddr: ${String(s)}`);
  const b = enc.encode(s);
  if (b.length > MAX_MULTIADDR_BYTES) throw new BootstrapError(code, 'multiaddr too long');
  return b;
}
