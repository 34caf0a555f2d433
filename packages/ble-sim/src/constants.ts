// Wire constants as the controller sees them (Core Vol 4 Part E). Kept apart from
// @pairkit/hci on purpose: a mistake shared by both ends would cancel out in tests.

export const H4 = { Command: 0x01, ACL: 0x02, SCO: 0x03, Event: 0x04, ISO: 0x05 } as const;

const op = (ogf: number, ocf: number): number => (ogf << 10) | ocf;

export const Op = {
  Disconnect: op(0x01, 0x0006),
  ReadRemoteVersionInformation: op(0x01, 0x001d),
  SetEventMask: op(0x03, 0x0001),
  Reset: op(0x03, 0x0003),
  SetEventMaskPage2: op(0x03, 0x0063),
  ReadLEHostSupport: op(0x03, 0x006c),
  WriteLEHostSupport: op(0x03, 0x006d),
  ReadLocalVersionInformation: op(0x04, 0x0001),
  ReadLocalSupportedCommands: op(0x04, 0x0002),
  ReadLocalSupportedFeatures: op(0x04, 0x0003),
  ReadBufferSize: op(0x04, 0x0005),
  ReadBDADDR: op(0x04, 0x0009),
  ReadRSSI: op(0x05, 0x0005),
  ReadEncryptionKeySize: op(0x05, 0x0008),
  LESetEventMask: op(0x08, 0x0001),
  LEReadBufferSize: op(0x08, 0x0002),
  LEReadLocalSupportedFeatures: op(0x08, 0x0003),
  LESetRandomAddress: op(0x08, 0x0005),
  LESetAdvertisingParameters: op(0x08, 0x0006),
  LEReadAdvertisingPhysicalChannelTxPower: op(0x08, 0x0007),
  LESetAdvertisingData: op(0x08, 0x0008),
  LESetScanResponseData: op(0x08, 0x0009),
  LESetAdvertisingEnable: op(0x08, 0x000a),
  LESetScanParameters: op(0x08, 0x000b),
  LESetScanEnable: op(0x08, 0x000c),
  LECreateConnection: op(0x08, 0x000d),
  LECreateConnectionCancel: op(0x08, 0x000e),
  LEReadFilterAcceptListSize: op(0x08, 0x000f),
  LEClearFilterAcceptList: op(0x08, 0x0010),
  LEAddDeviceToFilterAcceptList: op(0x08, 0x0011),
  LERemoveDeviceFromFilterAcceptList: op(0x08, 0x0012),
  LEConnectionUpdate: op(0x08, 0x0013),
  LEReadRemoteFeatures: op(0x08, 0x0016),
  LEEncrypt: op(0x08, 0x0017),
  LERand: op(0x08, 0x0018),
  LEEnableEncryption: op(0x08, 0x0019),
  LELongTermKeyRequestReply: op(0x08, 0x001a),
  LELongTermKeyRequestNegativeReply: op(0x08, 0x001b),
  LEReadSupportedStates: op(0x08, 0x001c),
  LESetDataLength: op(0x08, 0x0022),
  LEReadSuggestedDefaultDataLength: op(0x08, 0x0023),
  LEWriteSuggestedDefaultDataLength: op(0x08, 0x0024),
  LEReadMaximumDataLength: op(0x08, 0x002f),
  LEReadPHY: op(0x08, 0x0030),
  LESetDefaultPHY: op(0x08, 0x0031),
  LESetAdvertisingSetRandomAddress: op(0x08, 0x0035),
  LESetExtendedAdvertisingParameters: op(0x08, 0x0036),
  LESetExtendedAdvertisingData: op(0x08, 0x0037),
  LESetExtendedScanResponseData: op(0x08, 0x0038),
  LESetExtendedAdvertisingEnable: op(0x08, 0x0039),
  LEReadMaximumAdvertisingDataLength: op(0x08, 0x003a),
  LEReadNumberOfSupportedAdvertisingSets: op(0x08, 0x003b),
  LERemoveAdvertisingSet: op(0x08, 0x003c),
  LEClearAdvertisingSets: op(0x08, 0x003d),
  LESetExtendedScanParameters: op(0x08, 0x0041),
  LESetExtendedScanEnable: op(0x08, 0x0042),
  LEExtendedCreateConnection: op(0x08, 0x0043),
  LEReadBufferSizeV2: op(0x08, 0x0060),
} as const;

/** Octet and bit of each implemented command in the Supported_Commands table (§6.27). */
export const SUPPORTED_COMMAND_BITS: ReadonlyArray<readonly [opcode: number, octet: number, bit: number]> = [
  [Op.Disconnect, 0, 5],
  [Op.ReadRemoteVersionInformation, 2, 7],
  [Op.SetEventMask, 5, 6],
  [Op.Reset, 5, 7],
  [Op.ReadLocalVersionInformation, 14, 3],
  [Op.ReadLocalSupportedFeatures, 14, 5],
  [Op.ReadBufferSize, 14, 7],
  [Op.ReadBDADDR, 15, 1],
  [Op.ReadRSSI, 15, 5],
  [Op.ReadEncryptionKeySize, 20, 4],
  [Op.SetEventMaskPage2, 22, 2],
  [Op.ReadLEHostSupport, 24, 5],
  [Op.WriteLEHostSupport, 24, 6],
  [Op.LESetEventMask, 25, 0],
  [Op.LEReadBufferSize, 25, 1],
  [Op.LEReadLocalSupportedFeatures, 25, 2],
  [Op.LESetRandomAddress, 25, 4],
  [Op.LESetAdvertisingParameters, 25, 5],
  [Op.LEReadAdvertisingPhysicalChannelTxPower, 25, 6],
  [Op.LESetAdvertisingData, 25, 7],
  [Op.LESetScanResponseData, 26, 0],
  [Op.LESetAdvertisingEnable, 26, 1],
  [Op.LESetScanParameters, 26, 2],
  [Op.LESetScanEnable, 26, 3],
  [Op.LECreateConnection, 26, 4],
  [Op.LECreateConnectionCancel, 26, 5],
  [Op.LEReadFilterAcceptListSize, 26, 6],
  [Op.LEClearFilterAcceptList, 26, 7],
  [Op.LEAddDeviceToFilterAcceptList, 27, 0],
  [Op.LERemoveDeviceFromFilterAcceptList, 27, 1],
  [Op.LEConnectionUpdate, 27, 2],
  [Op.LEReadRemoteFeatures, 27, 5],
  [Op.LEEncrypt, 27, 6],
  [Op.LERand, 27, 7],
  [Op.LEEnableEncryption, 28, 0],
  [Op.LELongTermKeyRequestReply, 28, 1],
  [Op.LELongTermKeyRequestNegativeReply, 28, 2],
  [Op.LEReadSupportedStates, 28, 3],
  [Op.LESetDataLength, 33, 6],
  [Op.LEReadSuggestedDefaultDataLength, 33, 7],
  [Op.LEWriteSuggestedDefaultDataLength, 34, 0],
  [Op.LEReadMaximumDataLength, 35, 3],
  [Op.LEReadPHY, 35, 4],
  [Op.LESetDefaultPHY, 35, 5],
  [Op.LESetAdvertisingSetRandomAddress, 36, 1],
  [Op.LESetExtendedAdvertisingParameters, 36, 2],
  [Op.LESetExtendedAdvertisingData, 36, 3],
  [Op.LESetExtendedScanResponseData, 36, 4],
  [Op.LESetExtendedAdvertisingEnable, 36, 5],
  [Op.LEReadMaximumAdvertisingDataLength, 36, 6],
  [Op.LEReadNumberOfSupportedAdvertisingSets, 36, 7],
  [Op.LERemoveAdvertisingSet, 37, 0],
  [Op.LEClearAdvertisingSets, 37, 1],
  [Op.LESetExtendedScanParameters, 37, 5],
  [Op.LESetExtendedScanEnable, 37, 6],
  [Op.LEExtendedCreateConnection, 37, 7],
  [Op.LEReadBufferSizeV2, 41, 5],
];

/**
 * The two families a controller will not mix between resets (Vol 4 Part E §3.1.1): after one
 * command of either list, a command of the other gets Command Disallowed.
 */
export const LEGACY_ADVERTISING_COMMANDS = new Set<number>([
  Op.LESetAdvertisingParameters,
  Op.LEReadAdvertisingPhysicalChannelTxPower,
  Op.LESetAdvertisingData,
  Op.LESetScanResponseData,
  Op.LESetAdvertisingEnable,
  Op.LESetScanParameters,
  Op.LESetScanEnable,
  Op.LECreateConnection,
]);
export const EXTENDED_ADVERTISING_COMMANDS = new Set<number>([
  Op.LESetAdvertisingSetRandomAddress,
  Op.LESetExtendedAdvertisingParameters,
  Op.LESetExtendedAdvertisingData,
  Op.LESetExtendedScanResponseData,
  Op.LESetExtendedAdvertisingEnable,
  Op.LEReadMaximumAdvertisingDataLength,
  Op.LEReadNumberOfSupportedAdvertisingSets,
  Op.LERemoveAdvertisingSet,
  Op.LEClearAdvertisingSets,
  Op.LESetExtendedScanParameters,
  Op.LESetExtendedScanEnable,
  Op.LEExtendedCreateConnection,
]);

/** Commands a Core 4.2 controller does not have (added in 5.0 and later). */
export const NEWER_THAN_4_2 = new Set<number>([Op.LEReadPHY, Op.LESetDefaultPHY, Op.LEReadBufferSizeV2, ...EXTENDED_ADVERTISING_COMMANDS]);

export const Evt = {
  DisconnectionComplete: 0x05,
  EncryptionChange: 0x08,
  ReadRemoteVersionInformationComplete: 0x0c,
  CommandComplete: 0x0e,
  CommandStatus: 0x0f,
  HardwareError: 0x10,
  NumberOfCompletedPackets: 0x13,
  DataBufferOverflow: 0x1a,
  EncryptionKeyRefreshComplete: 0x30,
  LEMeta: 0x3e,
} as const;

export const LESub = {
  ConnectionComplete: 0x01,
  AdvertisingReport: 0x02,
  ConnectionUpdateComplete: 0x03,
  ReadRemoteFeaturesComplete: 0x04,
  LongTermKeyRequest: 0x05,
  DataLengthChange: 0x07,
  EnhancedConnectionComplete: 0x0a,
  ExtendedAdvertisingReport: 0x0d,
  ScanTimeout: 0x11,
  AdvertisingSetTerminated: 0x12,
  ChannelSelectionAlgorithm: 0x14,
} as const;

/** HCI error codes (Core Vol 1 Part F) the simulator produces. */
export const Status = {
  Success: 0x00,
  UnknownHCICommand: 0x01,
  UnknownConnectionIdentifier: 0x02,
  PINOrKeyMissing: 0x06,
  MemoryCapacityExceeded: 0x07,
  ConnectionTimeout: 0x08,
  CommandDisallowed: 0x0c,
  UnsupportedFeatureOrParameterValue: 0x11,
  InvalidHCICommandParameters: 0x12,
  RemoteUserTerminatedConnection: 0x13,
  ConnectionTerminatedByLocalHost: 0x16,
  UnsupportedRemoteFeature: 0x1a,
  AdvertisingTimeout: 0x3c,
  ConnectionTerminatedDueToMICFailure: 0x3d,
  UnknownAdvertisingIdentifier: 0x42,
  LimitReached: 0x43,
  PacketTooLong: 0x45,
} as const;

/** Advertising_Type of LE Set Advertising Parameters. */
export const AdvType = { ADV_IND: 0x00, ADV_DIRECT_IND_HIGH: 0x01, ADV_SCAN_IND: 0x02, ADV_NONCONN_IND: 0x03, ADV_DIRECT_IND_LOW: 0x04 } as const;

/** Advertising_Event_Properties bits of LE Set Extended Advertising Parameters (§7.8.53). */
export const Props = {
  Connectable: 0x01,
  Scannable: 0x02,
  Directed: 0x04,
  HighDutyCycle: 0x08,
  Legacy: 0x10,
  Anonymous: 0x20,
  IncludeTxPower: 0x40,
} as const;

/** The legacy PDU each Advertising_Type stands for, as extended properties. */
export const LEGACY_TYPE_PROPS: Readonly<Record<number, number>> = {
  [AdvType.ADV_IND]: 0x13,
  [AdvType.ADV_DIRECT_IND_HIGH]: 0x1d,
  [AdvType.ADV_SCAN_IND]: 0x12,
  [AdvType.ADV_NONCONN_IND]: 0x10,
  [AdvType.ADV_DIRECT_IND_LOW]: 0x15,
};

/** Event_Type bits of LE Extended Advertising Report (§7.7.65.13). */
export const ExtReport = {
  Connectable: 0x01,
  Scannable: 0x02,
  Directed: 0x04,
  ScanResponse: 0x08,
  Legacy: 0x10,
  /** Data_Status in bits 5-6. */
  MoreToCome: 0x01 << 5,
  Truncated: 0x02 << 5,
} as const;

/** Event_Type of LE Advertising Report. */
export const ReportType = { ADV_IND: 0x00, ADV_DIRECT_IND: 0x01, ADV_SCAN_IND: 0x02, ADV_NONCONN_IND: 0x03, SCAN_RSP: 0x04 } as const;

/** Reset values of the event masks (§7.3.1, §7.8.1). */
export const DEFAULT_EVENT_MASK = 0x00001fffffffffffn;
export const DEFAULT_LE_EVENT_MASK = 0x1fn;

/** Disconnect reasons the Disconnect command accepts (§7.1.6). */
export const DISCONNECT_REASONS = new Set([0x05, 0x13, 0x14, 0x15, 0x1a, 0x29, 0x3b]);
