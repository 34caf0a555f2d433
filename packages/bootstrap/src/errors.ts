// Typed errors of @pairkit/bootstrap. `code` is stable for programs; `message` is for people.

export type BootstrapErrorCode =
  /** Bytes or text that do not follow the format (length, field, trailing data). */
  | 'MALFORMED'
  /** A format version this build does not speak. */
  | 'UNSUPPORTED_VERSION'
  /** The handover did not open: wrong key, wrong context or tampered bytes. */
  | 'DECRYPT_FAILED'
  /** A sealer was asked to seal twice (one message per key). */
  | 'ALREADY_SEALED'
  /** The handover or OOB data is past its expiry. */
  | 'EXPIRED'
  /** A text form whose checksum does not match (a typo or a cut-off copy). */
  | 'BAD_CHECKSUM'
  /** OOB data whose confirmation value C does not match r and the peer's public key. */
  | 'CONFIRM_VALUE_FAILED'
  /** Invalid arguments from the caller. */
  | 'INVALID_INPUT'
  /** A stage did not finish in time. */
  | 'TIMEOUT'
  /** The caller aborted. */
  | 'ABORTED'
  /** The user rejected the numeric comparison. */
  | 'COMPARISON_REJECTED'
  /** The BLE link went down before the flow finished. */
  | 'LINK_LOST'
  /** No initiator found, or more than one and no choice made. */
  | 'NO_INITIATOR'
  /** The network pairing after a successful BLE stage failed. */
  | 'NETWORK_FAILED'
  /** SMP pairing failed (reason in the message and cause). */
  | 'BLE_PAIRING_FAILED'
  /** The initiator served its maximum number of BLE connections and none completed the handover. */
  | 'TOO_MANY_ATTEMPTS'
  /** The object was closed. */
  | 'CLOSED';

export class BootstrapError extends Error {
  readonly code: BootstrapErrorCode;
  constructor(code: BootstrapErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BootstrapError';
    this.code = code;
  }
}
