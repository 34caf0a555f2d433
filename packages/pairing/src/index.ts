// @pairkit/pairing: the sans-IO network pairing protocol (see README.md and PROTOCOL.md).
export { PairingCode, CODE_WORDS, CODE_ENTROPY_BYTES, defaultRandom, nearestWord, type RandomSource } from './code.js';
export {
  PairingCodeError,
  PairingProtocolError,
  type PairingCodeErrorCode,
  type PairingProtocolErrorCode,
} from './errors.js';
export * as labels from './labels.js';
export { PROTOCOL_VERSION } from './labels.js';
export {
  deriveSessionId,
  deriveAuthKey,
  deriveConfirmKeys,
  deriveSessionKeys,
  confirmMac,
  macEqual,
  transcriptBytes,
  transcriptHash,
  signTranscript,
  verifyTranscriptSignature,
  verificationString,
  type ConfirmKeys,
  type TranscriptInput,
  type SessionKeyPair,
} from './keys.js';
export {
  MessageType,
  ERROR_CODES,
  encodeMessage,
  decodeMessage,
  encodeDeviceInfo,
  SESSION_ID_BYTES,
  NONCE_BYTES,
  KEY_BYTES,
  MAC_BYTES,
  SIGNATURE_BYTES,
  MAX_NAME_BYTES,
  MAX_OS_BYTES,
  MAX_APP_VERSION_BYTES,
  type PairingMessage,
  type PairingRequest,
  type PairingChallenge,
  type PairingResponse,
  type PairingComplete,
  type PairingAck,
  type PairingErrorMessage,
  type MessageTypeName,
} from './messages.js';
export { FrameDecoder, encodeFrame, encodeMessageFrame, decodeMessageFrame, MAX_FRAME_SIZE, FRAME_HEADER_BYTES } from './frame.js';
export { PairingSession } from './session.js';
export { PairingConversation } from './conversation.js';
export {
  PairingProtocolHandler,
  DEFAULT_READ_TIMEOUT_MS,
  DEFAULT_SESSION_TTL_MS,
  DEFAULT_MAX_CONVERSATIONS_PER_SESSION,
  DEFAULT_MAX_CONVERSATIONS,
  type PairingHandlerOptions,
  type CreateSessionOptions,
  type RemotePeer,
  type HandlerEvent,
} from './handler.js';
export type {
  DeviceInfo,
  Role,
  LocalDevice,
  PairingResult,
  PairingAction,
  ConversationState,
  SessionState,
  KeyIdFunction,
} from './types.js';
export { pairingRecordFrom } from './record.js';
