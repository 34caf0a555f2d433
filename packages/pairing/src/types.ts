// Public types shared by the conversation and the handler.
import type { PairingProtocolError } from './errors.js';
import type { DeviceInfo, Role } from './keys.js';

export type { DeviceInfo, Role } from './keys.js';

/** This device, as the registry knows it. */
export interface LocalDevice {
  deviceId: string;
  /** libp2p peer id of the same Ed25519 key (what the remote side sees through Noise). */
  peerId: string;
  /** Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array;
  /** Ed25519 private key seed, 32 bytes. */
  privateKey: Uint8Array;
  info: DeviceInfo;
}

/** What a successful pairing yields; everything the registry entry needs. */
export interface PairingResult {
  role: Role;
  /** Public session id of the code (32 bytes). */
  sessionId: Uint8Array;
  peer: {
    /** Derived from the peer's Noise-authenticated key, never from a claim. */
    deviceId: string;
    peerId: string;
    publicKey: Uint8Array;
    info: DeviceInfo;
  };
  /** tx = what we send, rx = what we receive; the peer's tx is our rx. */
  sessionKeys: { tx: Uint8Array; rx: Uint8Array };
  /** Six digits both sides can show. */
  verification: string;
  /** SHA-256 of the transcript (32 bytes). */
  transcriptHash: Uint8Array;
}

export type PairingAction =
  /** Write these bytes (one whole frame, length prefix included) to the stream. */
  | { type: 'send'; frame: Uint8Array }
  /** Both proofs verified: write the registry entry atomically, then call `committed(now)`. */
  | { type: 'commit'; result: PairingResult }
  /** Done; the registry holds the entry. */
  | { type: 'completed'; result: PairingResult }
  | { type: 'failed'; error: PairingProtocolError }
  /** Close the stream (after writing any frame sent before). */
  | { type: 'close' };

/**
 * Conversation states. Initiator: waiting (for PairingRequest) -> challenged (for PairingResponse)
 * -> verifying (for PairingAck) -> committing -> completed. Joiner: waiting (for PairingChallenge)
 * -> challenged (for PairingComplete) -> committing -> completed. Any state before committing can
 * end in failed or expired.
 */
export type ConversationState = 'waiting' | 'challenged' | 'verifying' | 'committing' | 'completed' | 'failed' | 'expired';

/** Initiator session states (one per code). */
export type SessionState = 'waiting' | 'challenged' | 'verifying' | 'completed' | 'failed' | 'expired';

/** Derives a deterministic string id from an Ed25519 public key. */
export type KeyIdFunction = (publicKey: Uint8Array) => string;

export type { PairingProtocolError };
