import { HciError } from '../errors.js';
import { Reader, toBuffer } from '../codec/bytes.js';

/** AD types (Assigned Numbers §2.3). */
export const AdType = {
  Flags: 0x01,
  Incomplete_List_of_16bit_Service_UUIDs: 0x02,
  Complete_List_of_16bit_Service_UUIDs: 0x03,
  Incomplete_List_of_32bit_Service_UUIDs: 0x04,
  Complete_List_of_32bit_Service_UUIDs: 0x05,
  Incomplete_List_of_128bit_Service_UUIDs: 0x06,
  Complete_List_of_128bit_Service_UUIDs: 0x07,
  Shortened_Local_Name: 0x08,
  Complete_Local_Name: 0x09,
  Tx_Power_Level: 0x0a,
  Service_Data_16bit_UUID: 0x16,
  Appearance: 0x19,
  LE_Bluetooth_Device_Address: 0x1b,
  LE_Role: 0x1c,
  LE_Secure_Connections_Confirmation_Value: 0x22,
  LE_Secure_Connections_Random_Value: 0x23,
  Manufacturer_Specific_Data: 0xff,
} as const;

/** Flags AD bits. */
export const AdFlags = {
  LE_Limited_Discoverable_Mode: 0x01,
  LE_General_Discoverable_Mode: 0x02,
  BR_EDR_Not_Supported: 0x04,
} as const;

export interface AdStructure {
  type: number;
  data: Buffer;
}

export interface ManufacturerData {
  companyIdentifier: number;
  data: Buffer;
}

/** Parsed view of advertising data. UUIDs are lower-case strings: "180d", "0000fe2c", or 128-bit with dashes. */
export interface AdvertisingData {
  flags?: number;
  completeLocalName?: string;
  shortenedLocalName?: string;
  serviceUuids: string[];
  /** True when any UUID list was marked incomplete. */
  serviceUuidsIncomplete?: boolean;
  manufacturerData: ManufacturerData[];
  txPowerLevel?: number;
  /** LE SC OOB AD types, kept raw (wire order). */
  leBluetoothDeviceAddress?: Buffer;
  leScConfirmationValue?: Buffer;
  leScRandomValue?: Buffer;
  structures: AdStructure[];
}

/** UUID string -> little-endian bytes (2, 4 or 16). */
export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '').toLowerCase();
  if (!/^([0-9a-f]{4}|[0-9a-f]{8}|[0-9a-f]{32})$/.test(hex)) throw new HciError('INVALID_PARAMETER', `not a UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(hex, 'hex').reverse();
}

/** Little-endian UUID bytes -> string. */
export function uuidFromBytes(b: Uint8Array): string {
  const hex = Buffer.from(b).reverse().toString('hex');
  if (hex.length !== 32) return hex;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Split AD bytes into structures. A zero length ends the data (padding). Throws MALFORMED. */
export function parseAdStructures(data: Uint8Array): AdStructure[] {
  const r = new Reader(toBuffer(data), 'advertising data');
  const out: AdStructure[] = [];
  while (r.remaining > 0) {
    const len = r.u8();
    if (len === 0) break;
    if (len > r.remaining) throw new HciError('MALFORMED', `AD structure of length ${len} overruns the data`);
    const type = r.u8();
    out.push({ type, data: r.bytes(len - 1) });
  }
  return out;
}

function uuidList(d: Buffer, size: number): string[] {
  if (d.length % size !== 0) throw new HciError('MALFORMED', `UUID list of ${d.length} bytes is not a multiple of ${size}`);
  const out: string[] = [];
  for (let i = 0; i < d.length; i += size) out.push(uuidFromBytes(d.subarray(i, i + size)));
  return out;
}

/** Parse advertising or scan response data. Throws HciError MALFORMED on bad structure. */
export function parseAd(data: Uint8Array): AdvertisingData {
  const structures = parseAdStructures(data);
  const ad: AdvertisingData = { serviceUuids: [], manufacturerData: [], structures };
  for (const { type, data: d } of structures) {
    switch (type) {
      case AdType.Flags:
        if (d.length >= 1) ad.flags = d[0];
        break;
      case AdType.Incomplete_List_of_16bit_Service_UUIDs:
      case AdType.Incomplete_List_of_32bit_Service_UUIDs:
      case AdType.Incomplete_List_of_128bit_Service_UUIDs:
      case AdType.Complete_List_of_16bit_Service_UUIDs:
      case AdType.Complete_List_of_32bit_Service_UUIDs:
      case AdType.Complete_List_of_128bit_Service_UUIDs: {
        const size = type <= 0x03 ? 2 : type <= 0x05 ? 4 : 16;
        if (type % 2 === 0) ad.serviceUuidsIncomplete = true;
        ad.serviceUuids.push(...uuidList(d, size));
        break;
      }
      case AdType.Shortened_Local_Name:
        ad.shortenedLocalName = d.toString('utf8');
        break;
      case AdType.Complete_Local_Name:
        ad.completeLocalName = d.toString('utf8');
        break;
      case AdType.Tx_Power_Level:
        if (d.length >= 1) ad.txPowerLevel = d.readInt8(0);
        break;
      case AdType.Manufacturer_Specific_Data:
        if (d.length < 2) throw new HciError('MALFORMED', 'manufacturer data without a company identifier');
        ad.manufacturerData.push({ companyIdentifier: d.readUInt16LE(0), data: d.subarray(2) });
        break;
      case AdType.LE_Bluetooth_Device_Address:
        ad.leBluetoothDeviceAddress = d;
        break;
      case AdType.LE_Secure_Connections_Confirmation_Value:
        ad.leScConfirmationValue = d;
        break;
      case AdType.LE_Secure_Connections_Random_Value:
        ad.leScRandomValue = d;
        break;
    }
  }
  return ad;
}

export interface AdInput {
  flags?: number;
  completeLocalName?: string;
  shortenedLocalName?: string;
  /** Complete lists, grouped by size automatically. */
  serviceUuids?: string[];
  manufacturerData?: ManufacturerData[];
  txPowerLevel?: number;
  leBluetoothDeviceAddress?: Uint8Array;
  leScConfirmationValue?: Uint8Array;
  leScRandomValue?: Uint8Array;
  /** Extra structures appended as-is. */
  structures?: AdStructure[];
}

/** Build AD bytes; throws TOO_LARGE over `maxLength` (31 for legacy advertising). */
export function buildAd(input: AdInput, maxLength = 31): Buffer {
  const s: AdStructure[] = [];
  const push = (type: number, data: Uint8Array) => {
    if (data.length > 254) throw new HciError('TOO_LARGE', `AD structure 0x${type.toString(16)} over 254 bytes`);
    s.push({ type, data: Buffer.from(data) });
  };
  if (input.flags !== undefined) push(AdType.Flags, Buffer.from([input.flags]));
  const groups: Record<number, Buffer[]> = { 2: [], 4: [], 16: [] };
  for (const u of input.serviceUuids ?? []) {
    const b = uuidToBytes(u);
    groups[b.length].push(b);
  }
  if (groups[2].length) push(AdType.Complete_List_of_16bit_Service_UUIDs, Buffer.concat(groups[2]));
  if (groups[4].length) push(AdType.Complete_List_of_32bit_Service_UUIDs, Buffer.concat(groups[4]));
  if (groups[16].length) push(AdType.Complete_List_of_128bit_Service_UUIDs, Buffer.concat(groups[16]));
  if (input.shortenedLocalName !== undefined) push(AdType.Shortened_Local_Name, Buffer.from(input.shortenedLocalName, 'utf8'));
  if (input.completeLocalName !== undefined) push(AdType.Complete_Local_Name, Buffer.from(input.completeLocalName, 'utf8'));
  if (input.txPowerLevel !== undefined) {
    const b = Buffer.alloc(1);
    b.writeInt8(input.txPowerLevel);
    push(AdType.Tx_Power_Level, b);
  }
  for (const m of input.manufacturerData ?? []) {
    const b = Buffer.alloc(2 + m.data.length);
    b.writeUInt16LE(m.companyIdentifier, 0);
    b.set(m.data, 2);
    push(AdType.Manufacturer_Specific_Data, b);
  }
  if (input.leBluetoothDeviceAddress) push(AdType.LE_Bluetooth_Device_Address, input.leBluetoothDeviceAddress);
  if (input.leScConfirmationValue) push(AdType.LE_Secure_Connections_Confirmation_Value, input.leScConfirmationValue);
  if (input.leScRandomValue) push(AdType.LE_Secure_Connections_Random_Value, input.leScRandomValue);
  for (const x of input.structures ?? []) push(x.type, x.data);
  const out = Buffer.concat(s.map((x) => Buffer.concat([Buffer.from([x.data.length + 1, x.type]), x.data])));
  if (out.length > maxLength) throw new HciError('TOO_LARGE', `advertising data is ${out.length} bytes (max ${maxLength})`);
  return out;
}
