// pairkit: the one entry point apps import. See README.md.
export { Pairkit } from './pairkit.js';
export { PairingInvitation } from './invitation.js';
export type {
  PairkitOptions,
  DeviceIdentity,
  InitiateOptions,
  JoinOptions,
  BlePairingOptions,
  BleInitiateOptions,
  BleJoinOptions,
  RemoveOptions,
  RemoveResult,
  ChannelHandler,
  WatchDevicesOptions,
} from './options.js';
export { Channel, type WaitOptions } from './channel.js';
export type { Device, DeviceChange, PairingProgress, PairingResult, PairkitEvents } from './events.js';
export * from './errors.js';
export * from './aead.js';
// The lower packages' error classes, so apps can branch on `instanceof` and `code` everywhere.
export { RegistryError, type RegistryErrorCode, type SessionKeys } from '@pairkit/registry';
export { NetError, type NetErrorCode } from '@pairkit/net';
export { PairingCodeError, PairingProtocolError, type PairingCodeErrorCode, type PairingProtocolErrorCode } from '@pairkit/pairing';
export {
  BootstrapError,
  PAIRKIT_SERVICE_UUID,
  createLocalOob,
  encodeOobText,
  parseOobInput,
  type BootstrapErrorCode,
  type BleOob,
  type LeAddress,
  type NearbyInitiator,
  type ChooseInitiator,
  type StageTimeouts,
} from '@pairkit/bootstrap';
export { HciError, type HciErrorCode, type HciTransport } from '@pairkit/hci';
export { SmpError } from '@pairkit/smp';
