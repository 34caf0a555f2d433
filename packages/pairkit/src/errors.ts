/** Codes of {@link PairkitError} (the AEAD helper's codes are listed in {@link AeadErrorCode}). */
export type PairkitErrorCode =
  /** The device was closed. */
  | 'CLOSED'
  /** Cancelled through an AbortSignal (or `cancel()`). */
  | 'ABORTED'
  | 'TIMEOUT'
  /** No such paired device here. */
  | 'NOT_PAIRED'
  /** The device was removed here; pair again to use it. */
  | 'DEVICE_REMOVED'
  /** The peer does not have us paired (it removed us, or never paired). */
  | 'PEER_NOT_PAIRED'
  /** The peer refused the protocol for another reason. */
  | 'CHANNEL_REFUSED'
  | 'CHANNEL_CLOSED'
  | 'CHANNEL_MALFORMED'
  /** A channel was iterated by two loops at once. */
  | 'CHANNEL_BUSY'
  /** A protocol id that is malformed, reserved, or already handled. */
  | 'BAD_PROTOCOL'
  /** The device has no session keys (e.g. a BLE-only bond). */
  | 'NO_SESSION_KEYS'
  /** Another pairing is running on this device. */
  | 'BUSY'
  | AeadErrorCode;

/**
 * Base class of every error the `pairkit` facade throws itself. `code` is stable and meant
 * for programs; `message` is for people. Errors from the lower packages are re-exported
 * unchanged from the package index, so `err.code` works the same on all of them.
 */
export class PairkitError extends Error {
  readonly code: PairkitErrorCode;
  constructor(code: PairkitErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PairkitError';
    this.code = code;
  }
}

/** Codes of {@link AeadError}. */
export type AeadErrorCode =
  /** A key is not 32 bytes. */
  | 'AEAD_BAD_KEY'
  /** A stream header is malformed, of an unknown version or algorithm. */
  | 'AEAD_BAD_HEADER'
  /** A sealed message is shorter than the overhead or has unknown flags. */
  | 'AEAD_MALFORMED'
  /** The tag did not verify: wrong key, wrong associated data, or tampered bytes. */
  | 'AEAD_AUTH_FAILED'
  /** A message with a sequence number already opened (a replay). */
  | 'AEAD_REPLAY'
  /** A message arrived ahead of its turn (one was dropped or reordered). */
  | 'AEAD_OUT_OF_ORDER'
  /** The sealer reached its message limit (2^32 per stream); start a new stream. */
  | 'AEAD_LIMIT'
  /** The stream ended without its final message (truncation). */
  | 'AEAD_TRUNCATED'
  /** A message after the final one, or sealing after the final one. */
  | 'AEAD_FINISHED';

/** Error of the AEAD stream helper ({@link SessionCipher}, {@link StreamSealer}, {@link StreamOpener}). */
export class AeadError extends PairkitError {
  declare readonly code: AeadErrorCode;
  constructor(code: AeadErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'AeadError';
  }
}
