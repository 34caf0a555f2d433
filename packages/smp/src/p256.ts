// P-256 for LE Secure Connections: key generation and ECDH in node:crypto (OpenSSL, the fast
// path), validation of received keys with @noble/curves. Coordinates are MSB-first, 32 octets.
import { createECDH, type ECDH } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { concat, constantTimeEqual, fromHex } from './bytes.js';
import { SmpArgumentError } from './errors.js';

/** The debug key pair of Vol 3 Part H 2.3.5.6.1 (public: anyone can decrypt a link that used it). */
export const DEBUG_PRIVATE_KEY = fromHex('3f49f6d4a3c55f3874c9b3e3d2103f504aff607beb40b7995899b8a6cd3c1abd');
export const DEBUG_PUBLIC_KEY_X = fromHex('20b003d2f297be2c5e2c83a7e9f9a5b9eff49111acf4fddbcc0301480e359de6');
export const DEBUG_PUBLIC_KEY_Y = fromHex('dc809c49652aeb6d63329abf5a52155c766345c28fed3024741c8ed01589d28b');

export type PublicKeyProblem = 'PUBLIC_KEY_OFF_CURVE' | 'PUBLIC_KEY_REFLECTED' | 'DEBUG_KEY_REJECTED';

export class PublicKeyError extends Error {
  readonly code: PublicKeyProblem;
  constructor(code: PublicKeyProblem, message: string) {
    super(message);
    this.name = 'PublicKeyError';
    this.code = code;
  }
}

export interface PublicKey {
  x: Uint8Array;
  y: Uint8Array;
}

/** One P-256 key pair; make a fresh one per pairing. */
export class P256KeyPair {
  readonly #ecdh: ECDH;
  readonly x: Uint8Array;
  readonly y: Uint8Array;

  private constructor(ecdh: ECDH) {
    this.#ecdh = ecdh;
    const pub = ecdh.getPublicKey();
    this.x = new Uint8Array(pub.subarray(1, 33));
    this.y = new Uint8Array(pub.subarray(33, 65));
  }

  static generate(): P256KeyPair {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    return new P256KeyPair(ecdh);
  }

  /** From a known private key (test vectors, debug mode). */
  static fromPrivateKey(privateKey: Uint8Array): P256KeyPair {
    if (privateKey.length !== 32) throw new SmpArgumentError('private key must be 32 octets');
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(privateKey);
    return new P256KeyPair(ecdh);
  }

  static debug(): P256KeyPair {
    return P256KeyPair.fromPrivateKey(DEBUG_PRIVATE_KEY);
  }

  get isDebugKey(): boolean {
    return isDebugKey(this);
  }

  /** DHKey = x coordinate of our private key times the peer point. OpenSSL rejects off-curve points too. */
  dhKey(peer: PublicKey): Uint8Array {
    try {
      return new Uint8Array(this.#ecdh.computeSecret(concat(Uint8Array.of(4), peer.x, peer.y)));
    } catch {
      throw new PublicKeyError('PUBLIC_KEY_OFF_CURVE', 'peer public key is not a point on P-256');
    }
  }
}

export function isDebugKey(key: PublicKey): boolean {
  return constantTimeEqual(key.x, DEBUG_PUBLIC_KEY_X) && constantTimeEqual(key.y, DEBUG_PUBLIC_KEY_Y);
}

/** True when (x, y) is a valid, non-identity point on P-256 with coordinates below p. */
export function isOnCurve(key: PublicKey): boolean {
  if (key.x.length !== 32 || key.y.length !== 32) return false;
  try {
    p256.Point.fromBytes(concat(Uint8Array.of(4), key.x, key.y)).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a received public key before any use: on the curve (CVE-2018-5383), not our own key
 * reflected back (CVE-2020-26558: the X coordinate is compared), not the debug key unless allowed.
 */
export function validatePeerPublicKey(peer: PublicKey, own: PublicKey, allowDebugKey: boolean): void {
  if (!isOnCurve(peer)) throw new PublicKeyError('PUBLIC_KEY_OFF_CURVE', 'peer public key is not a point on P-256');
  if (constantTimeEqual(peer.x, own.x)) throw new PublicKeyError('PUBLIC_KEY_REFLECTED', 'peer public key equals ours');
  if (!allowDebugKey && isDebugKey(peer)) throw new PublicKeyError('DEBUG_KEY_REJECTED', 'peer uses the debug key and debug mode is off');
}
