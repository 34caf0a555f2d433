// The SMP core's options, results and actions, and two helpers for OOB data and key size.
import { randomBytes } from 'node:crypto';
import type { LeAddress } from './address.js';
import type { RepeatedAttempts } from './attempts.js';
import type { SmpError } from './errors.js';
import type { AssociationModel, ModelChoice, PasskeyRoles } from './model.js';
import { P256KeyPair } from './p256.js';
import type { IoCapabilityValue, KeypressTypeValue, PairingFeatures } from './pdu.js';
import { f4 } from './toolbox.js';

export type Role = 'central' | 'peripheral';

/** Keys we distribute: our IRK with our identity address, and our CSRK. */
export interface LocalIdentityKeys {
  irk?: Uint8Array;
  identityAddress?: LeAddress;
  csrk?: Uint8Array;
}

/** Our LE SC OOB data: the key pair it was made with, r and C = f4(PKx, PKx, r, 0). */
export interface ScOobData {
  keyPair: P256KeyPair;
  r: Uint8Array;
  c: Uint8Array;
}

export interface OobOptions {
  /** SC: our data, given to the peer out of band earlier (see generateScOobData). */
  local?: ScOobData;
  /** SC: the peer's r and C as received out of band. */
  peer?: { r: Uint8Array; c: Uint8Array };
  /** Legacy: the 128-bit TK both sides got out of band. */
  legacyTk?: Uint8Array;
}

export interface SmpCoreOptions {
  role: Role;
  /** The addresses in use on this connection (f5/f6/c1 take these, not identity addresses). */
  localAddress: LeAddress;
  peerAddress: LeAddress;
  ioCapability: IoCapabilityValue;
  /** Ask to bond (keys distributed and kept). Default true. */
  bonding?: boolean;
  /** Set the MITM bit. Default false. */
  mitm?: boolean;
  /** MITM-required mode: an unauthenticated result fails with AUTHENTICATION_REQUIREMENTS. */
  mitmRequired?: boolean;
  /** Offer LE Secure Connections. Default true. */
  secureConnections?: boolean;
  /** SC-only mode: legacy pairing fails with AUTHENTICATION_REQUIREMENTS. */
  scOnly?: boolean;
  keypress?: boolean;
  /** Support h7 for CTKD. Default true. */
  ct2?: boolean;
  /** Ask for cross-transport key derivation (LinkKey bit). */
  linkKey?: boolean;
  /** Default 16. */
  maxKeySize?: number;
  /** Our minimum key size; below it pairing fails with ENCRYPTION_KEY_SIZE. Default 7. */
  minKeySize?: number;
  /** Accept the peer's debug public key. Default false. */
  allowDebugKeys?: boolean;
  /** Use the debug key pair ourselves (debug mode, for sniffing tests only). */
  useDebugKey?: boolean;
  localKeys?: LocalIdentityKeys;
  oob?: OobOptions;
  /**
   * A fixed passkey to display instead of a fresh random one (a device with a printed code, or
   * a script). Weaker: a passkey should not be reused across pairings.
   */
  fixedPasskey?: number;
  /** Peripheral: wait for acceptPairingRequest() instead of answering at once. */
  manualAccept?: boolean;
  attempts?: RepeatedAttempts;
  /** SMP timeout, ms. Default 30000. */
  timeoutMs?: number;
}

/** Keys one side distributed in phase 3 (byte arrays MSB-first). */
export interface DistributedKeys {
  ltk?: Uint8Array;
  ediv?: number;
  rand?: Uint8Array;
  irk?: Uint8Array;
  identityAddress?: LeAddress;
  csrk?: Uint8Array;
}

export interface PairingResult {
  secureConnections: boolean;
  authenticated: boolean;
  model: AssociationModel;
  passkeyRoles?: PasskeyRoles;
  keySize: number;
  /** Both sides set the bonding flag: the keys are meant to be stored. */
  bonded: boolean;
  /** SC: the LTK both sides derived (masked to keySize). Legacy: the STK used for this link. */
  ltk: Uint8Array;
  /** Keys the peer sent us. */
  peerKeys: DistributedKeys;
  /** Keys we sent the peer. */
  localKeys: DistributedKeys;
  /** BR/EDR link key from CTKD, when both asked for it. */
  linkKey?: Uint8Array;
  /** 2: unauthenticated, 3: authenticated, 4: authenticated SC with a 128-bit key. */
  securityLevel: 2 | 3 | 4;
}

export type SmpAction =
  | { type: 'send'; pdu: Uint8Array }
  | { type: 'pairingRequest'; features: PairingFeatures; awaitingAccept: boolean }
  | { type: 'securityRequest'; authReq: number }
  | { type: 'pairingStarted'; choice: ModelChoice }
  | { type: 'displayPasskey'; passkey: string }
  | { type: 'passkeyRequest' }
  | { type: 'numericComparison'; value: string }
  | { type: 'keypress'; notification: KeypressTypeValue }
  | { type: 'startEncryption'; ltk: Uint8Array; ediv: number; rand: Uint8Array }
  | { type: 'encryptionKey'; ltk: Uint8Array }
  | { type: 'complete'; result: PairingResult }
  | { type: 'failed'; error: SmpError; remote: boolean }
  | { type: 'timeout' };

export type SmpState =
  | 'idle' | 'featureExchange' | 'awaitingAccept' | 'publicKeyExchange' | 'authentication'
  | 'dhkeyCheck' | 'encrypting' | 'keyDistribution' | 'complete' | 'failed' | 'timedOut';

/** Makes our LE SC OOB data (a key pair kept for the pairing that uses it). */
export function generateScOobData(keyPair: P256KeyPair = P256KeyPair.generate()): ScOobData {
  const r = new Uint8Array(randomBytes(16));
  return { keyPair, r, c: f4(keyPair.x, keyPair.x, r, 0) };
}

/** Zeroes the most significant octets so that only keySize octets remain (key size < 16). */
export function maskKey(key: Uint8Array, keySize: number): Uint8Array {
  const out = Uint8Array.from(key);
  out.fill(0, 0, 16 - keySize);
  return out;
}
