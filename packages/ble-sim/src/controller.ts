import { createCipheriv, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import type { SimAir } from './air.js';
import { Reader, Writer, formatAddress, parseAddress } from './bytes.js';
import {
  AdvType,
  DEFAULT_EVENT_MASK,
  DEFAULT_LE_EVENT_MASK,
  DISCONNECT_REASONS,
  Evt,
  H4,
  LESub,
  Op,
  ReportType,
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
  Op.LEConnectionUpdate,
  Op.LEReadRemoteFeatures,
  Op.LEEnableEncryption,
]);

const SUPPORTED_COMMANDS = (() => {
  const b = Buffer.alloc(64);
  for (const [, octet, bit] of SUPPORTED_COMMAND_BITS) b[octet] |= 1 << bit;
  return b;
})();
const IMPLEMENTED = new Set(SUPPORTED_COMMAND_BITS.map(([op]) => op));

/** LMP features: bit 37 BR/EDR Not Supported, bit 38 LE Supported (Controller). */
const LMP_FEATURES = Buffer.from([0, 0, 0, 0, 0x60, 0, 0, 0]);
/** LE features: Encryption, Extended Reject Indication, Peripheral-initiated Features Exchange, LE Ping, Data Packet Length Extension. */
const LE_FEATURES = 0x3dn;
/** Every state and state combination of Core 4.x (bits 0..41). */
const LE_SUPPORTED_STATES = (1n << 42n) - 1n;
const MAX_DATA_OCTETS = 251;
const MAX_DATA_TIME = 17040;
const HCI_VERSION = 0x0d; // Core 5.4
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
}

interface InitiatingState {
  filterPolicy: number;
  peerAddressType: number;
  peerAddress: Buffer;
  ownAddressType: number;
  intervalMin: number;
  latency: number;
  supervisionTimeout: number;
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
  readonly stats: SimControllerStats = { commands: 0, unknownCommands: 0, aclFromHost: 0, aclToHost: 0, aclDropped: 0, events: 0 };

  private eventMask = DEFAULT_EVENT_MASK;
  private eventMask2 = 0n;
  private leEventMask = DEFAULT_LE_EVENT_MASK;
  private randomAddress: Buffer | null = null;
  private readonly acceptList = new Set<string>();
  private adv: AdvertisingState = defaultAdvertising();
  private scan: ScanState = defaultScan();
  private initiating: InitiatingState | null = null;
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
  }

  /** Public BD_ADDR as text. */
  get address(): string {
    return formatAddress(this.publicAddress);
  }

  get isAdvertising(): boolean {
    return this.adv.enabled;
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
      reply = this.handle(opcode, new Reader(params));
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

  private handle(opcode: number, r: Reader): Reply | null {
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
        return ok(new Writer().u8(HCI_VERSION).u16(0x0001).u8(HCI_VERSION).u16(COMPANY_ID).u16(0x0001));
      case Op.ReadLocalSupportedCommands:
        return ok(new Writer().bytes(SUPPORTED_COMMANDS));
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
        return ok(new Writer().u64(LE_FEATURES));
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
        this.scan = { ...this.scan, active: type === 1, ownAddressType, filterPolicy };
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
            const w = new Writer().u8(0).u16(link.end(this).handle).u64(LE_FEATURES);
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
            const w = new Writer().u8(0).u16(link.end(this).handle).u8(HCI_VERSION).u16(COMPANY_ID).u16(0x0001);
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
      default:
        return IMPLEMENTED.has(opcode) ? fail(Status.CommandDisallowed) : null;
    }
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
    if (intervalMin > intervalMax || intervalMin < 6 || intervalMax > 3200 || latency > 499) return status(Status.InvalidHCICommandParameters);
    if (supervisionTimeout < 10 || supervisionTimeout > 3200) return status(Status.InvalidHCICommandParameters);
    if (this.ownAddress(ownAddressType) === null) return status(Status.InvalidHCICommandParameters);
    this.initiating = { filterPolicy, peerAddressType: peerAddressType & 1, peerAddress, ownAddressType, intervalMin, latency, supervisionTimeout };
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

  /** Scanner side: hear one advertiser's current advertising (and scan response). */
  hear(adv: SimController): void {
    const a = adv.adv;
    const from = adv.ownAddress(a.ownAddressType);
    const me = this.ownAddress(this.scan.ownAddressType);
    if (!from || !me) return;
    if ((this.scan.filterPolicy & 1) === 1 && !this.acceptList.has(listKey(from.type, from.address))) return;
    const reports: Array<[number, Buffer]> = [];
    switch (a.type) {
      case AdvType.ADV_IND:
        reports.push([ReportType.ADV_IND, a.data]);
        if (this.scan.active) reports.push([ReportType.SCAN_RSP, a.scanResponse]);
        break;
      case AdvType.ADV_SCAN_IND:
        reports.push([ReportType.ADV_SCAN_IND, a.data]);
        if (this.scan.active) reports.push([ReportType.SCAN_RSP, a.scanResponse]);
        break;
      case AdvType.ADV_NONCONN_IND:
        reports.push([ReportType.ADV_NONCONN_IND, a.data]);
        break;
      default: // directed: only the addressed device hears it
        if (a.peerAddressType === me.type && a.peerAddress.equals(me.address)) reports.push([ReportType.ADV_DIRECT_IND, Buffer.alloc(0)]);
    }
    for (const [type, data] of reports) {
      const key = `${listKey(from.type, from.address)}/${type}`;
      if (this.scan.filterDuplicates) {
        if (this.scan.seen.has(key)) continue;
        this.scan.seen.add(key);
      }
      const w = new Writer().u8(1).u8(type).u8(from.type).bytes(from.address).u8(data.length).bytes(data).i8(this.air.rssi);
      this.air.schedule(() => this.scan.enabled && !this.closed && this.leEvent(LESub.AdvertisingReport, w.build()));
    }
  }

  /** Advertiser side: would this advertising accept a connection from that initiator now? */
  acceptsConnectionFrom(init: SimController): boolean {
    const a = this.adv;
    const want = init.initiating;
    if (!a.enabled || !want) return false;
    if (a.type === AdvType.ADV_SCAN_IND || a.type === AdvType.ADV_NONCONN_IND) return false;
    const me = this.ownAddress(a.ownAddressType);
    const them = init.ownAddress(want.ownAddressType);
    if (!me || !them) return false;
    const directed = a.type === AdvType.ADV_DIRECT_IND_HIGH || a.type === AdvType.ADV_DIRECT_IND_LOW;
    if (directed && !(a.peerAddressType === them.type && a.peerAddress.equals(them.address))) return false;
    if (!directed && a.filterPolicy >= 2 && !this.acceptList.has(listKey(them.type, them.address))) return false;
    if (want.filterPolicy === 1) return init.acceptList.has(listKey(me.type, me.address));
    return want.peerAddressType === me.type && want.peerAddress.equals(me.address);
  }

  /** Initiator side: the air matched us with `peripheral`; both leave their GAP state now. */
  beginCentral(peripheral: SimController): SimLink {
    const want = this.initiating;
    const myAddr = want && this.ownAddress(want.ownAddressType);
    const peerAddr = peripheral.ownAddress(peripheral.adv.ownAddressType);
    if (!want || !myAddr || !peerAddr) throw new Error('beginCentral without initiating state');
    this.initiating = null;
    peripheral.adv.enabled = false; // legacy advertising stops once connected
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
    const link = new SimLink(end(this, 0, myAddr), end(peripheral, 1, peerAddr), {
      interval: want.intervalMin,
      latency: want.latency,
      supervisionTimeout: want.supervisionTimeout,
    });
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
    this.suggestedTxOctets = 27;
    this.suggestedTxTime = 328;
  }

  /** Leave the air: stop GAP activity; links are lost and peers see a supervision timeout. */
  private dropEverything(): void {
    this.adv = defaultAdvertising();
    this.scan = defaultScan();
    this.initiating = null;
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
  return { active: false, ownAddressType: 0, filterPolicy: 0, enabled: false, filterDuplicates: false, seen: new Set() };
}

function checkRange(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new SimError('BAD_OPTION', `${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}
