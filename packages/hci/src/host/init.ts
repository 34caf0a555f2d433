import createDebug from 'debug';
import { HciError, isHciError } from '../errors.js';
import type { CommandName, CommandParams } from '../codec/commands.js';
import type { CommandReturn } from './host.js';

const debug = createDebug('pairkit:hci:host');

/** Anything that sends typed commands (HciHost). */
export interface CommandSender {
  command<N extends CommandName>(name: N, params: CommandParams<N>, opts?: { signal?: AbortSignal }): Promise<CommandReturn<N>>;
}

export interface ControllerInfo {
  hciVersion: number;
  hciSubversion: number;
  lmpVersion: number;
  companyIdentifier: number;
  bdAddr: string;
  supportedCommands?: Buffer;
  lmpFeatures?: Buffer;
  leFeatures?: Buffer;
  aclBuffers: { maxLength: number; total: number; source: 'LE_Read_Buffer_Size_v2' | 'LE_Read_Buffer_Size' | 'Read_Buffer_Size' };
  /**
   * The controller has LE Extended Advertising: the feature bit (LE features bit 12) and every
   * extended advertising, scanning and connecting command GAP uses (Supported_Commands).
   */
  extendedAdvertising: boolean;
  /** LE Read Maximum Advertising Data Length / Number of Supported Advertising Sets, when GAP uses the extended commands. */
  maxAdvertisingDataLength?: number;
  numSupportedAdvertisingSets?: number;
}

/** Octet and bit in Supported_Commands (Vol 4 Part E §6.27) of the extended commands GAP needs. */
export const EXTENDED_ADVERTISING_COMMAND_BITS: ReadonlyArray<readonly [name: string, octet: number, bit: number]> = [
  ['HCI_LE_Set_Advertising_Set_Random_Address', 36, 1],
  ['HCI_LE_Set_Extended_Advertising_Parameters', 36, 2],
  ['HCI_LE_Set_Extended_Advertising_Data', 36, 3],
  ['HCI_LE_Set_Extended_Scan_Response_Data', 36, 4],
  ['HCI_LE_Set_Extended_Advertising_Enable', 36, 5],
  ['HCI_LE_Read_Maximum_Advertising_Data_Length', 36, 6],
  ['HCI_LE_Read_Number_Of_Supported_Advertising_Sets', 36, 7],
  ['HCI_LE_Remove_Advertising_Set', 37, 0],
  ['HCI_LE_Set_Extended_Scan_Parameters', 37, 5],
  ['HCI_LE_Set_Extended_Scan_Enable', 37, 6],
  ['HCI_LE_Extended_Create_Connection', 37, 7],
];
/** LE Extended Advertising in the LE features (Vol 6 Part B §4.6). */
export const LE_FEATURE_EXTENDED_ADVERTISING = 12;

/** Feature bit and commands both say the controller does LE extended advertising. */
export function hasExtendedAdvertising(supportedCommands: Buffer | undefined, leFeatures: Buffer | undefined): boolean {
  if (!supportedCommands || !leFeatures || leFeatures.length < 2) return false;
  if (!(leFeatures[LE_FEATURE_EXTENDED_ADVERTISING >> 3] & (1 << (LE_FEATURE_EXTENDED_ADVERTISING & 7)))) return false;
  return EXTENDED_ADVERTISING_COMMAND_BITS.every(([, octet, bit]) => (supportedCommands[octet] ?? 0) & (1 << bit));
}

// Event mask bits we unmask (Core Vol 4 Part E §7.3.1, §7.8.1): page 1 = Disconnection Complete,
// Encryption Change, Read Remote Version Complete, Command Complete/Status, Hardware Error, Number
// Of Completed Packets, Data Buffer Overflow, Encryption Key Refresh Complete, LE Meta; LE = the
// connection, advertising report, update, remote features, LTK request, remote parameter
// request, data length change, enhanced connection complete, extended advertising report, scan
// timeout and advertising set terminated subevents.
const EVENT_MASK = [4, 7, 11, 13, 14, 15, 18, 25, 47, 61];
const LE_EVENT_MASK = [0, 1, 2, 3, 4, 5, 6, 9, 12, 16, 17];

function mask(bits: number[]): Buffer {
  const b = Buffer.alloc(8);
  for (const bit of bits) b[bit >> 3] |= 1 << (bit & 7);
  return b;
}

/**
 * The LE init sequence: Reset, Read Local Version, Read BD_ADDR, Read Local Supported
 * Commands/Features, Set Event Mask, LE Set Event Mask, LE Read Buffer Size (v2 -> v1 -> the
 * shared buffers), LE Read Local Supported Features, LE Set Random Address.
 */
export async function initController(host: CommandSender, randomAddress: string, signal?: AbortSignal): Promise<ControllerInfo> {
  const o = { signal };
  await host.command('HCI_Reset', {}, o);
  const v = await host.command('HCI_Read_Local_Version_Information', {}, o);
  const a = await host.command('HCI_Read_BD_ADDR', {}, o);
  const optional = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      if (isHciError(e, 'COMMAND_FAILED') || isHciError(e, 'COMMAND_TIMEOUT')) return undefined;
      throw e;
    }
  };
  const cmds = await optional(() => host.command('HCI_Read_Local_Supported_Commands', {}, o));
  const feats = await optional(() => host.command('HCI_Read_Local_Supported_Features', {}, o));
  await host.command('HCI_Set_Event_Mask', { eventMask: mask(EVENT_MASK) }, o);
  await host.command('HCI_LE_Set_Event_Mask', { leEventMask: mask(LE_EVENT_MASK) }, o);
  const aclBuffers = await readBufferSize(host, signal);
  const leFeats = await optional(() => host.command('HCI_LE_Read_Local_Supported_Features', {}, o));
  await host.command('HCI_LE_Set_Random_Address', { randomAddress }, o);
  const info: ControllerInfo = {
    hciVersion: v.hciVersion,
    hciSubversion: v.hciSubversion,
    lmpVersion: v.lmpVersion,
    companyIdentifier: v.companyIdentifier,
    bdAddr: a.bdAddr,
    supportedCommands: cmds?.supportedCommands,
    lmpFeatures: feats?.lmpFeatures,
    leFeatures: leFeats?.leFeatures,
    aclBuffers,
    extendedAdvertising: hasExtendedAdvertising(cmds?.supportedCommands, leFeats?.leFeatures),
  };
  debug('initialised: HCI version %d, ACL %d x %d (%s), address %s', v.hciVersion, aclBuffers.maxLength, aclBuffers.total, aclBuffers.source, randomAddress);
  return info;
}

/** LE Read Buffer Size v2, falling back to v1, falling back to the shared BR/EDR buffers. */
async function readBufferSize(host: CommandSender, signal?: AbortSignal): Promise<ControllerInfo['aclBuffers']> {
  const fallback = (e: unknown) => {
    if (isHciError(e, 'COMMAND_FAILED') || isHciError(e, 'COMMAND_TIMEOUT')) return undefined;
    throw e;
  };
  const v2 = await host.command('HCI_LE_Read_Buffer_Size_v2', {}, { signal }).catch(fallback);
  if (v2 && v2.leAclDataPacketLength > 0 && v2.totalNumLeAclDataPackets > 0) {
    return { maxLength: v2.leAclDataPacketLength, total: v2.totalNumLeAclDataPackets, source: 'LE_Read_Buffer_Size_v2' };
  }
  const v1 = v2 ? undefined : await host.command('HCI_LE_Read_Buffer_Size', {}, { signal }).catch(fallback);
  const le = v2 ?? v1;
  if (le && le.leAclDataPacketLength > 0 && le.totalNumLeAclDataPackets > 0) {
    return { maxLength: le.leAclDataPacketLength, total: le.totalNumLeAclDataPackets, source: 'LE_Read_Buffer_Size' };
  }
  // Zero means: LE shares the BR/EDR buffers (Core Vol 4 Part E §7.8.2).
  const b = await host.command('HCI_Read_Buffer_Size', {}, { signal });
  if (b.aclDataPacketLength === 0 || b.totalNumAclDataPackets === 0) throw new HciError('NOT_SUPPORTED', 'controller reports no ACL buffers');
  return { maxLength: b.aclDataPacketLength, total: b.totalNumAclDataPackets, source: 'Read_Buffer_Size' };
}
