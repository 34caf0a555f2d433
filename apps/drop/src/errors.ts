/** Codes of {@link DropError}. */
export type DropErrorCode =
  /** The peer broke the protocol (bad frame, wrong order, more data than allowed). */
  | 'DROP_PROTOCOL'
  /** A frame longer than the protocol allows. */
  | 'DROP_FRAME_TOO_LARGE'
  /** An offer with a bad file name, size or shape. */
  | 'DROP_BAD_OFFER'
  /** The receiver turned the offer down (no more specific reason given). */
  | 'DROP_REJECTED'
  /** The receiver only accepts files from other devices (`drop receive --from`). */
  | 'DROP_NOT_ALLOWED'
  /** The offer's total size is over the receiver's limit (`drop receive --max-size`). */
  | 'DROP_TOO_LARGE'
  /** The receiver's file system lacks room for the offer. */
  | 'DROP_NO_SPACE'
  /** A received file's SHA-256 differs from the sender's. */
  | 'DROP_HASH_MISMATCH'
  /** A file changed or shrank while it was being sent. */
  | 'DROP_SOURCE_CHANGED'
  /** The connection ended before the transfer did. */
  | 'DROP_CLOSED'
  /** The peer reported an error. */
  | 'DROP_REMOTE_ERROR'
  /** Cancelled through an AbortSignal. */
  | 'DROP_ABORTED'
  /** Bad command-line input or a local file problem. */
  | 'DROP_USAGE'
  | 'DROP_IO';

export class DropError extends Error {
  readonly code: DropErrorCode;
  constructor(code: DropErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DropError';
    this.code = code;
  }
}
