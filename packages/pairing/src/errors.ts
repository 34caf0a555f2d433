// Typed errors. Messages never contain the pairing code, keys or MACs.

export type PairingCodeErrorCode = 'WRONG_WORD_COUNT' | 'UNKNOWN_WORD' | 'BAD_CHECKSUM';

/** The typed words are not a valid pairing code. */
export class PairingCodeError extends Error {
  override readonly name = 'PairingCodeError';
  readonly code: PairingCodeErrorCode;
  /** 1-based position of the offending word (UNKNOWN_WORD). */
  readonly position?: number;
  /** The offending word as typed (UNKNOWN_WORD). */
  readonly word?: string;
  /** Nearest word list entry by edit distance (UNKNOWN_WORD). */
  readonly suggestion?: string;
  /** Number of words found (WRONG_WORD_COUNT). */
  readonly count?: number;

  constructor(
    code: PairingCodeErrorCode,
    message: string,
    details: { position?: number; word?: string; suggestion?: string; count?: number } = {},
  ) {
    super(message);
    this.code = code;
    this.position = details.position;
    this.word = details.word;
    this.suggestion = details.suggestion;
    this.count = details.count;
  }
}

export type PairingProtocolErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'MALFORMED_FRAME'
  | 'UNEXPECTED_MESSAGE'
  | 'UNKNOWN_SESSION'
  | 'BAD_PROOF'
  | 'BAD_SIGNATURE'
  | 'BAD_KEY'
  | 'KEY_MISMATCH'
  | 'EXPIRED'
  | 'CONSUMED'
  | 'TIMEOUT'
  | 'VERSION_MISMATCH'
  | 'REJECTED'
  | 'BUSY'
  | 'CANCELLED'
  | 'CLOSED'
  | 'INVALID_ARGUMENT';

/** A pairing conversation failed. `remote` is true when the peer reported the failure. */
export class PairingProtocolError extends Error {
  override readonly name = 'PairingProtocolError';
  readonly code: PairingProtocolErrorCode;
  readonly remote: boolean;

  constructor(code: PairingProtocolErrorCode, message: string, options: { remote?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remote = options.remote ?? false;
  }
}
