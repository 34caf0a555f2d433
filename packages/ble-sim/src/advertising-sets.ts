// LE extended advertising sets (Core Vol 4 Part E §7.8.53-7.8.61): parameters, fragmented
// data, enable with duration / event limits, remove and clear. Sans-IO: the controller passes
// the command parameters in and is told through SetsHost what happens on the air.
import { Reader } from './bytes.js';
import { AdvType, LEGACY_TYPE_PROPS, Props, Status } from './constants.js';

export interface ExtAdvSet {
  readonly handle: number;
  /** Advertising_Event_Properties. */
  props: number;
  intervalMin: number;
  intervalMax: number;
  ownAddressType: number;
  peerAddressType: number;
  peerAddress: Buffer;
  filterPolicy: number;
  /** Selected TX power (dBm), as returned to the host. */
  txPower: number;
  sid: number;
  /** Set by LE Set Advertising Set Random Address; used when Own_Address_Type is random. */
  randomAddress: Buffer | null;
  data: Buffer;
  scanResponse: Buffer;
  /** Fragments of data / scan response still being assembled (operations first/intermediate). */
  partialData: Buffer | null;
  partialScanResponse: Buffer | null;
  enabled: boolean;
  /** Advertising Data ID: a new one with each data update, so extended scanners report again. */
  did: number;
  /** Bumped by each enable/disable, so a pending duration or event-count limit of an older run is void. */
  epoch: number;
}

export interface SetsHost {
  /** Run fn after ms on the air's timers. */
  schedule(fn: () => void, ms: number): void;
  /** A set stopped by itself (duration, event limit): LE Advertising Set Terminated. */
  terminated(set: ExtAdvSet, status: number, completedEvents: number): void;
}

/** Octets of AD a connectable AUX_ADV_IND carries (255 minus its extended header: flags, AdvA, ADI). */
export const CONNECTABLE_DATA_CAPACITY = 245;
const MAX_HANDLE = 0xef;
const TX_POWER_MIN = -20;
const TX_POWER_MAX = 10;
/** High duty cycle directed advertising may last 1.28 s at most (Duration in 10 ms units). */
const HIGH_DUTY_MAX_DURATION = 128;

export const isLegacy = (props: number): boolean => (props & Props.Legacy) !== 0;
const isConnectable = (props: number): boolean => (props & Props.Connectable) !== 0;
const isScannable = (props: number): boolean => (props & Props.Scannable) !== 0;

/** Does this kind of advertising carry advertising data / a scan response at all? */
function carriesData(props: number): boolean {
  if (isLegacy(props)) return (props & Props.Directed) === 0;
  return !isScannable(props); // extended scannable advertising has only the scan response
}
const carriesScanResponse = (props: number): boolean => isScannable(props);

function validProps(props: number): boolean {
  if (props > 0x7f) return false;
  if (isLegacy(props)) return Object.values(LEGACY_TYPE_PROPS).includes(props);
  if (isConnectable(props) && isScannable(props)) return false; // not allowed with extended PDUs
  if ((props & Props.Anonymous) && (isConnectable(props) || isScannable(props))) return false;
  return true;
}

function dataFits(props: number, data: Buffer, which: 'data' | 'scanResponse', max: number): number {
  if (data.length === 0) return Status.Success;
  if (which === 'data' ? !carriesData(props) : !carriesScanResponse(props)) return Status.InvalidHCICommandParameters;
  if (isLegacy(props)) return data.length > 31 ? Status.InvalidHCICommandParameters : Status.Success;
  if (data.length > max) return Status.MemoryCapacityExceeded;
  const capacity = CONNECTABLE_DATA_CAPACITY - ((props & Props.IncludeTxPower) !== 0 ? 1 : 0);
  if (isConnectable(props) && data.length > capacity) return Status.PacketTooLong; // no AUX_CHAIN_IND for connectable PDUs
  return Status.Success;
}

export class AdvertisingSets {
  private readonly sets = new Map<number, ExtAdvSet>();

  constructor(
    readonly maxSets: number,
    readonly maxDataLength: number,
    private readonly host: SetsHost,
  ) {}

  get(handle: number): ExtAdvSet | undefined {
    return this.sets.get(handle);
  }

  /** Sets currently advertising, in handle order. */
  enabled(): ExtAdvSet[] {
    return [...this.sets.values()].filter((s) => s.enabled).sort((a, b) => a.handle - b.handle);
  }

  get anyEnabled(): boolean {
    for (const s of this.sets.values()) if (s.enabled) return true;
    return false;
  }

  clearAll(): void {
    for (const s of this.sets.values()) s.epoch++;
    this.sets.clear();
  }

  /** A connection was made on this set: it stops advertising (no Set Terminated here, the controller sends it). */
  stopForConnection(set: ExtAdvSet): void {
    set.enabled = false;
    set.epoch++;
  }

  /** LE Set Extended Advertising Parameters; returns [status, selected TX power]. */
  setParameters(r: Reader): [number, number] {
    const handle = r.u8();
    const props = r.u16();
    const intervalMin = r.u24();
    const intervalMax = r.u24();
    const channelMap = r.u8();
    const ownAddressType = r.u8();
    const peerAddressType = r.u8();
    const peerAddress = r.bytes(6);
    const filterPolicy = r.u8();
    const txReq = r.u8();
    const primaryPhy = r.u8();
    r.u8(); // Secondary_Advertising_Max_Skip
    const secondaryPhy = r.u8();
    const sid = r.u8();
    const notify = r.u8();
    const fail = (s: number): [number, number] => [s, 0];
    if (handle > MAX_HANDLE || !validProps(props)) return fail(Status.InvalidHCICommandParameters);
    const existing = this.sets.get(handle);
    if (existing?.enabled) return fail(Status.CommandDisallowed);
    if (!existing && this.sets.size >= this.maxSets) return fail(Status.MemoryCapacityExceeded);
    const highDuty = (props & Props.HighDutyCycle) !== 0 && (props & Props.Directed) !== 0;
    if (!highDuty && (intervalMin > intervalMax || intervalMin < 0x20)) return fail(Status.InvalidHCICommandParameters);
    if ((channelMap & 7) === 0 || ownAddressType > 3 || peerAddressType > 1 || filterPolicy > 3 || sid > 0x0f || notify > 1) {
      return fail(Status.InvalidHCICommandParameters);
    }
    // LE 1M only: Coded (0x03) or 2M secondaries are valid values this controller lacks.
    if (primaryPhy !== 1 && primaryPhy !== 3) return fail(Status.InvalidHCICommandParameters);
    if (primaryPhy === 3) return fail(Status.UnsupportedFeatureOrParameterValue);
    if (!isLegacy(props)) {
      if (secondaryPhy < 1 || secondaryPhy > 3) return fail(Status.InvalidHCICommandParameters);
      if (secondaryPhy !== 1) return fail(Status.UnsupportedFeatureOrParameterValue);
    }
    const txSigned = txReq > 127 ? txReq - 256 : txReq;
    const txPower = txSigned === 127 ? 0 : Math.max(TX_POWER_MIN, Math.min(TX_POWER_MAX, txSigned));
    if (existing) {
      // Data already in the set must suit the new kind of advertising.
      const bad = dataFits(props, existing.data, 'data', this.maxDataLength) || dataFits(props, existing.scanResponse, 'scanResponse', this.maxDataLength);
      if (bad) return fail(bad === Status.PacketTooLong ? Status.PacketTooLong : Status.InvalidHCICommandParameters);
    }
    const set: ExtAdvSet = existing ?? {
      handle,
      props,
      intervalMin,
      intervalMax,
      ownAddressType,
      peerAddressType,
      peerAddress,
      filterPolicy,
      txPower,
      sid,
      randomAddress: null,
      data: Buffer.alloc(0),
      scanResponse: Buffer.alloc(0),
      partialData: null,
      partialScanResponse: null,
      enabled: false,
      did: 0,
      epoch: 0,
    };
    Object.assign(set, { props, intervalMin, intervalMax, ownAddressType, peerAddressType, peerAddress, filterPolicy, txPower, sid });
    this.sets.set(handle, set);
    return [Status.Success, txPower];
  }

  /** LE Set Advertising Set Random Address. */
  setRandomAddress(r: Reader): number {
    const handle = r.u8();
    const address = r.bytes(6);
    const set = this.sets.get(handle);
    if (!set) return Status.UnknownAdvertisingIdentifier;
    if (set.enabled && isConnectable(set.props)) return Status.CommandDisallowed;
    set.randomAddress = address;
    return Status.Success;
  }

  /**
   * LE Set Extended Advertising Data / Scan Response Data. Operation: 0 intermediate, 1 first,
   * 2 last, 3 complete, 4 unchanged data (a new DID only). Returns the status; `changed` says
   * whether scanners should hear the set again.
   */
  setData(r: Reader, which: 'data' | 'scanResponse'): { status: number; changed: boolean } {
    const handle = r.u8();
    const operation = r.u8();
    r.u8(); // Fragment_Preference: this controller never fragments differently
    const len = r.u8();
    const chunk = r.bytes(len);
    const fail = (status: number) => ({ status, changed: false });
    const set = this.sets.get(handle);
    if (!set) return fail(Status.UnknownAdvertisingIdentifier);
    if (operation > 4 || len > 251) return fail(Status.InvalidHCICommandParameters);
    const partialKey = which === 'data' ? 'partialData' : 'partialScanResponse';
    if (operation === 4) {
      if (which === 'scanResponse' || len !== 0 || isLegacy(set.props) || set.data.length === 0) return fail(Status.InvalidHCICommandParameters);
      if (!set.enabled) return fail(Status.CommandDisallowed);
      set.did = (set.did + 1) & 0xfff;
      return { status: Status.Success, changed: true };
    }
    if (set.enabled && operation !== 3) return fail(Status.CommandDisallowed);
    if (isLegacy(set.props) && (operation !== 3 || len > 31)) return fail(Status.InvalidHCICommandParameters);
    if ((operation === 0 || operation === 2) && set[partialKey] === null) return fail(Status.InvalidHCICommandParameters);
    const assembled = operation === 1 || operation === 3 ? chunk : Buffer.concat([set[partialKey]!, chunk]);
    if (assembled.length > this.maxDataLength) {
      set[partialKey] = null;
      return fail(Status.MemoryCapacityExceeded);
    }
    if (operation === 0 || operation === 1) {
      set[partialKey] = assembled;
      return { status: Status.Success, changed: false };
    }
    const bad = dataFits(set.props, assembled, which, this.maxDataLength);
    set[partialKey] = null;
    if (bad) return fail(bad);
    set[which] = assembled;
    set.did = (set.did + 1) & 0xfff;
    return { status: Status.Success, changed: set.enabled };
  }

  /**
   * LE Set Extended Advertising Enable. `hasAddress` tells whether the set has the address its
   * Own_Address_Type needs. All sets change together or none does.
   */
  setEnable(r: Reader, hasAddress: (set: ExtAdvSet) => boolean): number {
    const enable = r.u8();
    const n = r.u8();
    const entries: Array<{ set: ExtAdvSet; duration: number; maxEvents: number }> = [];
    const handles = new Set<number>();
    const raw: Array<[number, number, number]> = [];
    for (let i = 0; i < n; i++) raw.push([r.u8(), r.u16(), r.u8()]);
    if (enable > 1 || (enable === 1 && n === 0)) return Status.InvalidHCICommandParameters;
    if (enable === 0 && n === 0) {
      for (const s of this.sets.values()) this.disable(s);
      return Status.Success;
    }
    for (const [handle, duration, maxEvents] of raw) {
      if (handles.has(handle)) return Status.InvalidHCICommandParameters;
      handles.add(handle);
      const set = this.sets.get(handle);
      if (!set) return Status.UnknownAdvertisingIdentifier;
      entries.push({ set, duration, maxEvents });
    }
    if (enable === 0) {
      for (const e of entries) this.disable(e.set);
      return Status.Success;
    }
    for (const { set, duration } of entries) {
      if (set.partialData !== null || set.partialScanResponse !== null) return Status.CommandDisallowed;
      if (!hasAddress(set)) return Status.InvalidHCICommandParameters;
      const legacyHighDuty = set.props === LEGACY_TYPE_PROPS[AdvType.ADV_DIRECT_IND_HIGH];
      if (legacyHighDuty && (duration === 0 || duration > HIGH_DUTY_MAX_DURATION)) return Status.InvalidHCICommandParameters;
      if (!isLegacy(set.props) && isScannable(set.props) && set.scanResponse.length === 0) return Status.CommandDisallowed;
    }
    for (const { set, duration, maxEvents } of entries) {
      set.enabled = true;
      const epoch = ++set.epoch;
      // Limits in simulated time: Duration in 10 ms units; an advertising event every interval.
      const eventMs = set.intervalMin * 0.625;
      const durationMs = duration * 10;
      const eventsMs = maxEvents * eventMs;
      if (duration > 0 && (maxEvents === 0 || durationMs <= eventsMs)) {
        this.host.schedule(() => this.expire(set, epoch, Status.AdvertisingTimeout, Math.floor(durationMs / eventMs)), durationMs);
      } else if (maxEvents > 0) {
        this.host.schedule(() => this.expire(set, epoch, Status.LimitReached, maxEvents), eventsMs);
      }
    }
    return Status.Success;
  }

  private disable(set: ExtAdvSet): void {
    if (!set.enabled) return;
    set.enabled = false;
    set.epoch++;
  }

  private expire(set: ExtAdvSet, epoch: number, status: number, events: number): void {
    if (!set.enabled || set.epoch !== epoch || this.sets.get(set.handle) !== set) return;
    this.disable(set);
    this.host.terminated(set, status, Math.min(255, events));
  }

  /** LE Remove Advertising Set. */
  remove(r: Reader): number {
    const handle = r.u8();
    const set = this.sets.get(handle);
    if (!set) return Status.UnknownAdvertisingIdentifier;
    if (set.enabled) return Status.CommandDisallowed;
    this.sets.delete(handle);
    return Status.Success;
  }

  /** LE Clear Advertising Sets. */
  clear(): number {
    if (this.anyEnabled) return Status.CommandDisallowed;
    this.sets.clear();
    return Status.Success;
  }
}
