// LE extended advertising, scanning and connecting (Core Vol 4 Part E §7.8.53-7.8.66): the
// parameter blocks GAP sends and the reassembly of fragmented LE Extended Advertising Reports.
import { HciError } from '../errors.js';
import { AdvertisingType } from '../constants.js';
import { addressToBytes } from '../address.js';
import { ExtendedReportDataStatus as DataStatus, type ExtendedAdvertisingReport } from '../codec/events.js';

/** Advertising_Event_Properties bits (§7.8.53). */
export const AdvertisingEventProperties = {
  Connectable: 0x01,
  Scannable: 0x02,
  Directed: 0x04,
  HighDutyCycle: 0x08,
  Legacy: 0x10,
  Anonymous: 0x20,
  IncludeTxPower: 0x40,
} as const;

/** The legacy PDU of each Advertising_Type, as extended properties (legacy bit set). */
export const LEGACY_PDU_PROPERTIES: Readonly<Record<number, number>> = {
  [AdvertisingType.ADV_IND]: 0x13,
  [AdvertisingType.ADV_DIRECT_IND_HIGH]: 0x1d,
  [AdvertisingType.ADV_SCAN_IND]: 0x12,
  [AdvertisingType.ADV_NONCONN_IND]: 0x10,
  [AdvertisingType.ADV_DIRECT_IND_LOW]: 0x15,
};

/** Most AD octets one Set Extended Advertising/Scan Response Data command carries. */
export const EXTENDED_DATA_FRAGMENT = 251;

/** Set Extended Advertising Data operations. */
export const DataOperation = { Intermediate: 0, First: 1, Last: 2, Complete: 3, Unchanged: 4 } as const;

/** Splits AD into (operation, fragment) pairs for Set Extended Advertising/Scan Response Data. */
export function dataFragments(data: Buffer): Array<[operation: number, fragment: Buffer]> {
  if (data.length <= EXTENDED_DATA_FRAGMENT) return [[DataOperation.Complete, data]];
  const out: Array<[number, Buffer]> = [];
  for (let off = 0; off < data.length; off += EXTENDED_DATA_FRAGMENT) {
    const last = off + EXTENDED_DATA_FRAGMENT >= data.length;
    out.push([off === 0 ? DataOperation.First : last ? DataOperation.Last : DataOperation.Intermediate, data.subarray(off, off + EXTENDED_DATA_FRAGMENT)]);
  }
  return out;
}

/** Num_Sets and the per-set entries of LE Set Extended Advertising Enable. */
export function enableEntries(sets: Array<{ handle: number; durationMs?: number; maxEvents?: number }>): Buffer {
  const b = Buffer.alloc(1 + 4 * sets.length);
  b[0] = sets.length;
  sets.forEach((s, i) => {
    b[1 + 4 * i] = s.handle;
    b.writeUInt16LE(Math.min(0xffff, Math.round((s.durationMs ?? 0) / 10)), 2 + 4 * i);
    b[4 + 4 * i] = s.maxEvents ?? 0;
  });
  return b;
}

/** The LE 1M entry of LE Set Extended Scan Parameters (type, interval, window). */
export function scanPhyParameters(active: boolean, interval: number, window: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = active ? 1 : 0;
  b.writeUInt16LE(interval, 1);
  b.writeUInt16LE(window, 3);
  return b;
}

export interface ExtendedConnectParams {
  ownAddressType: number;
  peerAddressType: number;
  peerAddress: string;
  scanInterval: number;
  scanWindow: number;
  connectionIntervalMin: number;
  connectionIntervalMax: number;
  maxLatency: number;
  supervisionTimeout: number;
}

/** Parameters of LE Extended Create Connection with the LE 1M entry only. */
export function extendedCreateConnectionParameters(p: ExtendedConnectParams): Buffer {
  const b = Buffer.alloc(10 + 16);
  b[0] = 0; // Initiator_Filter_Policy: the peer address below
  b[1] = p.ownAddressType;
  b[2] = p.peerAddressType;
  addressToBytes(p.peerAddress).copy(b, 3);
  b[9] = 0x01; // Initiating_PHYs: LE 1M
  const values = [p.scanInterval, p.scanWindow, p.connectionIntervalMin, p.connectionIntervalMax, p.maxLatency, p.supervisionTimeout, 0, 0];
  values.forEach((v, i) => b.writeUInt16LE(v, 10 + 2 * i));
  return b;
}

/** A whole advertisement out of one or more extended report fragments. */
export interface AssembledReport {
  report: ExtendedAdvertisingReport;
  data: Buffer;
  /** The controller could not deliver all of it (Data_Status "truncated"), or it grew beyond the limit. */
  truncated: boolean;
}

/**
 * Joins LE Extended Advertising Report fragments (Data_Status 0b01 "more to come") into whole
 * advertisements, per advertiser, SID and event type. Sans-IO; bounded in entries and bytes.
 */
export class ExtendedReportAssembler {
  private readonly pending = new Map<string, { parts: Buffer[]; size: number }>();

  constructor(
    private readonly maxBytes = 1650,
    private readonly maxPending = 64,
  ) {}

  /** The whole advertisement once this fragment ends one; undefined while more is to come. */
  push(r: ExtendedAdvertisingReport): AssembledReport | undefined {
    const status = (r.eventType >> 5) & 0b11;
    const key = `${r.addressType}/${r.address}/${r.advertisingSid}/${r.eventType & 0x1f}`;
    const prev = this.pending.get(key);
    this.pending.delete(key);
    const parts = prev ? [...prev.parts, r.data] : [r.data];
    const size = (prev?.size ?? 0) + r.data.length;
    if (size > this.maxBytes) return { report: r, data: Buffer.concat(parts).subarray(0, this.maxBytes), truncated: true };
    if (status === DataStatus.MoreToCome) {
      if (this.pending.size >= this.maxPending) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
      }
      this.pending.set(key, { parts, size });
      return undefined;
    }
    // Complete, truncated, or the reserved 0b11 (taken as truncated).
    return { report: r, data: prev ? Buffer.concat(parts) : r.data, truncated: status !== DataStatus.Complete };
  }

  /** Drops fragments in progress (scanning stopped). */
  clear(): void {
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }
}

/** Checks a caller's choice against what the controller can carry. */
export function checkExtendedLength(what: string, data: Buffer, max: number): void {
  if (data.length > max) throw new HciError('TOO_LARGE', `${what} is ${data.length} bytes (the controller takes ${max})`);
}
