// Key schedule of protocol version 1 (PROTOCOL.md "Key schedule").
// Primitives come from node:crypto (OpenSSL): an order of magnitude faster than pure JS, which
// matters for an initiator facing many joiners at once.
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import * as L from './labels.js';

// Raw keys enter OpenSSL as JWK: parsing DER through OpenSSL 3 decoders costs ~0.7 ms a key.
const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const okpPublic = (crv: 'Ed25519' | 'X25519', x: Uint8Array): KeyObject =>
  createPublicKey({ key: { kty: 'OKP', crv, x: b64u(x) }, format: 'jwk' });
const okpPrivate = (crv: 'Ed25519' | 'X25519', d: Uint8Array, x: Uint8Array): KeyObject =>
  createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(d), x: b64u(x) }, format: 'jwk' });
const rawPublic = (k: KeyObject): Uint8Array =>
  new Uint8Array(Buffer.from((k.type === 'public' ? k : createPublicKey(k)).export({ format: 'jwk' }).x as string, 'base64url'));

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}
function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}

const utf8 = new TextEncoder();
const ascii = (s: string): Uint8Array => utf8.encode(s);

/** HKDF-SHA256 with an empty salt (RFC 5869: HashLen zero bytes). */
function hkdfLabel(ikm: Uint8Array, label: string, length = 32, salt?: Uint8Array): Uint8Array {
  // An empty salt is HMAC-keyed exactly like 32 zero bytes.
  return new Uint8Array(hkdfSync('sha256', ikm, salt ?? new Uint8Array(0), ascii(label), length));
}

export function deriveSessionId(entropy: Uint8Array): Uint8Array {
  return hkdfLabel(entropy, L.LABEL_SESSION_ID);
}

export function deriveAuthKey(entropy: Uint8Array): Uint8Array {
  return hkdfLabel(entropy, L.LABEL_AUTH_KEY);
}

export type Role = 'initiator' | 'joiner';

export interface ConfirmKeys {
  joiner: Uint8Array;
  initiator: Uint8Array;
  ack: Uint8Array;
}

export function deriveConfirmKeys(authKey: Uint8Array): ConfirmKeys {
  return {
    joiner: hkdfLabel(authKey, L.LABEL_CONFIRM_JOINER),
    initiator: hkdfLabel(authKey, L.LABEL_CONFIRM_INITIATOR),
    ack: hkdfLabel(authKey, L.LABEL_CONFIRM_ACK),
  };
}

export function confirmMac(key: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return hmac(key, transcriptHash);
}

/** Constant-time equality for MACs (lengths are public). */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface DeviceInfo {
  name: string;
  os: string;
  appVersion: string;
}

export interface TranscriptInput {
  version: number;
  sessionId: Uint8Array;
  initiatorPeerId: string;
  joinerPeerId: string;
  initiatorPublicKey: Uint8Array;
  joinerPublicKey: Uint8Array;
  joinerNonce: Uint8Array;
  initiatorNonce: Uint8Array;
  joinerEphemeral: Uint8Array;
  initiatorEphemeral: Uint8Array;
  /** Wire encodings of the device infos (PROTOCOL.md "DeviceInfo"). */
  initiatorInfo: Uint8Array;
  joinerInfo: Uint8Array;
}

/** Canonical transcript bytes: every field as u16 big-endian length || bytes, in a fixed order. */
export function transcriptBytes(t: TranscriptInput): Uint8Array {
  const fields = [
    ascii(L.LABEL_TRANSCRIPT),
    Uint8Array.of(t.version),
    t.sessionId,
    utf8.encode(t.initiatorPeerId),
    utf8.encode(t.joinerPeerId),
    t.initiatorPublicKey,
    t.joinerPublicKey,
    t.joinerNonce,
    t.initiatorNonce,
    t.joinerEphemeral,
    t.initiatorEphemeral,
    t.initiatorInfo,
    t.joinerInfo,
  ];
  const total = fields.reduce((n, f) => n + 2 + f.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const f of fields) {
    if (f.length > 0xffff) throw new RangeError('transcript field too long');
    out[o] = f.length >>> 8;
    out[o + 1] = f.length & 0xff;
    out.set(f, o + 2);
    o += 2 + f.length;
  }
  return out;
}

export function transcriptHash(t: TranscriptInput): Uint8Array {
  return sha256(transcriptBytes(t));
}

function signatureMessage(role: Role, th: Uint8Array): Uint8Array {
  const ctx = ascii(role === 'initiator' ? L.LABEL_SIGNATURE_INITIATOR : L.LABEL_SIGNATURE_JOINER);
  const m = new Uint8Array(ctx.length + th.length);
  m.set(ctx);
  m.set(th, ctx.length);
  return m;
}

/** An Ed25519 signing key from its 32-byte seed (parsed once, used for every signature). */
export function ed25519SigningKey(seed: Uint8Array): KeyObject {
  return okpPrivate('Ed25519', seed, ed25519.getPublicKey(seed));
}

export function signTranscript(role: Role, privateKey: Uint8Array | KeyObject, th: Uint8Array): Uint8Array {
  const key = privateKey instanceof Uint8Array ? ed25519SigningKey(privateKey) : privateKey;
  return new Uint8Array(cryptoSign(null, signatureMessage(role, th), key));
}

/** RFC 8032 verification (OpenSSL: canonical S required, cofactorless). */
export function verifyTranscriptSignature(role: Role, publicKey: Uint8Array, th: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return cryptoVerify(null, signatureMessage(role, th), okpPublic('Ed25519', publicKey), signature);
  } catch {
    return false;
  }
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return rawPublic(ed25519SigningKey(seed));
}

/** A fresh X25519 key pair from 32 random bytes. */
export interface EphemeralKey {
  publicKey: Uint8Array;
  privateKey: KeyObject;
}

/** A fresh X25519 key pair straight from OpenSSL's CSPRNG (the fast path). */
export function x25519GenerateKeyPair(): EphemeralKey {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: rawPublic(publicKey) };
}

/** An X25519 key pair from 32 given bytes (injected randomness: tests and vectors). */
export function x25519KeyPair(privateBytes: Uint8Array): EphemeralKey {
  const publicKey = x25519.getPublicKey(privateBytes);
  return { publicKey, privateKey: okpPrivate('X25519', privateBytes, publicKey) };
}

export function x25519PublicKey(privateBytes: Uint8Array): Uint8Array {
  return x25519.getPublicKey(privateBytes);
}

/** X25519; undefined for small-order peer keys (the shared secret would be predictable). */
export function x25519Shared(privateKey: KeyObject, peerPublic: Uint8Array): Uint8Array | undefined {
  if (peerPublic.length !== 32) return undefined;
  try {
    const s = diffieHellman({ privateKey, publicKey: okpPublic('X25519', peerPublic) });
    return s.some((b) => b !== 0) ? new Uint8Array(s) : undefined;
  } catch {
    return undefined;
  }
}

export interface SessionKeyPair {
  /** Key for what this side sends. */
  tx: Uint8Array;
  /** Key for what this side receives. */
  rx: Uint8Array;
}

export function deriveSessionKeys(role: Role, authKey: Uint8Array, dhShared: Uint8Array, th: Uint8Array): SessionKeyPair {
  const ikm = new Uint8Array(authKey.length + dhShared.length);
  ikm.set(authKey);
  ikm.set(dhShared, authKey.length);
  const i2j = hkdfLabel(ikm, L.LABEL_KEY_INITIATOR_TO_JOINER, 32, th);
  const j2i = hkdfLabel(ikm, L.LABEL_KEY_JOINER_TO_INITIATOR, 32, th);
  ikm.fill(0);
  return role === 'initiator' ? { tx: i2j, rx: j2i } : { tx: j2i, rx: i2j };
}

/** Six decimal digits both screens can show. */
export function verificationString(th: Uint8Array): string {
  const b = hkdfLabel(th, L.LABEL_VERIFICATION, 4);
  const n = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  return String(n % 1_000_000).padStart(6, '0');
}
