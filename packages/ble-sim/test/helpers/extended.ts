// Raw parameter blocks of the LE extended advertising commands, written from the spec's
// tables (Vol 4 Part E §7.8.53-7.8.66) for Probe-driven controller tests.

export const XOP = {
  SetSetRandomAddress: 0x2035,
  SetExtAdvParams: 0x2036,
  SetExtAdvData: 0x2037,
  SetExtScanRsp: 0x2038,
  SetExtAdvEnable: 0x2039,
  ReadMaxAdvDataLength: 0x203a,
  ReadNumSets: 0x203b,
  RemoveSet: 0x203c,
  ClearSets: 0x203d,
  SetExtScanParams: 0x2041,
  SetExtScanEnable: 0x2042,
  ExtCreateConn: 0x2043,
} as const;

export interface ExtParams {
  handle?: number;
  props?: number;
  interval?: number;
  ownAddressType?: number;
  peerAddressType?: number;
  peerAddress?: Uint8Array;
  txPower?: number;
  primaryPhy?: number;
  secondaryPhy?: number;
  sid?: number;
}

/** LE Set Extended Advertising Parameters (25 octets). */
export function extParams(p: ExtParams = {}): Buffer {
  const b = Buffer.alloc(25);
  b[0] = p.handle ?? 0;
  b.writeUInt16LE(p.props ?? 0x13, 1);
  b.writeUIntLE(p.interval ?? 0x20, 3, 3);
  b.writeUIntLE(p.interval ?? 0x20, 6, 3);
  b[9] = 0x07;
  b[10] = p.ownAddressType ?? 0;
  b[11] = p.peerAddressType ?? 0;
  Buffer.from(p.peerAddress ?? Buffer.alloc(6)).copy(b, 12);
  b[18] = 0; // filter policy
  b.writeInt8(p.txPower ?? 127, 19);
  b[20] = p.primaryPhy ?? 1;
  b[21] = 0;
  b[22] = p.secondaryPhy ?? 1;
  b[23] = p.sid ?? 0;
  b[24] = 0;
  return b;
}

/** LE Set Extended Advertising Data / Scan Response Data. */
export function extData(handle: number, operation: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([handle, operation, 1, data.length]), data]);
}

/** LE Set Extended Advertising Enable. */
export function extEnable(enable: 0 | 1, sets: Array<[handle: number, duration?: number, maxEvents?: number]>): Buffer {
  const b = Buffer.alloc(2 + 4 * sets.length);
  b[0] = enable;
  b[1] = sets.length;
  sets.forEach(([h, d, m], i) => {
    b[2 + 4 * i] = h;
    b.writeUInt16LE(d ?? 0, 3 + 4 * i);
    b[5 + 4 * i] = m ?? 0;
  });
  return b;
}

/** LE Set Extended Scan Parameters, LE 1M only. */
export function extScanParams(active: boolean, ownAddressType = 0, phys = 1): Buffer {
  const b = Buffer.from([ownAddressType, 0, phys, active ? 1 : 0, 0x10, 0, 0x10, 0]);
  return phys & 4 ? Buffer.concat([b, Buffer.from([0, 0x10, 0, 0x10, 0])]) : b;
}

export function extScanEnable(enable: 0 | 1, filterDuplicates = 0, duration = 0, period = 0): Buffer {
  const b = Buffer.alloc(6);
  b[0] = enable;
  b[1] = filterDuplicates;
  b.writeUInt16LE(duration, 2);
  b.writeUInt16LE(period, 4);
  return b;
}

/** LE Extended Create Connection to a peer (little-endian octets), LE 1M entry only. */
export function extCreateConn(peerLE: Uint8Array, peerType = 0, ownAddressType = 0): Buffer {
  const b = Buffer.alloc(26);
  b[0] = 0;
  b[1] = ownAddressType;
  b[2] = peerType;
  Buffer.from(peerLE).copy(b, 3);
  b[9] = 1;
  [0x10, 0x10, 24, 40, 0, 400, 0, 0].forEach((v, i) => b.writeUInt16LE(v, 10 + 2 * i));
  return b;
}

/** One parsed LE Extended Advertising Report (single report per event, as ble-sim sends). */
export interface ExtReportView {
  eventType: number;
  addressType: number;
  address: Buffer;
  secondaryPhy: number;
  sid: number;
  txPower: number;
  directAddressType: number;
  directAddress: Buffer;
  data: Buffer;
  paramLength: number;
}

export function parseExtReport(params: Buffer): ExtReportView {
  // params: after the subevent octet: Num_Reports, then one report.
  const p = params;
  if (p[0] !== 1) throw new Error(`expected one report, got ${p[0]}`);
  const len = p[24];
  return {
    eventType: p.readUInt16LE(1),
    addressType: p[3],
    address: p.subarray(4, 10),
    secondaryPhy: p[11],
    sid: p[12],
    txPower: p.readInt8(13),
    directAddressType: p[17],
    directAddress: p.subarray(18, 24),
    data: p.subarray(25, 25 + len),
    paramLength: p.length + 1,
  };
}
