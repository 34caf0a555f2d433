/** Error codes raised by ble-sim. */
export type SimErrorCode =
  | 'MALFORMED_PACKET'
  | 'UNKNOWN_PACKET_TYPE'
  | 'CLOSED'
  | 'BAD_ADDRESS'
  | 'BAD_OPTION'
  | 'LISTEN_FAILED';

/** Every ble-sim failure is a SimError with a stable `code`. */
export class SimError extends Error {
  readonly code: SimErrorCode;
  constructor(code: SimErrorCode, message: string) {
    super(message);
    this.name = 'SimError';
    this.code = code;
  }
}
