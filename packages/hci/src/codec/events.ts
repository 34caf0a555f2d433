import { EventCode, LeSubevent, Opcode } from '../constants.js';
import { HciError } from '../errors.js';
import { Reader, toBuffer } from './bytes.js';
import {

  encodeReturnParameters,
  type CompleteCommandName,
  type ReturnParams,
} from './commands.js';
import { decodePacket, encodeEvent } from './packets.js';
import { decodeStruct, encodeStruct, type Schema, type StructOf } from './struct.js';
import { addressFromBytes, addressToBytes } from '../address.js';

const ch = ['connectionHandle', 'u16'] as const;
const status = ['status', 'u8'] as const;

/** Fixed-layout events (Core Vol 4 Part E §7.7). LE Meta events carry their subevent. */
export const eventSchemas = {
  Disconnection_Complete: { code: EventCode.Disconnection_Complete, fields: [status, ch, ['reason', 'u8']] },
  Encryption_Change_v1: {
    code: EventCode.Encryption_Change_v1,
    fields: [status, ch, ['encryptionEnabled', 'u8']],
  },
  Encryption_Change_v2: {
    code: EventCode.Encryption_Change_v2,
    fields: [status, ch, ['encryptionEnabled', 'u8'], ['encryptionKeySize', 'u8']],
  },
  Read_Remote_Version_Information_Complete: {
    code: EventCode.Read_Remote_Version_Information_Complete,
    fields: [status, ch, ['version', 'u8'], ['manufacturerName', 'u16'], ['subversion', 'u16']],
  },
  Command_Complete: {
    code: EventCode.Command_Complete,
    fields: [['numHciCommandPackets', 'u8'], ['commandOpcode', 'u16'], ['returnParameters', 'rest']],
  },
  Command_Status: {
    code: EventCode.Command_Status,
    fields: [status, ['numHciCommandPackets', 'u8'], ['commandOpcode', 'u16']],
  },
  Hardware_Error: { code: EventCode.Hardware_Error, fields: [['hardwareCode', 'u8']] },
  Data_Buffer_Overflow: { code: EventCode.Data_Buffer_Overflow, fields: [['linkType', 'u8']] },
  Encryption_Key_Refresh_Complete: { code: EventCode.Encryption_Key_Refresh_Complete, fields: [status, ch] },
  Authenticated_Payload_Timeout_Expired: { code: EventCode.Authenticated_Payload_Timeout_Expired, fields: [ch] },
  LE_Connection_Complete: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Connection_Complete,
    fields: [
      status,
      ch,
      ['role', 'u8'],
      ['peerAddressType', 'u8'],
      ['peerAddress', 'addr'],
      ['connectionInterval', 'u16'],
      ['peripheralLatency', 'u16'],
      ['supervisionTimeout', 'u16'],
      ['centralClockAccuracy', 'u8'],
    ],
  },
  LE_Connection_Update_Complete: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Connection_Update_Complete,
    fields: [status, ch, ['connectionInterval', 'u16'], ['peripheralLatency', 'u16'], ['supervisionTimeout', 'u16']],
  },
  LE_Read_Remote_Features_Complete: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Read_Remote_Features_Complete,
    fields: [status, ch, ['leFeatures', 'b8']],
  },
  LE_Long_Term_Key_Request: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Long_Term_Key_Request,
    fields: [ch, ['randomNumber', 'b8'], ['encryptedDiversifier', 'u16']],
  },
  LE_Remote_Connection_Parameter_Request: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Remote_Connection_Parameter_Request,
    fields: [ch, ['intervalMin', 'u16'], ['intervalMax', 'u16'], ['maxLatency', 'u16'], ['timeout', 'u16']],
  },
  LE_Data_Length_Change: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Data_Length_Change,
    fields: [ch, ['maxTxOctets', 'u16'], ['maxTxTime', 'u16'], ['maxRxOctets', 'u16'], ['maxRxTime', 'u16']],
  },
  LE_Read_Local_P256_Public_Key_Complete: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Read_Local_P256_Public_Key_Complete,
    fields: [status, ['localP256PublicKey', 'b64']],
  },
  LE_Generate_DHKey_Complete: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Generate_DHKey_Complete,
    fields: [status, ['dhKey', 'b32']],
  },
  LE_Enhanced_Connection_Complete: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Enhanced_Connection_Complete,
    fields: [
      status,
      ch,
      ['role', 'u8'],
      ['peerAddressType', 'u8'],
      ['peerAddress', 'addr'],
      ['localResolvablePrivateAddress', 'addr'],
      ['peerResolvablePrivateAddress', 'addr'],
      ['connectionInterval', 'u16'],
      ['peripheralLatency', 'u16'],
      ['supervisionTimeout', 'u16'],
      ['centralClockAccuracy', 'u8'],
    ],
  },
  LE_PHY_Update_Complete: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_PHY_Update_Complete,
    fields: [status, ch, ['txPhy', 'u8'], ['rxPhy', 'u8']],
  },
  LE_Scan_Timeout: { code: EventCode.LE_Meta, subevent: LeSubevent.LE_Scan_Timeout, fields: [] },
  LE_Advertising_Set_Terminated: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Advertising_Set_Terminated,
    fields: [status, ['advertisingHandle', 'u8'], ch, ['numCompletedExtendedAdvertisingEvents', 'u8']],
  },
  LE_Scan_Request_Received: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Scan_Request_Received,
    fields: [['advertisingHandle', 'u8'], ['scannerAddressType', 'u8'], ['scannerAddress', 'addr']],
  },
  LE_Channel_Selection_Algorithm: {
    code: EventCode.LE_Meta,
    subevent: LeSubevent.LE_Channel_Selection_Algorithm,
    fields: [ch, ['channelSelectionAlgorithm', 'u8']],
  },
} as const satisfies Record<string, { code: number; subevent?: number; fields: Schema }>;

export interface CompletedPackets {
  connectionHandle: number;
  numCompletedPackets: number;
}
export interface AdvertisingReport {
  eventType: number;
  addressType: number;
  address: string;
  data: Buffer;
  /** dBm; 127 means not available. */
  rssi: number;
}

/** One report of LE Extended Advertising Report (§7.7.65.13). */
export interface ExtendedAdvertisingReport {
  /** Bits: 0 connectable, 1 scannable, 2 directed, 3 scan response, 4 legacy PDU, 5-6 data status. */
  eventType: number;
  /** 0xFF: anonymous advertising. */
  addressType: number;
  address: string;
  /** 1 LE 1M, 3 LE Coded. */
  primaryPhy: number;
  /** 0 none (legacy PDUs), 1 LE 1M, 2 LE 2M, 3 LE Coded. */
  secondaryPhy: number;
  /** 0xFF: no ADI. */
  advertisingSid: number;
  /** dBm; 127 means not available. */
  txPower: number;
  /** dBm; 127 means not available. */
  rssi: number;
  periodicAdvertisingInterval: number;
  directAddressType: number;
  directAddress: string;
  data: Buffer;
}

/** Data_Status of an extended report (bits 5-6 of Event_Type). */
export const ExtendedReportDataStatus = { Complete: 0, MoreToCome: 1, Truncated: 2 } as const;

/** Events whose layout has arrays, parsed by hand. */
export interface CustomEventParams {
  Number_Of_Completed_Packets: { handles: CompletedPackets[] };
  LE_Advertising_Report: { reports: AdvertisingReport[] };
  LE_Extended_Advertising_Report: { reports: ExtendedAdvertisingReport[] };
}

type FixedName = keyof typeof eventSchemas;
export type EventName = FixedName | keyof CustomEventParams;
export type EventParams<N extends EventName> = N extends FixedName
  ? StructOf<(typeof eventSchemas)[N]['fields']>
  : N extends keyof CustomEventParams
    ? CustomEventParams[N]
    : never;

/** A decoded event; unknown codes/subevents keep the raw parameters. */
export type HciEvent =
  | { [N in EventName]: { name: N; code: number; subevent?: number; params: EventParams<N> } }[EventName]
  | { name: undefined; code: number; subevent?: number; raw: Buffer };

const byKey = new Map<number, FixedName>();
for (const n of Object.keys(eventSchemas) as FixedName[]) {
  const d = eventSchemas[n] as { code: number; subevent?: number };
  byKey.set(d.subevent === undefined ? d.code : 0x100 | d.subevent, n);
}

function parseNocp(r: Reader): CustomEventParams['Number_Of_Completed_Packets'] {
  const n = r.u8();
  const handles: CompletedPackets[] = [];
  for (let i = 0; i < n; i++) handles.push({ connectionHandle: r.u16() & 0x0fff, numCompletedPackets: r.u16() });
  return { handles };
}

function parseAdvReports(r: Reader): CustomEventParams['LE_Advertising_Report'] {
  const n = r.u8();
  const reports: AdvertisingReport[] = [];
  // Reports one after another, as controllers send them (and BlueZ / Bumble parse them).
  for (let i = 0; i < n; i++) {
    const eventType = r.u8();
    const addressType = r.u8();
    r.need(6);
    const address = addressFromBytes(r.bytes(6));
    const len = r.u8();
    if (len > 31) throw new HciError('MALFORMED', `advertising report data length ${len} exceeds 31`);
    const data = r.bytes(len);
    const v = r.u8();
    reports.push({ eventType, addressType, address, data, rssi: v > 127 ? v - 256 : v });
  }
  return { reports };
}

/** One report's fields of LE Extended Advertising Report, in order (§7.7.65.13). */
const extendedReportFields = [
  ['eventType', 'u16'],
  ['addressType', 'u8'],
  ['address', 'addr'],
  ['primaryPhy', 'u8'],
  ['secondaryPhy', 'u8'],
  ['advertisingSid', 'u8'],
  ['txPower', 'i8'],
  ['rssi', 'i8'],
  ['periodicAdvertisingInterval', 'u16'],
  ['directAddressType', 'u8'],
  ['directAddress', 'addr'],
  ['data', 'lv8'],
] as const satisfies Schema;

function parseExtAdvReports(r: Reader): CustomEventParams['LE_Extended_Advertising_Report'] {
  const n = r.u8();
  const reports: ExtendedAdvertisingReport[] = [];
  for (let i = 0; i < n; i++) reports.push(decodeStruct(extendedReportFields, r));
  return { reports };
}

/** Decode an HCI event packet (H4 bytes, indicator 0x04 first). Errors are HciError. */
export function decodeEvent(h4: Uint8Array): HciEvent {
  const p = decodePacket(h4);
  if (p.type !== 'event') throw new HciError('MALFORMED', `expected an event packet, got ${p.type}`);
  return decodeEventParams(p.code, p.params);
}

/** Decode an event from its code and parameter bytes. */
export function decodeEventParams(code: number, data: Uint8Array): HciEvent {
  const r = new Reader(toBuffer(data), `event 0x${code.toString(16)}`);
  let subevent: number | undefined;
  if (code === EventCode.LE_Meta) subevent = r.u8();
  if (code === EventCode.Number_Of_Completed_Packets) {
    return { name: 'Number_Of_Completed_Packets', code, params: parseNocp(r) };
  }
  if (subevent === LeSubevent.LE_Advertising_Report) {
    return { name: 'LE_Advertising_Report', code, subevent, params: parseAdvReports(r) };
  }
  if (subevent === LeSubevent.LE_Extended_Advertising_Report) {
    return { name: 'LE_Extended_Advertising_Report', code, subevent, params: parseExtAdvReports(r) };
  }
  const name = byKey.get(subevent === undefined ? code : 0x100 | subevent);
  if (!name) {
    const raw = Buffer.from(r.buf.subarray(r.offset));
    return subevent === undefined ? { name: undefined, code, raw } : { name: undefined, code, subevent, raw };
  }
  const params = decodeStruct(eventSchemas[name].fields as Schema, r);
  const ev = { name, code, params } as HciEvent;
  if (subevent !== undefined) ev.subevent = subevent;
  return ev;
}

/** Controller side: build the H4 bytes of an event. */
export function buildEvent<N extends EventName>(name: N, params: EventParams<N>): Buffer {
  if (name === 'Number_Of_Completed_Packets') {
    const { handles } = params as CustomEventParams['Number_Of_Completed_Packets'];
    const b = Buffer.alloc(1 + 4 * handles.length);
    b[0] = handles.length;
    handles.forEach((h, i) => {
      b.writeUInt16LE(h.connectionHandle, 1 + 4 * i);
      b.writeUInt16LE(h.numCompletedPackets, 3 + 4 * i);
    });
    return encodeEvent(EventCode.Number_Of_Completed_Packets, b);
  }
  if (name === 'LE_Advertising_Report') {
    const { reports } = params as CustomEventParams['LE_Advertising_Report'];
    const parts: Buffer[] = [Buffer.from([LeSubevent.LE_Advertising_Report, reports.length])];
    for (const rep of reports) {
      if (rep.data.length > 31) throw new HciError('TOO_LARGE', 'advertising report data over 31 bytes');
      const rssi = Buffer.alloc(1);
      rssi.writeInt8(rep.rssi);
      parts.push(Buffer.from([rep.eventType, rep.addressType]), addressToBytes(rep.address), Buffer.from([rep.data.length]), Buffer.from(rep.data), rssi);
    }
    return encodeEvent(EventCode.LE_Meta, Buffer.concat(parts));
  }
  if (name === 'LE_Extended_Advertising_Report') {
    const { reports } = params as CustomEventParams['LE_Extended_Advertising_Report'];
    const parts: Buffer[] = [Buffer.from([LeSubevent.LE_Extended_Advertising_Report, reports.length])];
    for (const rep of reports) parts.push(encodeStruct(extendedReportFields, rep));
    return encodeEvent(EventCode.LE_Meta, Buffer.concat(parts));
  }
  const def = eventSchemas[name as FixedName] as { code: number; subevent?: number; fields: Schema };
  const body = encodeStruct(def.fields, params as never);
  return encodeEvent(def.code, def.subevent === undefined ? body : Buffer.concat([Buffer.from([def.subevent]), body]));
}

/** Controller side: Command Complete for a known command with typed return parameters. */
export function buildCommandComplete<N extends CompleteCommandName>(
  name: N,
  returnParameters: ReturnParams<N>,
  numHciCommandPackets = 1,
): Buffer {
  return buildEvent('Command_Complete', {
    numHciCommandPackets,
    commandOpcode: Opcode[name],
    returnParameters: encodeReturnParameters(name, returnParameters),
  });
}

/** Controller side: Command Complete carrying raw return parameters (e.g. status 0x01 for unknown opcodes). */
export function buildCommandCompleteRaw(commandOpcode: number, returnParameters: Uint8Array, numHciCommandPackets = 1): Buffer {
  return buildEvent('Command_Complete', { numHciCommandPackets, commandOpcode, returnParameters: toBuffer(returnParameters) });
}

export function buildCommandStatus(commandOpcode: number, status: number, numHciCommandPackets = 1): Buffer {
  return buildEvent('Command_Status', { status, numHciCommandPackets, commandOpcode });
}

