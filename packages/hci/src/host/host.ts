import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import { AddressType, HciStatus, Opcode, opcodeName } from '../constants.js';
import { HciError, isHciError } from '../errors.js';
import {
  buildCommand,
  commandNameOf,
  commandSchemas,
  parseReturnParameters,
  type CommandName,
  type CommandParams,
  type CompleteCommandName,
  type ReturnParams,
} from '../codec/commands.js';
import { decodeEventParams, type HciEvent } from '../codec/events.js';
import { decodePacket, encodeCommand } from '../codec/packets.js';
import { CommandQueue, type CommandResult } from './command-queue.js';
import { AclFlow } from './acl-flow.js';
import { HciConnection, type ChannelOptions, type ConnectionHost, type PsmServer } from './connection.js';
import type { HciTransport } from '../transport/types.js';
import type { L2capChannel } from '../l2cap/channel.js';
import { parseAd, type AdvertisingData } from '../gap/ad.js';
import { startAdvertising, stopAdvertising, type AdvertisingOptions } from '../gap/advertising.js';
import { scan, scanFor, startScanning, stopScanning, type AdvertisementReport, type ScanOptions } from '../gap/scanning.js';
import { initController, type ControllerInfo } from './init.js';
import { ExtendedReportAssembler, extendedCreateConnectionParameters } from '../gap/extended.js';
import type { AdvertisingReport, ExtendedAdvertisingReport } from '../codec/events.js';

import { generateResolvablePrivateAddress, generateStaticRandomAddress } from '../gap/privacy.js';
import { normalizeAddress } from '../address.js';
import { openTransport } from '../transport/open.js';
import { BtsnoopWriter } from '../btsnoop.js';

export type { AdvertisementReport, AdvertisingOptions, ControllerInfo, ScanOptions };

const debug = createDebug('pairkit:hci:host');

export type CommandReturn<N extends CommandName> = N extends CompleteCommandName ? ReturnParams<N> : void;

export interface HciHostOptions {
  /** Per-command timeout (default 5000 ms). */
  commandTimeoutMs?: number;
  /** Static random address to use; a fresh one is generated when absent. */
  address?: string;
  /** Clock in ms (default Date.now); passed to the sans-IO cores. */
  now?: () => number;
  /**
   * Advertise, scan and connect with the legacy commands even when the controller has LE
   * Extended Advertising (default false: extended where the controller has it).
   */
  legacyAdvertising?: boolean;
}

export interface ConnectOptions {
  /** Peer address type (default 0x01 random). */
  addressType?: number;
  signal?: AbortSignal;
  /** Give up (and cancel) after this many ms (default 10000). */
  timeoutMs?: number;
  /** Connection interval in 1.25 ms units (default 24..40), latency, supervision timeout (10 ms units, default 400). */
  connectionIntervalMin?: number;
  connectionIntervalMax?: number;
  maxLatency?: number;
  supervisionTimeout?: number;
}

export interface HostEvents {
  connection: [conn: HciConnection];
  advertisement: [report: AdvertisementReport];
  /** Every decoded event, after the host handled it. */
  event: [ev: HciEvent];
  error: [err: HciError];
  close: [];
}

/**
 * The HCI host: drives the sans-IO command queue and ACL flow control over a transport,
 * dispatches events to connections, and offers GAP operations.
 */
export class HciHost extends EventEmitter<HostEvents> implements ConnectionHost {
  readonly transport: HciTransport;
  readonly connections = new Map<number, HciConnection>();
  info: ControllerInfo | undefined;
  /** Our current random address (static by default). */
  address: string;
  readonly addressType = AddressType.Random;
  /**
   * The command family GAP uses, chosen by init(): 'extended' when the controller reports LE
   * Extended Advertising (feature bit and commands) and legacy was not forced. A controller
   * refuses the other family from then on (Command Disallowed), so everything GAP does
   * (advertise, scan, connect) goes through the chosen one.
   */
  advertisingCommands: 'legacy' | 'extended' = 'legacy';
  /** Most advertising data one advertisement carries: 31 with legacy commands, the controller's maximum otherwise. */
  maxAdvertisingDataLength = 31;
  private readonly forceLegacy: boolean;
  private readonly extendedReports = new ExtendedReportAssembler();
  private readonly now: () => number;
  private readonly commands: CommandQueue;
  private readonly acl = new AclFlow();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly servers = new Map<number, PsmServer>();
  private pendingConnect: { address: string; resolve: (c: HciConnection) => void; reject: (e: HciError) => void; cancelled: false | 'abort' | 'timeout'; timeoutMs: number } | undefined;
  private readonly incoming: HciConnection[] = [];
  private readonly acceptWaiters: { resolve: (c: HciConnection) => void; reject: (e: HciError) => void }[] = [];
  private readonly onData = (p: Buffer) => this.onPacket(p);
  private readonly onTransportClose = () => void this.close();
  private readonly onTransportError = (e: HciError) => this.report(e);
  /** Run (and awaited) by close() after the transport closed, e.g. flushing a capture file. */
  private readonly closeHooks: (() => Promise<void>)[] = [];

  constructor(transport: HciTransport, opts: HciHostOptions = {}) {
    super();
    this.transport = transport;
    this.now = opts.now ?? Date.now;
    this.forceLegacy = opts.legacyAdvertising === true;
    this.commands = new CommandQueue(opts.commandTimeoutMs ?? 5000);
    this.address = opts.address ? normalizeAddress(opts.address) : generateStaticRandomAddress();
    transport.on('data', this.onData);
    transport.on('close', this.onTransportClose);
    transport.on('error', this.onTransportError);
  }

  /** Open a transport by URI (see parseTransportUri), optionally tap it into a BTSnoop file, and run init(). */
  static async open(uri: string, opts: HciHostOptions & { signal?: AbortSignal; btsnoop?: string; init?: boolean } = {}): Promise<HciHost> {
    let transport = await openTransport(uri, { signal: opts.signal });
    let snoop: BtsnoopWriter | undefined;
    if (opts.btsnoop) {
      snoop = new BtsnoopWriter(opts.btsnoop);
      transport = snoop.tap(transport);
    }
    const host = new HciHost(transport, opts);
    if (snoop) host.closeHooks.push(() => snoop.close());
    if (opts.init !== false) {
      try {
        await host.init(opts.signal);
      } catch (e) {
        await host.close();
        throw e;
      }
    }
    return host;
  }

  // ---- commands ----

  /** Send a command; resolves with its return parameters (Command Complete) or when its status is 0 (Command Status). */
  async command<N extends CommandName>(name: N, params: CommandParams<N>, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CommandReturn<N>> {
    const packet = buildCommand(name, params);
    const r = await this.submitCommand(Opcode[name], packet, opts);
    if (r.kind === 'complete' && 'returns' in commandSchemas[name]) {
      return parseReturnParameters(name as CompleteCommandName, r.returnParameters) as CommandReturn<N>;
    }
    return undefined as CommandReturn<N>;
  }

  /** Send any command by opcode with raw parameter bytes (e.g. vendor commands). */
  rawCommand(opcode: number, params: Uint8Array = Buffer.alloc(0), opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CommandResult> {
    return this.submitCommand(opcode, encodeCommand(opcode, params), opts);
  }

  private submitCommand(opcode: number, packet: Buffer, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<CommandResult> {
    if (this.closed) return Promise.reject(new HciError('CLOSED', 'host is closed'));
    if (opts.signal?.aborted) return Promise.reject(new HciError('ABORTED', `${opcodeName(opcode)} aborted`, { cause: opts.signal.reason }));
    debug('-> %s', commandNameOf(opcode) ?? opcodeName(opcode));
    const p = this.commands.submit(opcode, packet, opts.timeoutMs);
    this.pump();
    if (!opts.signal) return p;
    const signal = opts.signal;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new HciError('ABORTED', `${opcodeName(opcode)} aborted`, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** @internal ConnectionHost */
  sendAcl(handle: number, pdu: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new HciError('CLOSED', 'host is closed'));
    // Data for a gone handle would take a controller buffer that is never counted back.
    if (!this.connections.has(handle)) return Promise.reject(new HciError('DISCONNECTED', `no connection with handle 0x${handle.toString(16)}`));
    const p = this.acl.send(handle, pdu);
    this.pump();
    return p;
  }

  /** @internal ConnectionHost */
  psmServer(psm: number): PsmServer | undefined {
    return this.servers.get(psm);
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.now();
    this.commands.tick(now);
    try {
      for (const p of this.commands.drain(now)) this.transport.write(p);
      for (const p of this.acl.drain()) this.transport.write(p);
    } catch (e) {
      this.report(isHciError(e) ? e : new HciError('TRANSPORT', `write failed: ${(e as Error).message}`, { cause: e }));
    }
    // Re-arm the timeout timer only when an earlier deadline appears; a timer that fires
    // early just pumps and re-arms. Saves a timer per command on the hot path.
    const next = this.commands.nextDeadline();
    if (next === Infinity) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
    } else if (next < this.timerAt) {
      clearTimeout(this.timer);
      this.timerAt = next;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      }, Math.max(0, next - now) + 1);
    }
  }

  private report(err: HciError): void {
    debug('error: %s', err.message);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  // ---- input ----

  private onPacket(packet: Buffer): void {
    try {
      const p = decodePacket(packet);
      if (p.type === 'event') {
        if (this.commands.onEvent(p.code, p.params)) {
          this.pump();
          if (this.listenerCount('event') > 0) this.emit('event', decodeEventParams(p.code, p.params));
          return;
        }
        const ev = decodeEventParams(p.code, p.params);
        this.onEvent(ev);
        this.emit('event', ev);
      } else if (p.type === 'acl') {
        const conn = this.connections.get(p.handle);
        if (conn) conn.receiveAcl(p.pb, p.data);
        else debug('ACL for unknown handle 0x%s', p.handle.toString(16));
      }
    } catch (e) {
      this.report(isHciError(e) ? e : new HciError('MALFORMED', `handling a packet from the controller failed: ${(e as Error).message}`, { cause: e }));
    }
  }

  private onEvent(ev: HciEvent): void {
    if (ev.name === undefined) return;
    switch (ev.name) {
      case 'Disconnection_Complete': {
        if (ev.params.status !== 0) return;
        const conn = this.connections.get(ev.params.connectionHandle);
        this.connections.delete(ev.params.connectionHandle);
        this.acl.disconnected(ev.params.connectionHandle, new HciError('DISCONNECTED', 'disconnected', { status: ev.params.reason }));
        const i = conn ? this.incoming.indexOf(conn) : -1;
        if (i >= 0) this.incoming.splice(i, 1);
        conn?.onDisconnected(ev.params.reason);
        this.pump();
        return;
      }
      case 'Encryption_Change_v1':
      case 'Encryption_Change_v2':
        this.connections.get(ev.params.connectionHandle)?.onEncryptionChange(ev.params.status, ev.params.encryptionEnabled !== 0, false);
        return;
      case 'Encryption_Key_Refresh_Complete':
        this.connections.get(ev.params.connectionHandle)?.onEncryptionChange(ev.params.status, true, true);
        return;
      case 'Number_Of_Completed_Packets':
        for (const h of ev.params.handles) this.acl.completed(h.connectionHandle, h.numCompletedPackets);
        this.pump();
        return;
      case 'LE_Connection_Complete':
      case 'LE_Enhanced_Connection_Complete':
        this.onConnectionComplete(ev);
        return;
      case 'LE_Advertising_Report':
        for (const r of ev.params.reports) this.emit('advertisement', legacyReport(r));
        return;
      case 'LE_Extended_Advertising_Report':
        for (const r of ev.params.reports) {
          const whole = this.extendedReports.push(r);
          if (whole) this.emit('advertisement', extendedReport(whole.report, whole.data, whole.truncated));
        }
        return;
      case 'LE_Long_Term_Key_Request':
        this.connections.get(ev.params.connectionHandle)?.onLtkRequest(ev.params.randomNumber, ev.params.encryptedDiversifier);
        return;
      case 'LE_Connection_Update_Complete': {
        const conn = this.connections.get(ev.params.connectionHandle);
        if (!conn) return;
        if (ev.params.status === 0) {
          conn.info.connectionInterval = ev.params.connectionInterval;
          conn.info.peripheralLatency = ev.params.peripheralLatency;
          conn.info.supervisionTimeout = ev.params.supervisionTimeout;
        }
        conn.emit('connectionUpdate', {
          status: ev.params.status,
          interval: ev.params.connectionInterval,
          latency: ev.params.peripheralLatency,
          timeout: ev.params.supervisionTimeout,
        });
        return;
      }
      case 'LE_Data_Length_Change':
        this.connections.get(ev.params.connectionHandle)?.emit('dataLengthChange', { maxTxOctets: ev.params.maxTxOctets, maxRxOctets: ev.params.maxRxOctets });
        return;
      case 'LE_Remote_Connection_Parameter_Request': {
        const p = ev.params;
        this.command('HCI_LE_Remote_Connection_Parameter_Request_Reply', {
          connectionHandle: p.connectionHandle,
          intervalMin: p.intervalMin,
          intervalMax: p.intervalMax,
          maxLatency: p.maxLatency,
          timeout: p.timeout,
          minCeLength: 0,
          maxCeLength: 0,
        }).catch((e: Error) => debug('parameter request reply: %s', e.message));
        return;
      }
      case 'Hardware_Error':
        this.report(new HciError('TRANSPORT', `controller hardware error 0x${ev.params.hardwareCode.toString(16)}`));
        return;
      default:
        return;
    }
  }

  private onConnectionComplete(ev: Extract<HciEvent, { name: 'LE_Connection_Complete' | 'LE_Enhanced_Connection_Complete' }>): void {
    const p = ev.params;
    const central = p.role === 0;
    if (p.status !== 0) {
      const pc = this.pendingConnect;
      if (central || pc) {
        this.pendingConnect = undefined;
        if (pc?.cancelled === 'timeout') {
          pc.reject(new HciError('COMMAND_TIMEOUT', `no connection to ${pc.address} within ${pc.timeoutMs} ms`, { status: p.status }));
        } else if (pc?.cancelled || p.status === HciStatus.Unknown_Connection_Identifier) {
          pc?.reject(new HciError('ABORTED', 'connection attempt cancelled', { status: p.status }));
        } else {
          pc?.reject(new HciError('COMMAND_FAILED', `connection failed: status 0x${p.status.toString(16)}`, { status: p.status }));
        }
      }
      return;
    }
    const zero = '00:00:00:00:00:00';
    const enhanced = ev.name === 'LE_Enhanced_Connection_Complete' ? (ev.params as Extract<HciEvent, { name: 'LE_Enhanced_Connection_Complete' }>['params']) : undefined;
    const conn = new HciConnection(
      {
        handle: p.connectionHandle,
        role: central ? 'central' : 'peripheral',
        peerAddress: p.peerAddress,
        peerAddressType: p.peerAddressType,
        localAddress: enhanced && enhanced.localResolvablePrivateAddress !== zero ? enhanced.localResolvablePrivateAddress : this.address,
        localAddressType: this.addressType,
        peerResolvablePrivateAddress: enhanced && enhanced.peerResolvablePrivateAddress !== zero ? enhanced.peerResolvablePrivateAddress : undefined,
        connectionInterval: p.connectionInterval,
        peripheralLatency: p.peripheralLatency,
        supervisionTimeout: p.supervisionTimeout,
      },
      this,
    );
    this.connections.set(conn.handle, conn);
    debug('connected 0x%s %s %s', conn.handle.toString(16), conn.role, conn.info.peerAddress);
    if (central) {
      const pc = this.pendingConnect;
      this.pendingConnect = undefined;
      pc?.resolve(conn);
    } else {
      const w = this.acceptWaiters.shift();
      if (w) w.resolve(conn);
      else this.incoming.push(conn);
    }
    this.emit('connection', conn);
  }

  // ---- init ----

  /** The LE init sequence (see initController); returns what the controller told us. */
  async init(signal?: AbortSignal): Promise<ControllerInfo> {
    this.advertisingCommands = 'legacy';
    this.maxAdvertisingDataLength = 31;
    const info = await initController(this, this.address, signal);
    this.acl.setBuffers(info.aclBuffers.maxLength, info.aclBuffers.total);
    if (info.extendedAdvertising && !this.forceLegacy) {
      const max = await this.command('HCI_LE_Read_Maximum_Advertising_Data_Length', {}, { signal });
      const sets = await this.command('HCI_LE_Read_Number_Of_Supported_Advertising_Sets', {}, { signal });
      info.maxAdvertisingDataLength = max.maxAdvertisingDataLength;
      info.numSupportedAdvertisingSets = sets.numSupportedAdvertisingSets;
      this.advertisingCommands = 'extended';
      this.maxAdvertisingDataLength = Math.max(31, Math.min(1650, max.maxAdvertisingDataLength));
    }
    debug('GAP uses the %s advertising commands', this.advertisingCommands);
    this.info = info;
    return info;
  }

  // ---- addresses ----

  /** Use a new random address (static or resolvable private). Not while advertising/scanning/connecting. */
  async setRandomAddress(address: string): Promise<void> {
    const a = normalizeAddress(address);
    await this.command('HCI_LE_Set_Random_Address', { randomAddress: a });
    this.address = a;
  }

  /** Switch to a fresh resolvable private address generated from our IRK (MSB-first). */
  async usePrivateAddress(irk: Uint8Array): Promise<string> {
    const rpa = generateResolvablePrivateAddress(irk);
    await this.setRandomAddress(rpa);
    return rpa;
  }

  // ---- advertising ----

  startAdvertising(opts: AdvertisingOptions = {}): Promise<void> {
    return startAdvertising(this, opts);
  }

  stopAdvertising(): Promise<void> {
    return stopAdvertising(this);
  }

  /** Wait for the next connection in which we are the peripheral (advertise first). */
  accept(opts: { signal?: AbortSignal } = {}): Promise<HciConnection> {
    const ready = this.incoming.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closed) return Promise.reject(new HciError('CLOSED', 'host is closed'));
    opts.signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (c: HciConnection) => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve(c);
        },
        reject: (e: HciError) => {
          opts.signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        const i = this.acceptWaiters.indexOf(w);
        if (i >= 0) this.acceptWaiters.splice(i, 1);
        reject(new HciError('ABORTED', 'accept aborted', { cause: opts.signal!.reason }));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.acceptWaiters.push(w);
    });
  }

  // ---- scanning ----

  startScanning(opts: ScanOptions = {}): Promise<void> {
    // Fragments left from an earlier scan must not join this one's.
    this.extendedReports.clear();
    return startScanning(this, opts);
  }

  stopScanning(): Promise<void> {
    return stopScanning(this);
  }

  /** Scan and yield reports until the signal aborts or the loop breaks; stops scanning afterwards. */
  scan(opts: ScanOptions & { signal?: AbortSignal } = {}): AsyncGenerator<AdvertisementReport> {
    return scan(this, opts);
  }

  /** Scan until `match` accepts a report; stops scanning afterwards. */
  scanFor(match: (r: AdvertisementReport) => boolean, opts: ScanOptions & { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AdvertisementReport> {
    return scanFor(this, match, opts);
  }

  // ---- connecting ----

  /** Connect as central (LE Create Connection, or LE Extended Create Connection with the extended commands); abort or timeout sends LE Create Connection Cancel. */
  async connect(address: string, opts: ConnectOptions = {}): Promise<HciConnection> {
    if (this.pendingConnect) throw new HciError('INVALID_PARAMETER', 'a connection attempt is already in progress');
    opts.signal?.throwIfAborted();
    const peer = normalizeAddress(address);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const done = new Promise<HciConnection>((resolve, reject) => {
      this.pendingConnect = { address: peer, resolve, reject, cancelled: false, timeoutMs };
    });
    done.catch(() => {});
    try {
      // The same connection request either way; the command family is the one GAP chose at init.
      const request = {
        peerAddressType: opts.addressType ?? AddressType.Random,
        peerAddress: peer,
        ownAddressType: this.addressType,
        connectionIntervalMin: opts.connectionIntervalMin ?? 24,
        connectionIntervalMax: opts.connectionIntervalMax ?? 40,
        maxLatency: opts.maxLatency ?? 0,
        supervisionTimeout: opts.supervisionTimeout ?? 400,
      };
      if (this.advertisingCommands === 'extended') {
        await this.command('HCI_LE_Extended_Create_Connection', {
          parameters: extendedCreateConnectionParameters({ ...request, scanInterval: 0x60, scanWindow: 0x30 }),
        });
      } else {
        await this.command('HCI_LE_Create_Connection', { ...request, leScanInterval: 0x60, leScanWindow: 0x30, initiatorFilterPolicy: 0, minCeLength: 0, maxCeLength: 0 });
      }
    } catch (e) {
      this.pendingConnect = undefined;
      throw e;
    }
    const cancel = (why: 'abort' | 'timeout') => {
      const pc = this.pendingConnect;
      if (!pc || pc.cancelled) return;
      pc.cancelled = why;
      this.command('HCI_LE_Create_Connection_Cancel', {}).catch((e: HciError) => {
        // Command Disallowed: the connection completed meanwhile; the event decides.
        debug('create connection cancel: %s', e.message);
      });
    };
    const onAbort = () => cancel('abort');
    const timer = setTimeout(() => cancel('timeout'), timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const conn = await done;
      const pc = opts.signal?.aborted;
      if (pc) {
        // Raced: connected although aborted. Honour the abort.
        await conn.disconnect(HciStatus.Remote_User_Terminated_Connection).catch(() => {});
        throw new HciError('ABORTED', 'connection attempt aborted');
      }
      return conn;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  // ---- L2CAP servers ----

  /** Accept LE credit-based channels on `psm`; returns a function that stops listening. */
  listen(psm: number, onChannel: (ch: L2capChannel, conn: HciConnection) => void, options: ChannelOptions & { requireEncryption?: boolean } = {}): () => void {
    if (psm < 1 || psm > 0xff) throw new HciError('INVALID_PARAMETER', `LE SPSM must be 0x01..0xFF, got ${psm}`);
    if (this.servers.has(psm)) throw new HciError('INVALID_PARAMETER', `PSM 0x${psm.toString(16)} already has a listener`);
    const server: PsmServer = { options, onChannel };
    this.servers.set(psm, server);
    return () => {
      if (this.servers.get(psm) === server) this.servers.delete(psm);
    };
  }

  // ---- lifecycle ----

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stop: fail pending work, mark connections gone, close the transport. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const err = new HciError('CLOSED', 'host closed');
    this.commands.close(err);
    this.acl.close(err);
    this.pendingConnect?.reject(err);
    this.pendingConnect = undefined;
    for (const w of this.acceptWaiters.splice(0)) w.reject(err);
    for (const c of this.connections.values()) c.onDisconnected(HciStatus.Connection_Terminated_By_Local_Host);
    this.connections.clear();
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onTransportClose);
    this.transport.off('error', this.onTransportError);
    await this.transport.close();
    for (const hook of this.closeHooks.splice(0)) await hook().catch((e: Error) => debug('close hook: %s', e.message));
    this.emit('close');
  }
}

function parseAdOrUndefined(data: Buffer): AdvertisingData | undefined {
  try {
    return parseAd(data);
  } catch {
    return undefined;
  }
}

/** A legacy LE Advertising Report as GAP hands it out. */
function legacyReport(r: AdvertisingReport): AdvertisementReport {
  const t = r.eventType;
  return {
    address: r.address,
    addressType: r.addressType,
    eventType: t,
    rssi: r.rssi,
    data: r.data,
    ad: parseAdOrUndefined(r.data),
    legacy: true,
    connectable: t === 0 || t === 1,
    scannable: t === 0 || t === 2,
    directed: t === 1,
    scanResponse: t === 4,
    primaryPhy: 1,
  };
}

/** A (reassembled) LE Extended Advertising Report as GAP hands it out: the same shape as legacy ones. */
function extendedReport(r: ExtendedAdvertisingReport, data: Buffer, truncated: boolean): AdvertisementReport {
  const t = r.eventType;
  const connectable = (t & 0x01) !== 0;
  const scannable = (t & 0x02) !== 0;
  const directed = (t & 0x04) !== 0;
  const scanResponse = (t & 0x08) !== 0;
  const report: AdvertisementReport = {
    address: r.address,
    addressType: r.addressType,
    eventType: scanResponse ? 4 : directed ? 1 : connectable ? 0 : scannable ? 2 : 3,
    rssi: r.rssi,
    data,
    ad: parseAdOrUndefined(data),
    legacy: (t & 0x10) !== 0,
    connectable,
    scannable,
    directed,
    scanResponse,
    primaryPhy: r.primaryPhy,
  };
  if (r.secondaryPhy !== 0) report.secondaryPhy = r.secondaryPhy;
  if (r.advertisingSid !== 0xff) report.sid = r.advertisingSid;
  if (r.txPower !== 127) report.txPower = r.txPower;
  if (truncated) report.truncated = true;
  return report;
}
