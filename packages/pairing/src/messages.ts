// Pairing messages and their binary encoding (PROTOCOL.md "Messages").
import { PairingProtocolError, type PairingProtocolErrorCode } from './errors.js';
import type { DeviceInfo } from './keys.js';
import { PROTOCOL_VERSION } from './labels.js';

export const MessageType = {
  PairingRequest: 0x01,
  PairingChallenge: 0x02,
  PairingResponse: 0x03,
  PairingComplete: 0x04,
  PairingAck: 0x05,
  PairingError: 0x06,
} as const;
export type MessageTypeName = keyof typeof MessageType;

export const SESSION_ID_BYTES = 32;
export const NONCE_BYTES = 32;
export const KEY_BYTES = 32;
export const MAC_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const MAX_NAME_BYTES = 255;
export const MAX_OS_BYTES = 128;
export const MAX_APP_VERSION_BYTES = 64;

/** Joiner -> initiator: which session, plus the joiner's fresh nonce and ephemeral X25519 key. */
export interface PairingRequest {
  type: 'PairingRequest';
  sessionId: Uint8Array;
  nonce: Uint8Array;
  ephemeralKey: Uint8Array;
}
/** Initiator -> joiner: the initiator's nonce, ephemeral key, identity key and device info. */
export interface PairingChallenge {
  type: 'PairingChallenge';
  nonce: Uint8Array;
  ephemeralKey: Uint8Array;
  publicKey: Uint8Array;
  info: DeviceInfo;
}
/** Joiner -> initiator: the joiner's identity and its proofs (MAC and signature). */
export interface PairingResponse {
  type: 'PairingResponse';
  publicKey: Uint8Array;
  info: DeviceInfo;
  mac: Uint8Array;
  signature: Uint8Array;
}
/** Initiator -> joiner: the initiator's proofs. */
export interface PairingComplete {
  type: 'PairingComplete';
  mac: Uint8Array;
  signature: Uint8Array;
}
/** Joiner -> initiator: the joiner has committed the pairing. */
export interface PairingAck {
  type: 'PairingAck';
  mac: Uint8Array;
}
/** Either side: the conversation ends for this reason. */
export interface PairingErrorMessage {
  type: 'PairingError';
  code: PairingProtocolErrorCode;
}
export type PairingMessage =
  | PairingRequest
  | PairingChallenge
  | PairingResponse
  | PairingComplete
  | PairingAck
  | PairingErrorMessage;

/** Wire values of PairingError codes. Unknown values decode as REJECTED. */
export const ERROR_CODES: Readonly<Record<number, PairingProtocolErrorCode>> = Object.freeze({
  1: 'UNKNOWN_SESSION',
  2: 'EXPIRED',
  3: 'CONSUMED',
  4: 'BAD_PROOF',
  5: 'BAD_SIGNATURE',
  6: 'KEY_MISMATCH',
  7: 'MALFORMED_FRAME',
  8: 'UNEXPECTED_MESSAGE',
  9: 'TIMEOUT',
  10: 'VERSION_MISMATCH',
  11: 'BUSY',
  12: 'CANCELLED',
  13: 'REJECTED',
  14: 'FRAME_TOO_LARGE',
  15: 'BAD_KEY',
});
const ERROR_VALUES = new Map<PairingProtocolErrorCode, number>(
  Object.entries(ERROR_CODES).map(([k, v]) => [v, Number(k)]),
);
export function errorCodeValue(code: PairingProtocolErrorCode): number {
  return ERROR_VALUES.get(code) ?? 13;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Control characters and bidi overrides could rewrite what a terminal shows.
const FORBIDDEN_CHARS = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

const malformed = (why: string): PairingProtocolError => new PairingProtocolError('MALFORMED_FRAME', `malformed message: ${why}`);

function checkInfoString(field: string, value: string, min: number, max: number): Uint8Array {
  if (typeof value !== 'string') throw malformed(`${field} is not a string`);
  const bytes = encoder.encode(value);
  if (bytes.length < min || bytes.length > max) throw malformed(`${field} must be ${min}..${max} UTF-8 bytes`);
  if (FORBIDDEN_CHARS.test(value)) throw malformed(`${field} contains control characters`);
  return bytes;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a code point. */
export function truncateUtf8(value: string, max: number): string {
  if (encoder.encode(value).length <= max) return value;
  let out = '';
  let size = 0;
  for (const ch of value) {
    const n = encoder.encode(ch).length;
    if (size + n > max) break;
    out += ch;
    size += n;
  }
  return out;
}

/** Our own info, cut to the wire limits (names may be longer than 255 bytes elsewhere). */
export function fitDeviceInfo(info: DeviceInfo): DeviceInfo {
  return {
    name: truncateUtf8(String(info.name), MAX_NAME_BYTES),
    os: truncateUtf8(String(info.os), MAX_OS_BYTES),
    appVersion: truncateUtf8(String(info.appVersion), MAX_APP_VERSION_BYTES),
  };
}

/** Validates a DeviceInfo and returns its wire encoding. */
export function encodeDeviceInfo(info: DeviceInfo): Uint8Array {
  const parts = [
    checkInfoString('name', info.name, 1, MAX_NAME_BYTES),
    checkInfoString('os', info.os, 0, MAX_OS_BYTES),
    checkInfoString('appVersion', info.appVersion, 0, MAX_APP_VERSION_BYTES),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out[o++] = p.length;
    out.set(p, o);
    o += p.length;
  }
  return out;
}

class Reader {
  #o = 0;
  constructor(private readonly buf: Uint8Array) {}
  bytes(n: number, what: string): Uint8Array {
    if (this.#o + n > this.buf.length) throw malformed(`truncated ${what}`);
    const b = this.buf.slice(this.#o, this.#o + n);
    this.#o += n;
    return b;
  }
  u8(what: string): number {
    return this.bytes(1, what)[0];
  }
  string(what: string, min: number, max: number): string {
    const len = this.u8(`${what} length`);
    if (len < min || len > max) throw malformed(`${what} must be ${min}..${max} UTF-8 bytes`);
    let s: string;
    try {
      s = decoder.decode(this.bytes(len, what));
    } catch (e) {
      if (e instanceof PairingProtocolError) throw e;
      throw malformed(`${what} is not valid UTF-8`);
    }
    if (FORBIDDEN_CHARS.test(s)) throw malformed(`${what} contains control characters`);
    return s;
  }
  info(): DeviceInfo {
    return {
      name: this.string('name', 1, MAX_NAME_BYTES),
      os: this.string('os', 0, MAX_OS_BYTES),
      appVersion: this.string('appVersion', 0, MAX_APP_VERSION_BYTES),
    };
  }
  end(): void {
    if (this.#o !== this.buf.length) throw malformed(`${this.buf.length - this.#o} trailing bytes`);
  }
}

function exact(b: Uint8Array, n: number, what: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== n) throw malformed(`${what} must be ${n} bytes`);
  return b;
}

/** Encodes a message body: version byte, type byte, payload (no length prefix). */
export function encodeMessage(m: PairingMessage): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(PROTOCOL_VERSION, MessageType[m.type])];
  switch (m.type) {
    case 'PairingRequest':
      parts.push(exact(m.sessionId, SESSION_ID_BYTES, 'sessionId'), exact(m.nonce, NONCE_BYTES, 'nonce'), exact(m.ephemeralKey, KEY_BYTES, 'ephemeralKey'));
      break;
    case 'PairingChallenge':
      parts.push(exact(m.nonce, NONCE_BYTES, 'nonce'), exact(m.ephemeralKey, KEY_BYTES, 'ephemeralKey'), exact(m.publicKey, KEY_BYTES, 'publicKey'), encodeDeviceInfo(m.info));
      break;
    case 'PairingResponse':
      parts.push(exact(m.publicKey, KEY_BYTES, 'publicKey'), encodeDeviceInfo(m.info), exact(m.mac, MAC_BYTES, 'mac'), exact(m.signature, SIGNATURE_BYTES, 'signature'));
      break;
    case 'PairingComplete':
      parts.push(exact(m.mac, MAC_BYTES, 'mac'), exact(m.signature, SIGNATURE_BYTES, 'signature'));
      break;
    case 'PairingAck':
      parts.push(exact(m.mac, MAC_BYTES, 'mac'));
      break;
    case 'PairingError':
      parts.push(Uint8Array.of(errorCodeValue(m.code)));
      break;
    default:
      throw malformed('unknown message type');
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Decodes and validates one message body. Throws only PairingProtocolError. */
export function decodeMessage(body: Uint8Array): PairingMessage {
  if (!(body instanceof Uint8Array) || body.length < 2) throw malformed('shorter than its header');
  if (body[0] !== PROTOCOL_VERSION) {
    throw new PairingProtocolError('VERSION_MISMATCH', `peer speaks pairing protocol version ${body[0]}, we speak ${PROTOCOL_VERSION}`);
  }
  const r = new Reader(body.subarray(2));
  let m: PairingMessage;
  switch (body[1]) {
    case MessageType.PairingRequest:
      m = { type: 'PairingRequest', sessionId: r.bytes(SESSION_ID_BYTES, 'sessionId'), nonce: r.bytes(NONCE_BYTES, 'nonce'), ephemeralKey: r.bytes(KEY_BYTES, 'ephemeralKey') };
      break;
    case MessageType.PairingChallenge:
      m = { type: 'PairingChallenge', nonce: r.bytes(NONCE_BYTES, 'nonce'), ephemeralKey: r.bytes(KEY_BYTES, 'ephemeralKey'), publicKey: r.bytes(KEY_BYTES, 'publicKey'), info: r.info() };
      break;
    case MessageType.PairingResponse:
      m = { type: 'PairingResponse', publicKey: r.bytes(KEY_BYTES, 'publicKey'), info: r.info(), mac: r.bytes(MAC_BYTES, 'mac'), signature: r.bytes(SIGNATURE_BYTES, 'signature') };
      break;
    case MessageType.PairingComplete:
      m = { type: 'PairingComplete', mac: r.bytes(MAC_BYTES, 'mac'), signature: r.bytes(SIGNATURE_BYTES, 'signature') };
      break;
    case MessageType.PairingAck:
      m = { type: 'PairingAck', mac: r.bytes(MAC_BYTES, 'mac') };
      break;
    case MessageType.PairingError:
      m = { type: 'PairingError', code: ERROR_CODES[r.u8('error code')] ?? 'REJECTED' };
      break;
    default:
      throw malformed(`unknown message type 0x${body[1].toString(16).padStart(2, '0')}`);
  }
  r.end();
  return m;
}
