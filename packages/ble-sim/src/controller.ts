import { createCipheriv, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import type { SimAir } from './air.js';
import { Reader, Writer, formatAddress, parseAddress } from './bytes.js';
import { AdvertisingSets, isLegacy, type ExtAdvSet } from './advertising-sets.js';
import { extendedReportType, extendedReports, legacyReport, legacyReportType, type AdvView } from './reports.js';
import {
  AdvType,
  DEFAULT_EVENT_MASK,
  DEFAULT_LE_EVENT_MASK,
  DISCONNECT_REASONS,
  Evt,
  H4,
  LESub,
  EXTENDED_ADVERTISING_COMMANDS,
  LEGACY_ADVERTISING_COMMANDS,
  LEGACY_TYPE_PROPS,
  NEWER_THAN_4_2,
  Op,
  Props,
  Status,
  SUPPORTED_COMMAND_BITS,
} from './constants.js';
import { SimError } from './errors.js';
import { SimLink, type LinkEnd } from './link.js';

export interface SimControllerOptions {
  /** Public BD_ADDR "AA:BB:CC:DD:EE:FF", or 'random' for one from the air's random source. */
  address?: string;
  /** LE ACL Data Packet Length this controller advertises (27..251 typical). Default 251. */
  aclDataPacketLength?: number;
  /** Total Num LE ACL Data Packets (host-to-controller buffers). Default 8. */
  totalNumAclDataPackets?: number;
  /** Num_HCI_Command_Packets in Command Complete / Status. Default 1. */
  numHciCommandPackets?: number;
  /** Filter Accept List size. Default 16. */
  filterAcceptListSize?: number;
  /**
   * Core version the controller presents. '5.4' (default) has LE extended advertising,
   * scanning and connecting; '4.2' has only the legacy commands (the 5.x ones are unknown
   * commands, HCI version 0x08, no LE Extended Advertising feature bit).
   */
  coreVersion?: '5.4' | '4.2';
  /** Advertising sets (LE Read Number of Supported Advertising Sets). Default 4. */
  advertisingSets?: number;
  /** LE Read Maximum Advertising Data Length (31..1650). Default 1650. */
  maxAdvertisingDataLength?: number;
}

export interface SimControllerStats {
  commands: number;
  unknownCommands: number;
  aclFromHost: number;
  aclToHost: number;
  aclDropped: number;
  events: number;
}

export interface SimControllerEvents {
  /** One whole H4 packet for the host (type byte included). */
  packet: [Buffer];
  /** One whole H4 packet from the host, well-formed, before it is handled (for captures). */
  input: [Buffer];
  /** An ACL packet from the host was dropped; why, for logs and tests. */
  dropped: [string];
  close: [];
}

type Reply =
  | { kind: 'complete'; params: Buffer; after?: () => void }
  | { kind: 'status'; status: number; after?: () => void };

/** Commands answered with Command Status (the outcome comes later as its own event). */
const STATUS_COMMANDS = new Set<number>([
  Op.Disconnect,
  Op.ReadRemoteVersionInformation,
  Op.LECreateConnection,
  Op.LEExtendedCreateConnection,
  Op.LEConnectionUpdate,
  Op.LEReadRemoteFeatures,
  Op.LEEnableEncryption,
]);

/** What a controller of each core version answers, and the Supported_Commands bitmap that says so. */
function commandProfile(version: '5.4' | '4.2'): { implemented: Set<number>; bitmap: Buffer } {
  const rows = SUPPORTED_COMMAND_BITS.filter(([op]) => version === '5.4' || !NEWER_THAN_4_2.has(op));
  const bitmap = Buffer.alloc(64);
  for (const [, octet, bit] of rows) bitmap[octet] |= 1 << bit;
  return { implemented: new Set(rows.map(([op]) => op)), bitmap };
}
const PROFILES = { '5.4': commandProfile('5.4'), '4.2': commandProfile('4.2') };

/** LMP features: bit 37 BR/EDR Not Supported, bit 38 LE Supported (Controller). */
const LMP_FEATURES = Buffer.from([0, 0, 0, 0, 0x60, 0, 0, 0]);
/** LE features of 4.2: Encryption, Extended Reject Indication, Peripheral-initiated Features Exchange, LE Ping, Data Packet Length Extension. */
const LE_FEATURES_4_2 = 0x3dn;
/** 5.4 adds LE Extended Advertising (bit 12) and Channel Selection Algorithm #2 (bit 14). */
const LE_FEATURES_5_4 = LE_FEATURES_4_2 | (1n << 12n) | (1n << 14n);
/** Every state and state combination of Core 4.x (bits 0..41). */
const LE_SUPPORTED_STATES = (1n << 42n) - 1n;
const MAX_DATA_OCTETS = 251;
const MAX_DATA_TIME = 17040;
const HCI_VERSION = { '5.4': 0x0d, '4.2': 0x08 } as const;
const COMPANY_ID = 0xffff; // reserved for tests by the Bluetooth SIG
const MAX_HANDLE = 0x0eff;
const DIRECTED_HIGH_DUTY_MS = 1280;

interface AdvertisingState {
  intervalMin: number;
  intervalMax: number;
  type: number;
  ownAddressType: number;
  peerAddressType: number;
  peerAddress: Buffer;
  filterPolicy: number;
  data: Buffer;
  scanResponse: Buffer;
  enabled: boolean;
}

interface ScanState {
  active: boolean;
  ownAddressType: number;
  filterPolicy: number;
  enabled: boolean;
  filterDuplicates: boolean;
  seen: Set<string>;
  /** Configured with the extended commands: reports are LE Extended Advertising Reports. */
  extended: boolean;
  /** Bumped on each enable/disable; a pending Duration timeout of an older scan is void. */
  epoch: number;
}

interface InitiatingState {
  filterPolicy: number;
  peerAddressType: number;
  peerAddress: Buffer;
  ownAddressType: number;
  intervalMin: number;
  latency: number;
  supervisionTimeout: number;
  /** LE Extended Create Connection: may also connect to extended (non-legacy) connectable advertising. */
  extended: boolean;
}

/**
 * One virtual LE controller. Sans-IO: `receive()` takes whole H4 packets from the host,
 * `'packet'` events carry whole H4 packets to it. Air-side effects go through its SimAir.
 */
export class SimController extends EventEmitter<SimControllerEvents> {
  readonly index: number;
  readonly publicAddress: Buffer;
  readonly aclDataPacketLength: number;
  readonly totalNumAclDataPackets: number;
  readonly numHciCommandPackets: number;
  readonly filterAcceptListSize: number;
  readonly coreVersion: '5.4' | '4.2';
  readonly leFeatures: bigint;
  readonly stats: SimControllerStats = { commands: 0, unknownCommands: 0, aclFromHost: 0, aclToHost: 0, aclDropped: 0, events: 0 };

  private eventMask = DEFAULT_EVENT_MASK;
  private eventMask2 = 0n;
  private leEventMask = DEFAULT_LE_EVENT_MASK;
  private randomAddress: Buffer | null = null;
  private readonly acceptList = new Set<string>();
  private adv: AdvertisingState = defaultAdvertising();
  private scan: ScanState = defaultScan();
  private initiating: InitiatingState | null = null;
  private readonly sets: AdvertisingSets;
  /** Which advertising command family the host used since reset (they must not be mixed). */
  private advertisingCommands: 'legacy' | 'extended' | null = null;
  private readonly links = new Map<number, SimLink>();
  private nextHandle = 0x0001;
  private advEpoch = 0;
  private aclInFlight = 0;
  private suggestedTxOctets = 27;
  private suggestedTxTime = 328;
  private closed = false;
  private readonly log: createDebug.Debugger;

  constructor(
    private readonly air: SimAir,
    index: number,
    options: SimControllerOptions = {},
  ) {
    super();
    this.index = index;
    this.log = createDebug(`pairkit:ble-sim:c${index}`);
    if (options.address === 'random') {
      this.publicAddress = Buffer.from(air.random(6));
    } else if (options.address !== undefined) {
      this.publicAddress = parseAddress(options.address);
    } else {
      // 02:5A:F0:00:HH:LL, locally administered so it never collides with a real device.
      this.publicAddress = Buffer.from([index & 0xff, (index >> 8) & 0xff, 0x00, 0xf0, 0x5a, 0x02]);
    }
    this.aclDataPacketLength = checkRange('aclDataPacketLength', options.aclDataPacketLength ?? 251, 27, 65535);
    this.totalNumAclDataPackets = checkRange('totalNumAclDataPackets', options.totalNumAclDataPackets ?? 8, 1, 255);
    this.numHciCommandPackets = checkRange('numHciCommandPackets', options.numHciCommandPackets ?? 1, 0, 255);
    this.filterAcceptListSize = checkRange('filterAcceptListSize', options.filterAcceptListSize ?? 16, 1, 255);
    const version = options.coreVersion ?? '5.4';
    if (version !== '5.4' && version !== '4.2') throw new SimError('BAD_OPTION', `coreVersion must be '5.4' or '4.2', got ${String(version)}`);
    this.coreVersion = version;
    this.leFeatures = version === '5.4' ? LE_FEATURES_5_4 : LE_FEATURES_4_2;
    this.sets = new AdvertisingSets(
      checkRange('advertisingSets', options.advertisingSets ?? 4, 1, 63),
      checkRange('maxAdvertisingDataLength', options.maxAdvertisingDataLength ?? 1650, 31, 1650),
      {
        schedule: (fn, ms) => this.air.schedule(fn, ms),
        terminated: (set, status, events) => this.advertisingSetTerminated(set, status, 0, events),
      },
    );
  }

  /** Public BD_ADDR as text. */
  get address(): string {
    return formatAddress(this.publicAddress);
  }

  get isAdvertising(): boolean {
    return this.adv.enabled || this.sets.anyEnabled;
  }
  get isScanning(): boolean {
    return this.scan.enabled;
  }
  get isInitiating(): boolean {
    return this.initiating !== null;
  }
  /** Number of open LE connections. */
  get connectionCount(): number {
    return this.links.size;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  /** Feed one whole H4 packet from the host. Throws SimError on a malformed packet. */
  receive(packet: Uint8Array): void {
    if (this.closed) throw new SimError('CLOSED', 'controller is closed');
    const buf = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    if (buf.length === 0) throw new SimError('MALFORMED_PACKET', 'empty packet');
    switch (buf[0]) {
      case H4.Command: {
        if (buf.length < 4 || buf.length !== 4 + buf[3]) throw new SimError('MALFORMED_PACKET', 'command length mismatch');
        this.emit('input', buf);
        this.command(buf.readUInt16LE(1), buf.subarray(4));
        return;
      }
      case H4.ACL: {
        if (buf.length < 5 || buf.length !== 5 + buf.readUInt16LE(3)) throw new SimError('MALFORMED_PACKET', 'ACL length mismatch');
        this.emit('input', buf);
        this.aclFromHost(buf);
        return;
      }
      case H4.SCO:
      case H4.ISO:
      case H4.Event:
        this.log('ignoring H4 packet type 0x%s', buf[0].toString(16));
        return;
      default:
        throw new SimError('UNKNOWN_PACKET_TYPE', `unknown H4 packet indicator 0x${buf[0].toString(16)}`);
    }
  }

  /** Detach from the air: peers see their links time out. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.dropEverything();
    this.closed = true;
    this.emit('close');
  }

  // ---- command handling -------------------------------------------------------------

  private command(opcode: number, params: Buffer): void {
    this.stats.commands++;
    let reply: Reply | null;
    try {
      reply = this.checkFamily(opcode) ?? this.handle(opcode, new Reader(params));
    } catch (e) {
      if (!(e instanceof SimError) || e.code !== 'MALFORMED_PACKET') throw e;
      this.log('command 0x%s: parameters too short', opcode.toString(16));
      reply = STATUS_COMMANDS.has(opcode)
        ? { kind: 'status', status: Status.InvalidHCICommandParameters }
        : { kind: 'complete', params: Buffer.from([Status.InvalidHCICommandParameters]) };
    }
    if (reply === null) {
      this.stats.unknownCommands++;
      this.log('unknown command 0x%s', opcode.toString(16).padStart(4, '0'));
      reply = { kind: 'complete', params: Buffer.from([Status.UnknownHCICommand]) };
    }
    if (reply.kind === 'complete') {
      const hdr = Buffer.from([this.numHciCommandPackets, opcode & 0xff, opcode >> 8]);
      this.event(Evt.CommandComplete, Buffer.concat([hdr, reply.params]));
    } else {
      this.event(Evt.CommandStatus, Buffer.from([reply.status, this.numHciCommandPackets, opcode & 0xff, opcode >> 8]));
    }
    reply.after?.();
  }

  /** Legacy and extended advertising commands do not mix between resets (§3.1.1): Command Disallowed. */
  private checkFamily(opcode: number): Reply | null {
    const family = LEGACY_ADVERTISING_COMMANDS.has(opcode) ? 'legacy' : EXTENDED_ADVERTISING_COMMANDS.has(opcode) ? 'extended' : null;
    if (family === null || !this.profile.implemented.has(opcode)) return null;
    if (this.advertisingCommands !== null && this.advertisingCommands !== family) {
      this.log('%s advertising command 0x%s after %s ones: Command Disallowed', family, opcode.toString(16), this.advertisingCommands);
      return STATUS_COMMANDS.has(opcode)
        ? { kind: 'status', status: Status.CommandDisallowed }
        : { kind: 'complete', params: Buffer.from([Status.CommandDisallowed]) };
    }
    this.advertisingCommands = family;
    return null;
  }

  private get profile(): { implemented: Set<number>; bitmap: Buffer } {
    return PROFILES[this.coreVersion];
  }

  private handle(opcode: number, r: Reader): Reply | null {
    if (opcode !== Op.ReadLocalSupportedCommands && !this.profile.implemented.has(opcode)) return null;
    const ok = (w?: Writer, after?: () => void): Reply => ({
      kind: 'complete',
      params: Buffer.concat([Buffer.from([0]), w ? w.build() : Buffer.alloc(0)]),
      after,
    });
    const fail = (status: number, w?: Writer): Reply => ({
      kind: 'complete',
      params: Buffer.concat([Buffer.from([status]), w ? w.build() : Buffer.alloc(0)]),
    });
    const status = (s: number, after?: () => void): Reply => ({ kind: 'status', status: s, after: s === 0 ? after : undefined });

    switch (opcode) {
      case Op.Reset:
        this.reset();
        return ok();
      case Op.SetEventMask:
        this.eventMask = r.u64();
        return ok();
      case Op.SetEventMaskPage2:
        this.eventMask2 = r.u64();
        return ok();
      case Op.ReadLEHostSupport:
        return ok(new Writer().u8(1).u8(0));
      case Op.WriteLEHostSupport:
        r.u8();
        r.u8();
        return ok();
      case Op.ReadLocalVersionInformation:
        return ok(new Writer().u8(HCI_VERSION[this.coreVersion]).u16(0x0001).u8(HCI_VERSION[this.coreVersion]).u16(COMPANY_ID).u16(0x0001));
      case Op.ReadLocalSupportedCommands:
        return ok(new Writer().bytes(this.profile.bitmap));
      case Op.ReadLocalSupportedFeatures:
        return ok(new Writer().bytes(LMP_FEATURES));
      case Op.ReadBufferSize:
        // An LE-only controller: the same buffers serve the (LE) ACL links.
        return ok(new Writer().u16(this.aclDataPacketLength).u8(0).u16(this.totalNumAclDataPackets).u16(0));
      case Op.ReadBDADDR:
        return ok(new Writer().bytes(this.publicAddress));
      case Op.ReadRSSI: {
        const h = r.u16();
        if (!this.links.has(h)) return fail(Status.UnknownConnectionIdentifier, new Writer().u16(h).i8(0));
        return ok(new Writer().u16(h).i8(this.air.rssi));
      }
      case Op.ReadEncryptionKeySize: {
        const h = r.u16();
        const link = this.links.get(h);
        if (!link) return fail(Status.UnknownConnectionIdentifier, new Writer().u16(h).u8(0));
        if (!link.encrypted) return fail(Status.CommandDisallowed, new Writer().u16(h).u8(0));
        return ok(new Writer().u16(h).u8(16));
      }
      case Op.LESetEventMask:
        this.leEventMask = r.u64();
        return ok();
      case Op.LEReadBufferSize:
        return ok(new Writer().u16(this.aclDataPacketLength).u8(this.totalNumAclDataPackets));
      case Op.LEReadBufferSizeV2:
        return ok(new Writer().u16(this.aclDataPacketLength).u8(this.totalNumAclDataPackets).u16(0).u8(0));
      case Op.LEReadLocalSupportedFeatures:
        return ok(new Writer().u64(this.leFeatures));
      case Op.LEReadSupportedStates:
        return ok(new Writer().u64(LE_SUPPORTED_STATES));
      case Op.LERand:
        return ok(new Writer().bytes(this.air.random(8)));
      case Op.LEEncrypt: {
        const key = r.bytes(16);
        const plaintext = r.bytes(16);
        return ok(new Writer().bytes(leEncrypt(key, plaintext)));
      }
      case Op.LESetRandomAddress: {
        const a = r.bytes(6);
        if (this.adv.enabled || this.scan.enabled) return fail(Status.CommandDisallowed);
        this.randomAddress = a;
        return ok();
      }
      case Op.LEReadFilterAcceptListSize:
        return ok(new Writer().u8(this.filterAcceptListSize));
      case Op.LEClearFilterAcceptList:
        this.acceptList.clear();
        return ok();
      case Op.LEAddDeviceToFilterAcceptList: {
        const key = listKey(r.u8(), r.bytes(6));
        if (!this.acceptList.has(key) && this.acceptList.size >= this.filterAcceptListSize) return fail(Status.MemoryCapacityExceeded);
        this.acceptList.add(key);
        return ok();
      }
      case Op.LERemoveDeviceFromFilterAcceptList:
        this.acceptList.delete(listKey(r.u8(), r.bytes(6)));
        return ok();
      case Op.LEReadAdvertisingPhysicalChannelTxPower:
        return ok(new Writer().i8(0));
      case Op.LESetAdvertisingParameters:
        return this.setAdvertisingParameters(r);
      case Op.LESetAdvertisingData:
      case Op.LESetScanResponseData: {
        const len = r.u8();
        if (len > 31) return fail(Status.InvalidHCICommandParameters);
        const data = r.bytes(len);
        if (opcode === Op.LESetAdvertisingData) this.adv.data = data;
        else this.adv.scanResponse = data;
        return ok(undefined, () => this.adv.enabled && this.air.update(this));
      }
      case Op.LESetAdvertisingEnable: {
        const enable = r.u8();
        if (enable > 1) return fail(Status.InvalidHCICommandParameters);
        if (enable === 1 && this.ownAddress(this.adv.ownAddressType) === null) return fail(Status.InvalidHCICommandParameters);
        const starting = enable === 1 && !this.adv.enabled;
        if (enable === 0) this.advEpoch++; // a pending directed-advertising timeout no longer applies
        this.adv.enabled = enable === 1;
        return ok(undefined, () => {
          this.air.update(this);
          if (starting && this.adv.enabled && this.adv.type === AdvType.ADV_DIRECT_IND_HIGH) this.directedTimeout();
        });
      }
      case Op.LESetScanParameters: {
        const type = r.u8();
        const interval = r.u16();
        const window = r.u16();
        const ownAddressType = r.u8();
        const filterPolicy = r.u8();
        if (this.scan.enabled) return fail(Status.CommandDisallowed);
        if (type > 1 || window > interval || ownAddressType > 3 || filterPolicy > 3) return fail(Status.InvalidHCICommandParameters);
        this.scan = { ...this.scan, active: type === 1, ownAddressType, filterPolicy, extended: false };
        return ok();
      }
      case Op.LESetScanEnable: {
        const enable = r.u8();
        const dup = r.u8();
        if (enable > 1 || dup > 1) return fail(Status.InvalidHCICommandParameters);
        if (enable === 1 && this.ownAddress(this.scan.ownAddressType) === null) return fail(Status.InvalidHCICommandParameters);
        if (enable === 1 && !this.scan.enabled) this.scan.seen = new Set();
        this.scan.enabled = enable === 1;
        this.scan.filterDuplicates = dup === 1;
        return ok(undefined, () => this.air.update(this));
      }
      case Op.LECreateConnection:
        return this.createConnection(r, status);
      case Op.LECreateConnectionCancel: {
        if (!this.initiating) return fail(Status.CommandDisallowed);
        this.initiating = null;
        return ok(undefined, () => this.connectionFailed(Status.UnknownConnectionIdentifier));
      }
      case Op.Disconnect: {
        const h = r.u16();
        const reason = r.u8();
        const link = this.links.get(h);
        if (!link) return status(Status.UnknownConnectionIdentifier);
        if (!DISCONNECT_REASONS.has(reason)) return status(Status.InvalidHCICommandParameters);
        return status(0, () => this.air.terminate(link, this, Status.ConnectionTerminatedByLocalHost, reason));
      }
      case Op.LEConnectionUpdate:
        return this.connectionUpdate(r, status);
      case Op.LEReadRemoteFeatures: {
        const link = this.links.get(r.u16());
        if (!link) return status(Status.UnknownConnectionIdentifier);
        return status(0, () =>
          this.air.schedule(() => {
            if (link.closed) return;
            const w = new Writer().u8(0).u16(link.end(this).handle).u64(link.peer(this).controller.leFeatures);
            this.leEvent(LESub.ReadRemoteFeaturesComplete, w.build());
          }),
        );
      }
      case Op.ReadRemoteVersionInformation: {
        const link = this.links.get(r.u16());
        if (!link) return status(Status.UnknownConnectionIdentifier);
        return status(0, () =>
          this.air.schedule(() => {
            if (link.closed) return;
            const peer = link.peer(this).controller;
            const w = new Writer().u8(0).u16(link.end(this).handle).u8(HCI_VERSION[peer.coreVersion]).u16(COMPANY_ID).u16(0x0001);
            this.event(Evt.ReadRemoteVersionInformationComplete, w.build());
          }),
        );
      }
      case Op.LEEnableEncryption:
        return this.enableEncryption(r, status);
      case Op.LELongTermKeyRequestReply:
      case Op.LELongTermKeyRequestNegativeReply: {
        const h = r.u16();
        const ltk = opcode === Op.LELongTermKeyRequestReply ? r.bytes(16) : null;
        const link = this.links.get(h);
        const back = new Writer().u16(h);
        if (!link) return fail(Status.UnknownConnectionIdentifier, back);
        if (link.end(this).role !== 1 || !link.encryption?.askedHost) return fail(Status.CommandDisallowed, back);
        link.encryption.askedHost = false;
        return ok(back, () => this.air.schedule(() => this.finishEncryption(link, ltk)));
      }
      case Op.LESetDataLength: {
        const h = r.u16();
        const octets = r.u16();
        const time = r.u16();
        const link = this.links.get(h);
        const back = new Writer().u16(h);
        if (!link) return fail(Status.UnknownConnectionIdentifier, back);
        if (octets < 27 || octets > MAX_DATA_OCTETS || time < 328 || time > MAX_DATA_TIME) return fail(Status.InvalidHCICommandParameters, back);
        const end = link.end(this);
        const changed = end.txOctets !== octets || end.txTime !== time;
        end.txOctets = octets;
        end.txTime = time;
        return ok(back, () => changed && this.air.schedule(() => SimController.dataLengthChanged(link)));
      }
      case Op.LEReadSuggestedDefaultDataLength:
        return ok(new Writer().u16(this.suggestedTxOctets).u16(this.suggestedTxTime));
      case Op.LEWriteSuggestedDefaultDataLength: {
        const octets = r.u16();
        const time = r.u16();
        if (octets < 27 || octets > MAX_DATA_OCTETS || time < 328 || time > MAX_DATA_TIME) return fail(Status.InvalidHCICommandParameters);
        this.suggestedTxOctets = octets;
        this.suggestedTxTime = time;
        return ok();
      }
      case Op.LEReadMaximumDataLength:
        return ok(new Writer().u16(MAX_DATA_OCTETS).u16(MAX_DATA_TIME).u16(MAX_DATA_OCTETS).u16(MAX_DATA_TIME));
      case Op.LEReadPHY: {
        const h = r.u16();
        if (!this.links.has(h)) return fail(Status.UnknownConnectionIdentifier, new Writer().u16(h).u8(0).u8(0));
        return ok(new Writer().u16(h).u8(1).u8(1)); // LE 1M both ways
      }
      case Op.LESetDefaultPHY: {
        const all = r.u8();
        const tx = r.u8();
        const rx = r.u8();
        // Only LE 1M exists here: a preference that excludes it cannot be honoured.
        if ((!(all & 1) && !(tx & 1)) || (!(all & 2) && !(rx & 1))) return fail(Status.UnsupportedFeatureOrParameterValue);
        return ok();
      }
      case Op.LESetAdvertisingSetRandomAddress:
        return fail(this.sets.setRandomAddress(r));
      case Op.LESetExtendedAdvertisingParameters: {
        const [s, txPower] = this.sets.setParameters(r);
        return s === 0 ? ok(new Writer().i8(txPower)) : fail(s);
      }
      case Op.LESetExtendedAdvertisingData:
      case Op.LESetExtendedScanResponseData: {
        const { status: s, changed } = this.sets.setData(r, opcode === Op.LESetExtendedAdvertisingData ? 'data' : 'scanResponse');
        return s === 0 ? ok(undefined, () => changed && this.air.update(this)) : fail(s);
      }
      case Op.LESetExtendedAdvertisingEnable: {
        const s = this.sets.setEnable(r, (set) => this.setAddress(set) !== null);
        return s === 0 ? ok(undefined, () => this.air.update(this)) : fail(s);
      }
      case Op.LEReadMaximumAdvertisingDataLength:
        return ok(new Writer().u16(this.sets.maxDataLength));
      case Op.LEReadNumberOfSupportedAdvertisingSets:
        return ok(new Writer().u8(this.sets.maxSets));
      case Op.LERemoveAdvertisingSet:
        return fail(this.sets.remove(r));
      case Op.LEClearAdvertisingSets:
        return fail(this.sets.clear());
      case Op.LESetExtendedScanParameters:
        return this.setExtendedScanParameters(r);
      case Op.LESetExtendedScanEnable:
        return this.setExtendedScanEnable(r);
      case Op.LEExtendedCreateConnection:
        return this.extendedCreateConnection(r, status);
      default:
        return this.profile.implemented.has(opcode) ? fail(Status.CommandDisallowed) : null;
    }
  }

  private setExtendedScanParameters(r: Reader): Reply {
    const ownAddressType = r.u8();
    const filterPolicy = r.u8();
    const phys = r.u8();
    const perPhy: Array<{ type: number; interval: number; window: number }> = [];
    for (const bit of [0, 2]) if (phys & (1 << bit)) perPhy.push({ type: r.u8(), interval: r.u16(), window: r.u16() });
    const done = (s: number): Reply => ({ kind: 'complete', params: Buffer.from([s]) });
    if (this.scan.enabled) return done(Status.CommandDisallowed);
    if (phys === 0 || ownAddressType > 3 || filterPolicy > 3) return done(Status.InvalidHCICommandParameters);
    // Only LE 1M here: Coded (bit 2) or reserved bits are valid requests this controller cannot honour.
    if (phys & ~1) return done(Status.UnsupportedFeatureOrParameterValue);
    const p = perPhy[0];
    if (p.type > 1 || p.interval < 4 || p.window < 4 || p.window > p.interval) return done(Status.InvalidHCICommandParameters);
    this.scan = { ...this.scan, active: p.type === 1, ownAddressType, filterPolicy, extended: true };
    return done(0);
  }

  private setExtendedScanEnable(r: Reader): Reply {
    const enable = r.u8();
    const dup = r.u8();
    const duration = r.u16();
    const period = r.u16();
    const done = (s: number, after?: () => void): Reply => ({ kind: 'complete', params: Buffer.from([s]), after });
    if (enable > 1 || dup > 2) return done(Status.InvalidHCICommandParameters);
    if (enable === 0) {
      this.scan.enabled = false;
      this.scan.epoch++;
      return done(0);
    }
    if (period !== 0 && (duration === 0 || duration * 10 >= period * 1280)) return done(Status.InvalidHCICommandParameters);
    if (period !== 0) return done(Status.UnsupportedFeatureOrParameterValue); // periodic scanning is not simulated
    if (this.ownAddress(this.scan.ownAddressType) === null) return done(Status.InvalidHCICommandParameters);
    if (!this.scan.enabled) this.scan.seen = new Set();
    this.scan.enabled = true;
    this.scan.extended = true;
    this.scan.filterDuplicates = dup !== 0;
    const epoch = ++this.scan.epoch;
    return done(0, () => {
      if (duration > 0) {
        this.air.schedule(() => {
          if (this.closed || !this.scan.enabled || this.scan.epoch !== epoch) return;
          this.scan.enabled = false;
          this.leEvent(LESub.ScanTimeout, Buffer.alloc(0));
        }, duration * 10);
      }
      this.air.update(this);
    });
  }

  private extendedCreateConnection(r: Reader, status: (s: number, after?: () => void) => Reply): Reply {
    const filterPolicy = r.u8();
    const ownAddressType = r.u8();
    const peerAddressType = r.u8();
    const peerAddress = r.bytes(6);
    const phys = r.u8();
    const entries: number[][] = [];
    for (const bit of [0, 1, 2]) {
      if (!(phys & (1 << bit))) continue;
      const e: number[] = [];
      for (let i = 0; i < 8; i++) e.push(r.u16());
      entries.push(e);
    }
    if (this.initiating) return status(Status.CommandDisallowed);
    if (phys === 0 || filterPolicy > 1 || peerAddressType > 3 || ownAddressType > 3) return status(Status.InvalidHCICommandParameters);
    if (phys & ~1) return status(Status.UnsupportedFeatureOrParameterValue); // 2M / Coded not simulated
    const [scanInterval, scanWindow, intervalMin, intervalMax, latency, supervisionTimeout] = entries[0];
    if (scanWindow > scanInterval || scanInterval < 4) return status(Status.InvalidHCICommandParameters);
    return this.initiate({ filterPolicy, peerAddressType: peerAddressType & 1, peerAddress, ownAddressType, intervalMin, latency, supervisionTimeout, extended: true }, intervalMax, status);
  }

  private setAdvertisingParameters(r: Reader): Reply {
    const intervalMin = r.u16();
    const intervalMax = r.u16();
    const type = r.u8();
    const ownAddressType = r.u8();
    const peerAddressType = r.u8();
    const peerAddress = r.bytes(6);
    const channelMap = r.u8();
    const filterPolicy = r.u8();
    const done = (s: number): Reply => ({ kind: 'complete', params: Buffer.from([s]) });
    if (this.adv.enabled) return done(Status.CommandDisallowed);
    const directedHigh = type === AdvType.ADV_DIRECT_IND_HIGH;
    if (type > 4 || ownAddressType > 3 || peerAddressType > 1 || (channelMap & 7) === 0 || filterPolicy > 3) {
      return done(Status.InvalidHCICommandParameters);
    }
    if (!directedHigh && (intervalMin > intervalMax || intervalMin < 0x20 || intervalMax > 0x4000)) {
      return done(Status.InvalidHCICommandParameters);
    }
    this.adv = { ...this.adv, intervalMin, intervalMax, type, ownAddressType, peerAddressType, peerAddress, filterPolicy };
    return done(0);
  }

  /** High duty cycle directed advertising lasts 1.28 s at most, then reports a timeout (§7.8.9). */
  private directedTimeout(): void {
    const epoch = ++this.advEpoch;
    this.air.schedule(() => {
      if (this.closed || this.advEpoch !== epoch || !this.adv.enabled) return;
      this.adv.enabled = false;
      this.connectionFailed(Status.AdvertisingTimeout);
    }, DIRECTED_HIGH_DUTY_MS);
  }

  private createConnection(r: Reader, status: (s: number, after?: () => void) => Reply): Reply {
    const scanInterval = r.u16();
    const scanWindow = r.u16();
    const filterPolicy = r.u8();
    const peerAddressType = r.u8();
    const peerAddress = r.bytes(6);
    const ownAddressType = r.u8();
    const intervalMin = r.u16();
    const intervalMax = r.u16();
    const latency = r.u16();
    const supervisionTimeout = r.u16();
    r.u16(); // Min_CE_Length
    r.u16(); // Max_CE_Length
    if (this.initiating) return status(Status.CommandDisallowed);
    if (scanWindow > scanInterval || filterPolicy > 1 || peerAddressType > 3 || ownAddressType > 3) return status(Status.InvalidHCICommandParameters);
    return this.initiate({ filterPolicy, peerAddressType: peerAddressType & 1, peerAddress, ownAddressType, intervalMin, latency, supervisionTimeout, extended: false }, intervalMax, status);
  }

  /** The checks LE Create Connection and LE Extended Create Connection share, then initiating starts. */
  private initiate(want: InitiatingState, intervalMax: number, status: (s: number, after?: () => void) => Reply): Reply {
    const { intervalMin, latency, supervisionTimeout } = want;
    if (intervalMin > intervalMax || intervalMin < 6 || intervalMax > 3200 || latency > 499) return status(Status.InvalidHCICommandParameters);
    if (supervisionTimeout < 10 || supervisionTimeout > 3200) return status(Status.InvalidHCICommandParameters);
    if (this.ownAddress(want.ownAddressType) === null) return status(Status.InvalidHCICommandParameters);
    this.initiating = want;
    return status(0, () => this.air.update(this));
  }

  private connectionUpdate(r: Reader, status: (s: number, after?: () => void) => Reply): Reply {
    const h = r.u16();
    const intervalMin = r.u16();
    const intervalMax = r.u16();
    const latency = r.u16();
    const timeout = r.u16();
    r.u16();
    r.u16();
    const link = this.links.get(h);
    if (!link) return status(Status.UnknownConnectionIdentifier);
    // Peripheral-initiated updates need the Connection Parameters Request procedure, not offered here.
    if (link.end(this).role !== 0) return status(Status.CommandDisallowed);
    if (intervalMin > intervalMax || intervalMin < 6 || intervalMax > 3200 || latency > 499 || timeout < 10 || timeout > 3200) {
      return status(Status.InvalidHCICommandParameters);
    }
    return status(0, () =>
      this.air.schedule(() => {
        if (link.closed) return;
        link.interval = intervalMin;
        link.latency = latency;
        link.supervisionTimeout = timeout;
        for (const end of [link.central, link.peripheral]) {
          const w = new Writer().u8(0).u16(end.handle).u16(intervalMin).u16(latency).u16(timeout);
          end.controller.leEvent(LESub.ConnectionUpdateComplete, w.build());
        }
      }),
    );
  }

  private enableEncryption(r: Reader, status: (s: number, after?: () => void) => Reply): Reply {
    const h = r.u16();
    const rand = r.bytes(8);
    const ediv = r.u16();
    const ltk = r.bytes(16);
    const link = this.links.get(h);
    if (!link) return status(Status.UnknownConnectionIdentifier);
    // Only the central starts encryption; one procedure at a time.
    if (link.end(this).role !== 0 || link.encryption) return status(Status.CommandDisallowed);
    link.encryption = { ltk, rand, ediv, refresh: link.encrypted, askedHost: false };
    return status(0, () => this.air.schedule(() => link.peripheral.controller.longTermKeyRequest(link)));
  }

  /** Peripheral side: the central's LL_ENC_REQ arrived; ask the host for the LTK. */
  private longTermKeyRequest(link: SimLink): void {
    const enc = link.encryption;
    if (link.closed || !enc) return;
    const handle = link.peripheral.handle;
    if (!this.leEventEnabled(LESub.LongTermKeyRequest)) {
      // A masked LTK Request means the controller answers for the host: no key.
      this.air.schedule(() => this.finishEncryption(link, null));
      return;
    }
    enc.askedHost = true;
    this.leEvent(LESub.LongTermKeyRequest, new Writer().u16(handle).bytes(enc.rand).u16(enc.ediv).build());
  }

  /** Both LTKs known (or the peripheral has none): the outcome both hosts see. */
  private finishEncryption(link: SimLink, peripheralLtk: Buffer | null): void {
    const enc = link.encryption;
    if (link.closed || !enc) return;
    link.encryption = null;
    const c = link.central;
    const p = link.peripheral;
    if (peripheralLtk === null) {
      if (enc.refresh) {
        // Encryption was paused for the refresh and cannot resume: the link ends.
        this.air.terminate(link, null, Status.PINOrKeyMissing, Status.PINOrKeyMissing);
      } else {
        c.controller.event(Evt.EncryptionChange, new Writer().u8(Status.PINOrKeyMissing).u16(c.handle).u8(0).build());
      }
      return;
    }
    if (!timingSafeEqual(enc.ltk, peripheralLtk)) {
      // Each side decrypts with its own key: the first MIC check fails and both drop the link.
      this.air.terminate(link, null, Status.ConnectionTerminatedDueToMICFailure, Status.ConnectionTerminatedDueToMICFailure);
      return;
    }
    for (const end of [c, p]) {
      if (enc.refresh) end.controller.event(Evt.EncryptionKeyRefreshComplete, new Writer().u8(0).u16(end.handle).build());
      else end.controller.event(Evt.EncryptionChange, new Writer().u8(0).u16(end.handle).u8(0x01).build());
    }
    link.encrypted = true;
  }

  // ---- GAP: advertising, scanning, initiating ------------------------------------------

  /** The address (type, octets) this controller uses for the given Own_Address_Type, if set. */
  ownAddress(ownAddressType: number): { type: number; address: Buffer } | null {
    if ((ownAddressType & 1) === 0) return { type: 0, address: this.publicAddress };
    return this.randomAddress ? { type: 1, address: this.randomAddress } : null;
  }

  /** The address an advertising set advertises with (its own random address when Own_Address_Type is random). */
  setAddress(set: ExtAdvSet): { type: number; address: Buffer } | null {
    if ((set.ownAddressType & 1) === 0) return { type: 0, address: this.publicAddress };
    return set.randomAddress ? { type: 1, address: set.randomAddress } : null;
  }

  /** Everything this controller advertises right now: legacy advertising and enabled extended sets. */
  advertisements(): AdvView[] {
    const out: AdvView[] = [];
    const a = this.adv;
    const legacyFrom = a.enabled ? this.ownAddress(a.ownAddressType) : null;
    if (a.enabled && legacyFrom) {
      out.push({
        props: LEGACY_TYPE_PROPS[a.type],
        from: legacyFrom,
        peerAddressType: a.peerAddressType,
        peerAddress: a.peerAddress,
        filterPolicy: a.filterPolicy,
        data: a.data,
        scanResponse: a.scanResponse,
        sid: 0,
        did: 0,
        txPower: 0,
        setHandle: undefined,
      });
    }
    for (const set of this.sets.enabled()) {
      const from = (set.props & Props.Anonymous) !== 0 ? null : this.setAddress(set);
      if (!from && (set.props & Props.Anonymous) === 0) continue;
      out.push({
        props: set.props,
        from,
        peerAddressType: set.peerAddressType,
        peerAddress: set.peerAddress,
        filterPolicy: set.filterPolicy,
        data: set.data,
        scanResponse: set.scanResponse,
        sid: set.sid,
        did: set.did,
        txPower: set.txPower,
        setHandle: set.handle,
      });
    }
    return out;
  }

  /** Scanner side: hear one advertiser's current advertising (and scan responses). */
  hear(adv: SimController): void {
    const me = this.ownAddress(this.scan.ownAddressType);
    if (!me) return;
    for (const v of adv.advertisements()) this.hearOne(v, me);
  }

  private hearOne(v: AdvView, me: { type: number; address: Buffer }): void {
    const legacyPdu = isLegacy(v.props);
    // A scanner set up with the legacy commands only listens for legacy PDUs (no ADV_EXT_IND).
    if (!legacyPdu && !this.scan.extended) return;
    if ((this.scan.filterPolicy & 1) === 1 && !(v.from && this.acceptList.has(listKey(v.from.type, v.from.address)))) return;
    const directed = (v.props & Props.Directed) !== 0;
    if (directed && !(v.peerAddressType === me.type && v.peerAddress.equals(me.address))) return;
    const pdus: Array<[scanResponse: boolean, data: Buffer]> = [[false, directed && legacyPdu ? Buffer.alloc(0) : v.data]];
    if ((v.props & Props.Scannable) !== 0 && this.scan.active) pdus.push([true, v.scanResponse]);
    const who = v.from ? listKey(v.from.type, v.from.address) : 'anonymous';
    for (const [scanResponse, data] of pdus) {
      if (!this.scan.extended) {
        const type = legacyReportType(v.props, scanResponse);
        if (!this.firstTime(`${who}/${type}`) || !v.from) continue;
        const params = legacyReport(type, v.from, data, this.air.rssi);
        this.air.schedule(() => this.scan.enabled && !this.closed && this.leEvent(LESub.AdvertisingReport, params));
        continue;
      }
      // Extended duplicate filtering keys on the ADI too: a new DID is reported again.
      const key = legacyPdu ? `${who}/${extendedReportType(v.props, scanResponse)}` : `${who}/${extendedReportType(v.props, scanResponse)}/${v.sid}/${v.did}`;
      if (!this.firstTime(key)) continue;
      const events = extendedReports(v, scanResponse, data, this.air.rssi, directed ? me : null);
      // One scheduled delivery for all fragments keeps them consecutive, as the spec wants.
      this.air.schedule(() => {
        if (!this.scan.enabled || this.closed) return;
        for (const params of events) this.leEvent(LESub.ExtendedAdvertisingReport, params);
      });
    }
  }

  /** Duplicate filtering: false when this report was already sent in this scan. */
  private firstTime(key: string): boolean {
    if (!this.scan.filterDuplicates) return true;
    if (this.scan.seen.has(key)) return false;
    this.scan.seen.add(key);
    return true;
  }

  /** Advertiser side: the advertisement that would accept a connection from that initiator now, if any. */
  connectableAdvertisement(init: SimController): AdvView | null {
    const want = init.initiating;
    if (!want) return null;
    const them = init.ownAddress(want.ownAddressType);
    if (!them) return null;
    for (const v of this.advertisements()) {
      if ((v.props & Props.Connectable) === 0 || !v.from) continue;
      // LE Create Connection only answers legacy ADV_IND / ADV_DIRECT_IND; extended needs AUX_CONNECT_REQ.
      if (!isLegacy(v.props) && !want.extended) continue;
      const directed = (v.props & Props.Directed) !== 0;
      if (directed && !(v.peerAddressType === them.type && v.peerAddress.equals(them.address))) continue;
      if (!directed && v.filterPolicy >= 2 && !this.acceptList.has(listKey(them.type, them.address))) continue;
      const wanted = want.filterPolicy === 1 ? init.acceptList.has(listKey(v.from.type, v.from.address)) : want.peerAddressType === v.from.type && want.peerAddress.equals(v.from.address);
      if (wanted) return v;
    }
    return null;
  }

  /** Initiator side: the air matched us with `peripheral`'s advertisement `v`; both leave their GAP state now. */
  beginCentral(peripheral: SimController, v: AdvView): SimLink {
    const want = this.initiating;
    const myAddr = want && this.ownAddress(want.ownAddressType);
    if (!want || !myAddr || !v.from) throw new Error('beginCentral without initiating state');
    this.initiating = null;
    // Connectable advertising stops once connected (legacy or the set that was connected to).
    const set = v.setHandle === undefined ? undefined : peripheral.sets.get(v.setHandle);
    if (set) peripheral.sets.stopForConnection(set);
    else peripheral.adv.enabled = false;
    const end = (c: SimController, role: 0 | 1, addr: { type: number; address: Buffer }): LinkEnd => ({
      controller: c,
      handle: c.allocateHandle(),
      role,
      addressType: addr.type,
      address: addr.address,
      inFlight: 0,
      txOctets: 27,
      txTime: 328,
    });
    const link = new SimLink(end(this, 0, myAddr), end(peripheral, 1, v.from), {
      interval: want.intervalMin,
      latency: want.latency,
      supervisionTimeout: want.supervisionTimeout,
    });
    // AUX_CONNECT_REQ always uses Channel Selection Algorithm #2; CONNECT_IND when both support it.
    const bothCsa2 = ((this.leFeatures & peripheral.leFeatures) >> 14n) & 1n;
    link.channelSelectionAlgorithm = !isLegacy(v.props) || bothCsa2 === 1n ? 1 : 0;
    link.advertisingHandle = set?.handle;
    this.links.set(link.central.handle, link);
    peripheral.links.set(link.peripheral.handle, link);
    return link;
  }

  private allocateHandle(): number {
    for (;;) {
      const h = this.nextHandle;
      this.nextHandle = this.nextHandle >= MAX_HANDLE ? 1 : this.nextHandle + 1;
      if (!this.links.has(h)) return h;
    }
  }

  /** LE (Enhanced) Connection Complete for a new link. */
  connectionComplete(link: SimLink): void {
    const me = link.end(this);
    const peer = link.peer(this);
    const w = new Writer().u8(0).u16(me.handle).u8(me.role).u8(peer.addressType).bytes(peer.address);
    const tail = new Writer().u16(link.interval).u16(link.latency).u16(link.supervisionTimeout).u8(0).build();
    this.sendConnectionComplete(w, tail);
    // Only where the host unmasked it (it is masked at reset).
    this.leEvent(LESub.ChannelSelectionAlgorithm, new Writer().u16(me.handle).u8(link.channelSelectionAlgorithm).build());
    if (me.role === 1 && link.advertisingHandle !== undefined) {
      const set = this.sets.get(link.advertisingHandle);
      if (set) this.advertisingSetTerminated(set, 0, me.handle, 1);
    }
  }

  /** LE Advertising Set Terminated: a connection was made on the set, or its duration / event limit ran out. */
  private advertisingSetTerminated(set: ExtAdvSet, status: number, handle: number, events: number): void {
    if (this.closed) return;
    this.leEvent(LESub.AdvertisingSetTerminated, new Writer().u8(status).u8(set.handle).u16(handle).u8(events).build());
  }

  private connectionFailed(reason: number): void {
    const w = new Writer().u8(reason).u16(0).u8(0).u8(0).bytes(Buffer.alloc(6));
    this.sendConnectionComplete(w, new Writer().u16(0).u16(0).u16(0).u8(0).build());
  }

  private sendConnectionComplete(head: Writer, tail: Buffer): void {
    // With the enhanced event unmasked, it replaces the legacy one (§7.7.65.10).
    if (this.leEventEnabled(LESub.EnhancedConnectionComplete)) {
      this.leEvent(LESub.EnhancedConnectionComplete, head.bytes(Buffer.alloc(12)).bytes(tail).build());
    } else {
      this.leEvent(LESub.ConnectionComplete, head.bytes(tail).build());
    }
  }

  /** The link ended (air side); tell the host unless we are gone. */
  disconnectionComplete(handle: number, reason: number): void {
    if (this.closed || reason < 0) return; // < 0: this end left (Reset), its host expects nothing
    this.event(Evt.DisconnectionComplete, new Writer().u8(0).u16(handle).u8(reason).build());
  }

  /** Drop a closed link's state; its packets still in the controller are freed silently (§4.3). */
  forget(link: SimLink): void {
    const end = link.end(this);
    if (this.links.get(end.handle) === link) this.links.delete(end.handle);
    this.aclInFlight -= end.inFlight;
    end.inFlight = 0;
  }

  // ---- ACL ----------------------------------------------------------------------------

  private aclFromHost(buf: Buffer): void {
    this.stats.aclFromHost++;
    const word = buf.readUInt16LE(1);
    const handle = word & 0x0fff;
    const pb = (word >> 12) & 3;
    const len = buf.readUInt16LE(3);
    const link = this.links.get(handle);
    if (!link) return this.dropAcl(`ACL for unknown handle 0x${handle.toString(16)}`);
    if (len > this.aclDataPacketLength) return this.dropAcl(`ACL of ${len} octets exceeds the buffer size ${this.aclDataPacketLength}`);
    if (pb === 0b11) return this.dropAcl(`ACL with PB flag ${pb}`);
    if (this.aclInFlight >= this.totalNumAclDataPackets) {
      this.event(Evt.DataBufferOverflow, Buffer.from([0x01]));
      return this.dropAcl(`ACL without credits (${this.aclInFlight} of ${this.totalNumAclDataPackets} buffers in use)`);
    }
    const end = link.end(this);
    this.aclInFlight++;
    end.inFlight++;
    // Host-to-controller start fragments may be 0b00 or 0b10; the peer's host always sees 0b10.
    const start = pb !== 0b01;
    const payload = buf.subarray(5);
    this.air.schedule(() => {
      if (link.closed) return;
      link.peer(this).controller.aclToHost(link, start, payload);
      end.inFlight--;
      this.aclInFlight--;
      this.event(Evt.NumberOfCompletedPackets, new Writer().u8(1).u16(end.handle).u16(1).build());
    });
  }

  private dropAcl(why: string): void {
    this.stats.aclDropped++;
    this.log('dropped %s', why);
    this.emit('dropped', why);
  }

  /** Deliver data received over the air, cut to this controller's buffer size. */
  private aclToHost(link: SimLink, start: boolean, payload: Buffer): void {
    if (this.closed) return;
    const handle = link.end(this).handle;
    const max = this.aclDataPacketLength;
    let off = 0;
    do {
      const n = Math.min(max, payload.length - off);
      const pb = off === 0 && start ? 0b10 : 0b01;
      const pkt = Buffer.allocUnsafe(5 + n);
      pkt[0] = H4.ACL;
      pkt.writeUInt16LE(handle | (pb << 12), 1);
      pkt.writeUInt16LE(n, 3);
      payload.copy(pkt, 5, off, off + n);
      this.stats.aclToHost++;
      this.emit('packet', pkt);
      off += n;
    } while (off < payload.length);
  }

  // ---- events ---------------------------------------------------------------------------

  private eventEnabled(code: number): boolean {
    switch (code) {
      case Evt.CommandComplete:
      case Evt.CommandStatus:
      case Evt.NumberOfCompletedPackets:
        return true; // not maskable
      default:
        return ((this.eventMask >> BigInt(code - 1)) & 1n) === 1n;
    }
  }

  private leEventEnabled(sub: number): boolean {
    return this.eventEnabled(Evt.LEMeta) && ((this.leEventMask >> BigInt(sub - 1)) & 1n) === 1n;
  }

  private event(code: number, params: Buffer): void {
    if (this.closed || !this.eventEnabled(code)) return;
    this.stats.events++;
    const pkt = Buffer.allocUnsafe(3 + params.length);
    pkt[0] = H4.Event;
    pkt[1] = code;
    pkt[2] = params.length;
    params.copy(pkt, 3);
    this.emit('packet', pkt);
  }

  private leEvent(sub: number, params: Buffer): void {
    if (!this.leEventEnabled(sub)) return;
    this.event(Evt.LEMeta, Buffer.concat([Buffer.from([sub]), params]));
  }

  // ---- reset / teardown -------------------------------------------------------------------

  private reset(): void {
    this.dropEverything();
    this.eventMask = DEFAULT_EVENT_MASK;
    this.eventMask2 = 0n;
    this.leEventMask = DEFAULT_LE_EVENT_MASK;
    this.randomAddress = null;
    this.acceptList.clear();
    this.sets.clearAll();
    this.advertisingCommands = null;
    this.suggestedTxOctets = 27;
    this.suggestedTxTime = 328;
  }

  /** Leave the air: stop GAP activity; links are lost and peers see a supervision timeout. */
  private dropEverything(): void {
    this.adv = defaultAdvertising();
    this.scan = defaultScan();
    this.initiating = null;
    for (const set of this.sets.enabled()) this.sets.stopForConnection(set);
    for (const link of [...this.links.values()]) this.air.terminate(link, this, -1, Status.ConnectionTimeout);
    this.links.clear();
    this.aclInFlight = 0;
  }

  private static dataLengthChanged(link: SimLink): void {
    if (link.closed) return;
    for (const end of [link.central, link.peripheral]) {
      const peer = end === link.central ? link.peripheral : link.central;
      const w = new Writer().u16(end.handle).u16(end.txOctets).u16(end.txTime).u16(peer.txOctets).u16(peer.txTime);
      end.controller.leEvent(LESub.DataLengthChange, w.build());
    }
  }

  /** For tests: event mask page 2 as last set. */
  get eventMaskPage2(): bigint {
    return this.eventMask2;
  }
}

/** AES-128 as LE Encrypt defines it: key, plaintext and result are little-endian on the wire. */
export function leEncrypt(keyLE: Uint8Array, plaintextLE: Uint8Array): Buffer {
  const key = Buffer.from(keyLE).reverse();
  const pt = Buffer.from(plaintextLE).reverse();
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(pt), c.final()]).reverse();
}

function listKey(type: number, address: Uint8Array): string {
  return `${type & 0xff}/${Buffer.from(address).toString('hex')}`;
}

function defaultAdvertising(): AdvertisingState {
  return {
    intervalMin: 0x0800,
    intervalMax: 0x0800,
    type: AdvType.ADV_IND,
    ownAddressType: 0,
    peerAddressType: 0,
    peerAddress: Buffer.alloc(6),
    filterPolicy: 0,
    data: Buffer.alloc(0),
    scanResponse: Buffer.alloc(0),
    enabled: false,
  };
}

function defaultScan(): ScanState {
  return { active: false, ownAddressType: 0, filterPolicy: 0, enabled: false, filterDuplicates: false, seen: new Set(), extended: false, epoch: 0 };
}

function checkRange(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new SimError('BAD_OPTION', `${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}
