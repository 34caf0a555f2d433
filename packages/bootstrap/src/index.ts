// @pairkit/bootstrap: the BLE out-of-band handover and the LE SC OOB data formats.
export { BootstrapError, type BootstrapErrorCode } from './errors.js';
export { address56, addressOctets, addressText, type LeAddress, type LeAddressType } from './context.js';
export {
  HANDOVER_VERSION,
  HANDOVER_MAGIC,
  HANDOVER_KEY_LABEL,
  HANDOVER_SALT_BYTES,
  HANDOVER_TAG_BYTES,
  MAX_HANDOVER_BYTES,
  MAX_HANDOVER_ADDRS,
  CODE_SECRET_BYTES,
  HandoverSealer,
  sealHandover,
  openHandover,
  deriveHandoverKey,
  encodeHandoverPayload,
  decodeHandoverPayload,
  type HandoverPayload,
  type HandoverContext,
  type OpenHandoverOptions,
} from './handover.js';
export {
  OOB_TEXT_PREFIX,
  OOB_TEXT_VERSION,
  DEFAULT_OOB_TTL_MS,
  AdType,
  encodeOobText,
  parseOobText,
  encodeOobAd,
  parseOobAd,
  parseOobInput,
  checkOobConfirm,
  createLocalOob,
  oobAdHex,
  type OobData,
  type LeRole,
  type LocalOob,
  type CreateOobOptions,
  type ParseOobOptions,
} from './oob.js';
export { base32Encode, base32Decode } from './base32.js';
export { terminalQr } from './qr.js';
export { PAIRKIT_SERVICE_UUID, HANDOVER_PSM, HANDOVER_READY, type BleRadio, type BleLink, type BleChannel, type BlePairOptions, type BlePairResult, type BleOob, type NearbyInitiator } from './ports.js';
export { DEFAULT_TIMEOUTS, runStage, type HandoverEvents, type HandoverStage, type StageTimeouts } from './stages.js';
export { BondingStore } from './bond-store.js';
export { BleHandoverInitiator, DEFAULT_MAX_ATTEMPTS, type BleHandoverInitiatorOptions } from './initiator.js';
export { BleHandoverJoiner, type BleHandoverJoinerOptions, type ChooseInitiator } from './joiner.js';
export type { HandoverFlowOptions } from './flow.js';
export { HciBleRadio, HciBleLink, type HciRadioOptions, type RadioRegistry } from './hci-radio.js';
export { BLE_BOND_PROTOCOL, requestBleBond, serveBleBond, type NetworkBondOptions, type NetworkBondResult } from './net-bond.js';
