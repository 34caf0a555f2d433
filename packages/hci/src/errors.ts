/** Error codes raised by the HCI layer. */
export type HciErrorCode =
  | 'TRUNCATED'
  | 'UNKNOWN_PACKET_TYPE'
  | 'TOO_LARGE'
  | 'INVALID_PARAMETER'
  | 'MALFORMED'
  | 'COMMAND_TIMEOUT'
  | 'COMMAND_FAILED'
  | 'DISCONNECTED'
  | 'CLOSED'
  | 'ABORTED'
  | 'NOT_SUPPORTED'
  | 'NO_BLUETOOTH'
  | 'TRANSPORT'
  | 'BAD_URI'
  | 'L2CAP_REFUSED'
  | 'L2CAP_PROTOCOL'
  | 'BTSNOOP_FORMAT';

export class HciError extends Error {
  override readonly name = 'HciError';
  readonly code: HciErrorCode;
  /** HCI status code (Core Vol 1 Part F) when the controller reported one. */
  readonly status: number | undefined;

  constructor(code: HciErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

export function isHciError(e: unknown, code?: HciErrorCode): e is HciError {
  return e instanceof HciError && (code === undefined || e.code === code);
}
