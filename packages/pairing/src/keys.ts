// Key schedule of protocol version 1 (PROTOCOL.md "Key schedule").
import { timingSafeEqual } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import * as L from './labels.js';

const utf8 = new TextEncoder();
const ascii = (s: string): Uint8Array => utf8.encode(s);

/** HKDF-SHA256 with an empty salt (RFC 5869: HashLen zero bytes). */
function hkdfLabel(ikm: Uint8Array, label: string, length = 32, salt?: Uint8Array): Uint8Array {
  return hkdf(sha256, ikm, salt, ascii(label), length);
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
  return hmac(sha256, key, transcriptHash);
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

export function signTranscript(role: Role, privateKey: Uint8Array, th: Uint8Array): Uint8Array {
  return ed25519.sign(signatureMessage(role, th), privateKey);
}

/** Strict RFC 8032 verification (no ZIP-215 leniency). */
export function verifyTranscriptSignature(role: Role, publicKey: Uint8Array, th: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, signatureMessage(role, th), publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function ed25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(privateKey);
}

export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(privateKey);
}

/** X25519; undefined for low-order peer keys (the shared secret would be predictable). */
export function x25519Shared(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array | undefined {
  try {
    const s = x25519.getSharedSecret(privateKey, peerPublic);
    return s.some((b) => b !== 0) ? s : undefined;
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
