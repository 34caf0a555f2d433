// Every domain-separation label of protocol version 1 (PROTOCOL.md "Labels").
// All are ASCII strings used as HKDF `info`, transcript label or signature context.

export const PROTOCOL_VERSION = 1;

export const LABEL_SESSION_ID = 'pairkit/v1/session-id';
export const LABEL_AUTH_KEY = 'pairkit/v1/auth-key';
export const LABEL_CONFIRM_JOINER = 'pairkit/v1/confirm/joiner';
export const LABEL_CONFIRM_INITIATOR = 'pairkit/v1/confirm/initiator';
export const LABEL_CONFIRM_ACK = 'pairkit/v1/confirm/joiner-ack';
export const LABEL_TRANSCRIPT = 'pairkit/v1/transcript';
export const LABEL_SIGNATURE_INITIATOR = 'pairkit/v1/pairing-signature/initiator';
export const LABEL_SIGNATURE_JOINER = 'pairkit/v1/pairing-signature/joiner';
export const LABEL_KEY_INITIATOR_TO_JOINER = 'pairkit/v1/session-key/initiator-to-joiner';
export const LABEL_KEY_JOINER_TO_INITIATOR = 'pairkit/v1/session-key/joiner-to-initiator';
export const LABEL_VERIFICATION = 'pairkit/v1/verification';
