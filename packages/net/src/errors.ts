/** Error codes of @pairkit/net. Pairing failures keep the code the pairing protocol gave them. */
export type NetErrorCode =
  | 'ABORTED'
  | 'TIMEOUT'
  | 'NOT_STARTED'
  | 'BAD_IDENTITY'
  | 'BAD_MULTIADDR'
  | 'FRAME_TOO_LARGE'
  | 'STREAM_CLOSED'
  | 'BUSY'
  | 'NO_CANDIDATES'
  | 'PEER_MISMATCH'
  | 'NOT_PAIRED'
  | 'UNREACHABLE'
  | 'REFUSED'
  | 'CLOSED'
  /** join: this device already paired with this code (codes pair once). */
  | 'CODE_USED'
  | (string & {});

export class NetError extends Error {
  readonly code: NetErrorCode;
  constructor(code: NetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetError';
    this.code = code;
  }
}

/** Turns an aborted signal into a NetError with a useful code. */
export function abortError(signal: AbortSignal | undefined, what: string): NetError {
  const reason: unknown = signal?.reason;
  if (reason instanceof NetError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new NetError('TIMEOUT', `${what}: timed out`, { cause: reason });
  }
  return new NetError('ABORTED', `${what}: aborted`, { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw abortError(signal, what);
}
