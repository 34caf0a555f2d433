// What a scanner's host receives for one advertisement: LE Advertising Report (§7.7.65.2) for
// scanners set up with the legacy commands, LE Extended Advertising Report (§7.7.65.13) for
// scanners set up with the extended ones.
import { Writer } from './bytes.js';
import { ExtReport, Props, ReportType } from './constants.js';

/** One advertisement on the air as scanners and initiators meet it: legacy advertising or an enabled extended set. */
export interface AdvView {
  /** Advertising_Event_Properties (legacy Advertising_Type mapped to its legacy-PDU properties). */
  props: number;
  /** The advertiser's address; null when anonymous. */
  from: { type: number; address: Buffer } | null;
  peerAddressType: number;
  peerAddress: Buffer;
  filterPolicy: number;
  data: Buffer;
  scanResponse: Buffer;
  /** Advertising SID and DID (extended PDUs only). */
  sid: number;
  did: number;
  txPower: number;
  /** The extended set's handle; undefined for legacy advertising. */
  setHandle: number | undefined;
}

/** Most AD octets one LE Extended Advertising Report can carry: 255 - subevent, Num_Reports and the 24 fixed octets. */
export const EXT_REPORT_MAX_DATA = 229;

/** Event_Type of the legacy report for a legacy-PDU advertisement (or its scan response). */
export function legacyReportType(props: number, scanResponse: boolean): number {
  if (scanResponse) return ReportType.SCAN_RSP;
  if (props & Props.Directed) return ReportType.ADV_DIRECT_IND;
  if (props & Props.Connectable) return ReportType.ADV_IND;
  if (props & Props.Scannable) return ReportType.ADV_SCAN_IND;
  return ReportType.ADV_NONCONN_IND;
}

/** LE Advertising Report parameters (one report) for a legacy-PDU advertisement. */
export function legacyReport(type: number, from: { type: number; address: Buffer }, data: Buffer, rssi: number): Buffer {
  return new Writer().u8(1).u8(type).u8(from.type).bytes(from.address).u8(data.length).bytes(data).i8(rssi).build();
}

/** Event_Type bits of an extended report, data status aside. */
export function extendedReportType(props: number, scanResponse: boolean): number {
  let t = props & (Props.Connectable | Props.Scannable | Props.Directed | Props.Legacy);
  if (scanResponse) t |= ExtReport.ScanResponse;
  return t;
}

/**
 * LE Extended Advertising Report parameters, one event per fragment: AD longer than one
 * event carries goes out in pieces, all but the last with Data_Status "incomplete, more to
 * come", so the scanner's host reassembles them in order.
 */
export function extendedReports(
  v: AdvView,
  scanResponse: boolean,
  data: Buffer,
  rssi: number,
  direct: { type: number; address: Buffer } | null,
): Buffer[] {
  const legacy = (v.props & Props.Legacy) !== 0;
  const type = extendedReportType(v.props, scanResponse);
  const out: Buffer[] = [];
  let off = 0;
  do {
    const n = Math.min(EXT_REPORT_MAX_DATA, data.length - off);
    const more = off + n < data.length;
    const w = new Writer()
      .u8(1)
      .u16(type | (more ? ExtReport.MoreToCome : 0))
      .u8(v.from ? v.from.type : 0xff)
      .bytes(v.from ? v.from.address : Buffer.alloc(6))
      .u8(1) // Primary_PHY: LE 1M
      .u8(legacy ? 0 : 1) // Secondary_PHY: none for legacy PDUs, else LE 1M
      .u8(legacy ? 0xff : v.sid)
      .i8(!legacy && v.props & Props.IncludeTxPower ? v.txPower : 127)
      .i8(rssi)
      .u16(0) // no periodic advertising
      .u8(direct ? direct.type : 0)
      .bytes(direct ? direct.address : Buffer.alloc(6))
      .u8(n)
      .bytes(data.subarray(off, off + n));
    out.push(w.build());
    off += n;
  } while (off < data.length);
  return out;
}
