import { Opcode, opcodeName } from '../constants.js';
import { HciError } from '../errors.js';
import { Reader, toBuffer } from './bytes.js';
import { decodePacket, encodeCommand } from './packets.js';
import { decodeStruct, encodeStruct, type Schema, type StructOf } from './struct.js';

const ch = ['connectionHandle', 'u16'] as const;
const status = ['status', 'u8'] as const;
const statusOnly = [status] as const;
const statusHandle = [status, ch] as const;

/**
 * Parameter layouts of the commands (Core Vol 4 Part E §7). `returns` is the Command
 * Complete return-parameter layout; commands without it are answered with Command Status.
 */
export const commandSchemas = {
  HCI_Disconnect: { params: [ch, ['reason', 'u8']] },
  HCI_Read_Remote_Version_Information: { params: [ch] },
  HCI_Set_Event_Mask: { params: [['eventMask', 'b8']], returns: statusOnly },
  HCI_Reset: { params: [], returns: statusOnly },
  HCI_Read_Transmit_Power_Level: { params: [ch, ['type', 'u8']], returns: [status, ch, ['transmitPowerLevel', 'i8']] },
  HCI_Set_Controller_To_Host_Flow_Control: { params: [['flowControlEnable', 'u8']], returns: statusOnly },
  HCI_Host_Buffer_Size: {
    params: [
      ['hostAclDataPacketLength', 'u16'],
      ['hostSynchronousDataPacketLength', 'u8'],
      ['hostTotalNumAclDataPackets', 'u16'],
      ['hostTotalNumSynchronousDataPackets', 'u16'],
    ],
    returns: statusOnly,
  },
  HCI_Host_Number_Of_Completed_Packets: { params: [['handles', 'rest']] },
  HCI_Set_Event_Mask_Page_2: { params: [['eventMaskPage2', 'b8']], returns: statusOnly },
  HCI_Write_LE_Host_Support: { params: [['leSupportedHost', 'u8'], ['unused', 'u8']], returns: statusOnly },
  HCI_Write_Authenticated_Payload_Timeout: { params: [ch, ['authenticatedPayloadTimeout', 'u16']], returns: statusHandle },
  HCI_Read_Local_Version_Information: {
    params: [],
    returns: [
      status,
      ['hciVersion', 'u8'],
      ['hciSubversion', 'u16'],
      ['lmpVersion', 'u8'],
      ['companyIdentifier', 'u16'],
      ['lmpSubversion', 'u16'],
    ],
  },
  HCI_Read_Local_Supported_Commands: { params: [], returns: [status, ['supportedCommands', 'b64']] },
  HCI_Read_Local_Supported_Features: { params: [], returns: [status, ['lmpFeatures', 'b8']] },
  HCI_Read_Buffer_Size: {
    params: [],
    returns: [
      status,
      ['aclDataPacketLength', 'u16'],
      ['synchronousDataPacketLength', 'u8'],
      ['totalNumAclDataPackets', 'u16'],
      ['totalNumSynchronousDataPackets', 'u16'],
    ],
  },
  HCI_Read_BD_ADDR: { params: [], returns: [status, ['bdAddr', 'addr']] },
  HCI_Read_RSSI: { params: [ch], returns: [status, ch, ['rssi', 'i8']] },
  HCI_LE_Set_Event_Mask: { params: [['leEventMask', 'b8']], returns: statusOnly },
  HCI_LE_Read_Buffer_Size: {
    params: [],
    returns: [status, ['leAclDataPacketLength', 'u16'], ['totalNumLeAclDataPackets', 'u8']],
  },
  HCI_LE_Read_Local_Supported_Features: { params: [], returns: [status, ['leFeatures', 'b8']] },
  HCI_LE_Set_Random_Address: { params: [['randomAddress', 'addr']], returns: statusOnly },
  HCI_LE_Set_Advertising_Parameters: {
    params: [
      ['advertisingIntervalMin', 'u16'],
      ['advertisingIntervalMax', 'u16'],
      ['advertisingType', 'u8'],
      ['ownAddressType', 'u8'],
      ['peerAddressType', 'u8'],
      ['peerAddress', 'addr'],
      ['advertisingChannelMap', 'u8'],
      ['advertisingFilterPolicy', 'u8'],
    ],
    returns: statusOnly,
  },
  HCI_LE_Read_Advertising_Physical_Channel_Tx_Power: { params: [], returns: [status, ['txPowerLevel', 'i8']] },
  HCI_LE_Set_Advertising_Data: { params: [['advertisingData', 'adv31']], returns: statusOnly },
  HCI_LE_Set_Scan_Response_Data: { params: [['scanResponseData', 'adv31']], returns: statusOnly },
  HCI_LE_Set_Advertising_Enable: { params: [['advertisingEnable', 'u8']], returns: statusOnly },
  HCI_LE_Set_Scan_Parameters: {
    params: [
      ['leScanType', 'u8'],
      ['leScanInterval', 'u16'],
      ['leScanWindow', 'u16'],
      ['ownAddressType', 'u8'],
      ['scanningFilterPolicy', 'u8'],
    ],
    returns: statusOnly,
  },
  HCI_LE_Set_Scan_Enable: { params: [['leScanEnable', 'u8'], ['filterDuplicates', 'u8']], returns: statusOnly },
  HCI_LE_Create_Connection: {
    params: [
      ['leScanInterval', 'u16'],
      ['leScanWindow', 'u16'],
      ['initiatorFilterPolicy', 'u8'],
      ['peerAddressType', 'u8'],
      ['peerAddress', 'addr'],
      ['ownAddressType', 'u8'],
      ['connectionIntervalMin', 'u16'],
      ['connectionIntervalMax', 'u16'],
      ['maxLatency', 'u16'],
      ['supervisionTimeout', 'u16'],
      ['minCeLength', 'u16'],
      ['maxCeLength', 'u16'],
    ],
  },
  HCI_LE_Create_Connection_Cancel: { params: [], returns: statusOnly },
  HCI_LE_Read_Filter_Accept_List_Size: { params: [], returns: [status, ['filterAcceptListSize', 'u8']] },
  HCI_LE_Clear_Filter_Accept_List: { params: [], returns: statusOnly },
  HCI_LE_Add_Device_To_Filter_Accept_List: { params: [['addressType', 'u8'], ['address', 'addr']], returns: statusOnly },
  HCI_LE_Remove_Device_From_Filter_Accept_List: {
    params: [['addressType', 'u8'], ['address', 'addr']],
    returns: statusOnly,
  },
  HCI_LE_Connection_Update: {
    params: [
      ch,
      ['connectionIntervalMin', 'u16'],
      ['connectionIntervalMax', 'u16'],
      ['maxLatency', 'u16'],
      ['supervisionTimeout', 'u16'],
      ['minCeLength', 'u16'],
      ['maxCeLength', 'u16'],
    ],
  },
  HCI_LE_Set_Host_Channel_Classification: { params: [['channelMap', 'b5']], returns: statusOnly },
  HCI_LE_Read_Channel_Map: { params: [ch], returns: [status, ch, ['channelMap', 'b5']] },
  HCI_LE_Read_Remote_Features: { params: [ch] },
  HCI_LE_Encrypt: { params: [['key', 'b16'], ['plaintextData', 'b16']], returns: [status, ['encryptedData', 'b16']] },
  HCI_LE_Rand: { params: [], returns: [status, ['randomNumber', 'b8']] },
  HCI_LE_Enable_Encryption: {
    params: [ch, ['randomNumber', 'b8'], ['encryptedDiversifier', 'u16'], ['longTermKey', 'b16']],
  },
  HCI_LE_Long_Term_Key_Request_Reply: { params: [ch, ['longTermKey', 'b16']], returns: statusHandle },
  HCI_LE_Long_Term_Key_Request_Negative_Reply: { params: [ch], returns: statusHandle },
  HCI_LE_Read_Supported_States: { params: [], returns: [status, ['leStates', 'b8']] },
  HCI_LE_Remote_Connection_Parameter_Request_Reply: {
    params: [
      ch,
      ['intervalMin', 'u16'],
      ['intervalMax', 'u16'],
      ['maxLatency', 'u16'],
      ['timeout', 'u16'],
      ['minCeLength', 'u16'],
      ['maxCeLength', 'u16'],
    ],
    returns: statusHandle,
  },
  HCI_LE_Remote_Connection_Parameter_Request_Negative_Reply: { params: [ch, ['reason', 'u8']], returns: statusHandle },
  HCI_LE_Set_Data_Length: { params: [ch, ['txOctets', 'u16'], ['txTime', 'u16']], returns: statusHandle },
  HCI_LE_Read_Suggested_Default_Data_Length: {
    params: [],
    returns: [status, ['suggestedMaxTxOctets', 'u16'], ['suggestedMaxTxTime', 'u16']],
  },
  HCI_LE_Write_Suggested_Default_Data_Length: {
    params: [['suggestedMaxTxOctets', 'u16'], ['suggestedMaxTxTime', 'u16']],
    returns: statusOnly,
  },
  HCI_LE_Add_Device_To_Resolving_List: {
    params: [['peerIdentityAddressType', 'u8'], ['peerIdentityAddress', 'addr'], ['peerIrk', 'b16'], ['localIrk', 'b16']],
    returns: statusOnly,
  },
  HCI_LE_Remove_Device_From_Resolving_List: {
    params: [['peerIdentityAddressType', 'u8'], ['peerIdentityAddress', 'addr']],
    returns: statusOnly,
  },
  HCI_LE_Clear_Resolving_List: { params: [], returns: statusOnly },
  HCI_LE_Read_Resolving_List_Size: { params: [], returns: [status, ['resolvingListSize', 'u8']] },
  HCI_LE_Set_Address_Resolution_Enable: { params: [['addressResolutionEnable', 'u8']], returns: statusOnly },
  HCI_LE_Set_Resolvable_Private_Address_Timeout: { params: [['rpaTimeout', 'u16']], returns: statusOnly },
  HCI_LE_Read_Maximum_Data_Length: {
    params: [],
    returns: [
      status,
      ['supportedMaxTxOctets', 'u16'],
      ['supportedMaxTxTime', 'u16'],
      ['supportedMaxRxOctets', 'u16'],
      ['supportedMaxRxTime', 'u16'],
    ],
  },
  HCI_LE_Read_PHY: { params: [ch], returns: [status, ch, ['txPhy', 'u8'], ['rxPhy', 'u8']] },
  HCI_LE_Set_Default_PHY: { params: [['allPhys', 'u8'], ['txPhys', 'u8'], ['rxPhys', 'u8']], returns: statusOnly },
  HCI_LE_Set_PHY: { params: [ch, ['allPhys', 'u8'], ['txPhys', 'u8'], ['rxPhys', 'u8'], ['phyOptions', 'u16']] },
  HCI_LE_Set_Advertising_Set_Random_Address: {
    params: [['advertisingHandle', 'u8'], ['randomAddress', 'addr']],
    returns: statusOnly,
  },
  HCI_LE_Set_Extended_Advertising_Parameters: {
    params: [
      ['advertisingHandle', 'u8'],
      ['advertisingEventProperties', 'u16'],
      ['primaryAdvertisingIntervalMin', 'u24'],
      ['primaryAdvertisingIntervalMax', 'u24'],
      ['primaryAdvertisingChannelMap', 'u8'],
      ['ownAddressType', 'u8'],
      ['peerAddressType', 'u8'],
      ['peerAddress', 'addr'],
      ['advertisingFilterPolicy', 'u8'],
      ['advertisingTxPower', 'i8'],
      ['primaryAdvertisingPhy', 'u8'],
      ['secondaryAdvertisingMaxSkip', 'u8'],
      ['secondaryAdvertisingPhy', 'u8'],
      ['advertisingSid', 'u8'],
      ['scanRequestNotificationEnable', 'u8'],
    ],
    returns: [status, ['selectedTxPower', 'i8']],
  },
  HCI_LE_Set_Extended_Advertising_Data: {
    params: [['advertisingHandle', 'u8'], ['operation', 'u8'], ['fragmentPreference', 'u8'], ['advertisingData', 'lv8']],
    returns: statusOnly,
  },
  HCI_LE_Set_Extended_Scan_Response_Data: {
    params: [['advertisingHandle', 'u8'], ['operation', 'u8'], ['fragmentPreference', 'u8'], ['scanResponseData', 'lv8']],
    returns: statusOnly,
  },
  /** `sets` holds Num_Sets then the per-set arrays, raw. */
  HCI_LE_Set_Extended_Advertising_Enable: { params: [['enable', 'u8'], ['sets', 'rest']], returns: statusOnly },
  HCI_LE_Read_Maximum_Advertising_Data_Length: { params: [], returns: [status, ['maxAdvertisingDataLength', 'u16']] },
  HCI_LE_Read_Number_Of_Supported_Advertising_Sets: {
    params: [],
    returns: [status, ['numSupportedAdvertisingSets', 'u8']],
  },
  HCI_LE_Remove_Advertising_Set: { params: [['advertisingHandle', 'u8']], returns: statusOnly },
  HCI_LE_Clear_Advertising_Sets: { params: [], returns: statusOnly },
  HCI_LE_Set_Extended_Scan_Parameters: {
    params: [['ownAddressType', 'u8'], ['scanningFilterPolicy', 'u8'], ['scanningPhys', 'u8'], ['phyParameters', 'rest']],
    returns: statusOnly,
  },
  HCI_LE_Set_Extended_Scan_Enable: {
    params: [['enable', 'u8'], ['filterDuplicates', 'u8'], ['duration', 'u16'], ['period', 'u16']],
    returns: statusOnly,
  },
  HCI_LE_Extended_Create_Connection: { params: [['parameters', 'rest']] },
  HCI_LE_Read_Transmit_Power: { params: [], returns: [status, ['minTxPower', 'i8'], ['maxTxPower', 'i8']] },
  HCI_LE_Set_Privacy_Mode: {
    params: [['peerIdentityAddressType', 'u8'], ['peerIdentityAddress', 'addr'], ['privacyMode', 'u8']],
    returns: statusOnly,
  },
  HCI_LE_Read_Buffer_Size_v2: {
    params: [],
    returns: [
      status,
      ['leAclDataPacketLength', 'u16'],
      ['totalNumLeAclDataPackets', 'u8'],
      ['isoDataPacketLength', 'u16'],
      ['totalNumIsoDataPackets', 'u8'],
    ],
  },
} as const satisfies { [K in keyof typeof Opcode]: { params: Schema; returns?: Schema } };

export type CommandName = keyof typeof commandSchemas;
type Def<N extends CommandName> = (typeof commandSchemas)[N];
/** Parameters object of command N. */
export type CommandParams<N extends CommandName> = StructOf<Def<N>['params']>;
/** Return parameters of command N (Command Complete); on a failure status only `status` is certain. */
export type ReturnParams<N extends CommandName> = Def<N> extends { returns: infer R extends Schema } ? StructOf<R> : never;
/** Commands answered with Command Complete. */
export type CompleteCommandName = { [N in CommandName]: Def<N> extends { returns: Schema } ? N : never }[CommandName];

const nameByOpcode = new Map<number, CommandName>(
  (Object.keys(commandSchemas) as CommandName[]).map((n) => [Opcode[n], n]),
);

export function commandNameOf(op: number): CommandName | undefined {
  return nameByOpcode.get(op);
}

export function commandHasCompleteEvent(op: number): boolean {
  const n = nameByOpcode.get(op);
  return n !== undefined && 'returns' in commandSchemas[n];
}

/** Host side: build the H4 bytes of a command. */
export function buildCommand<N extends CommandName>(name: N, params: CommandParams<N>): Buffer {
  const def = commandSchemas[name] as { params: Schema };
  return encodeCommand(Opcode[name], encodeStruct(def.params, params as never));
}

/** A command decoded on the controller side. Unknown opcodes keep their raw parameters. */
export type ParsedCommand =
  | { [N in CommandName]: { name: N; opcode: number; params: CommandParams<N> } }[CommandName]
  | { name: undefined; opcode: number; raw: Buffer };

/** Controller side: decode a command packet (H4 bytes). Throws HciError TRUNCATED on short parameters. */
export function parseCommand(h4: Uint8Array): ParsedCommand {
  const p = decodePacket(h4);
  if (p.type !== 'command') throw new HciError('MALFORMED', `expected a command packet, got ${p.type}`);
  const name = nameByOpcode.get(p.opcode);
  if (!name) return { name: undefined, opcode: p.opcode, raw: p.params };
  const r = new Reader(p.params, name);
  const params = decodeStruct(commandSchemas[name].params as Schema, r);
  return { name, opcode: p.opcode, params } as ParsedCommand;
}

/** Decode the return parameters of a Command Complete for the command `name`. */
export function parseReturnParameters<N extends CompleteCommandName>(name: N, data: Uint8Array): ReturnParams<N> {
  const def = commandSchemas[name] as { returns: Schema };
  const b = toBuffer(data);
  if (b.length >= 1 && b[0] !== 0) {
    // Failed commands may carry only the status.
    try {
      return decodeStruct(def.returns, new Reader(b, opcodeName(Opcode[name]))) as ReturnParams<N>;
    } catch {
      return { status: b[0] } as unknown as ReturnParams<N>;
    }
  }
  return decodeStruct(def.returns, new Reader(b, opcodeName(Opcode[name]))) as ReturnParams<N>;
}

/** Controller side: encode return parameters of command `name`. */
export function encodeReturnParameters<N extends CompleteCommandName>(name: N, value: ReturnParams<N>): Buffer {
  const def = commandSchemas[name] as { returns: Schema };
  return encodeStruct(def.returns, value as never);
}
