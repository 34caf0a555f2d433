import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import { HciStatus, statusName } from '../constants.js';
import { HciError } from '../errors.js';
import type { CommandName, CommandParams } from '../codec/commands.js';
import { L2capReassembler } from '../l2cap/reassembler.js';
import { decodeL2capPdu, decodeSignaling, encodeL2capPdu, encodeSignaling, type SignalingCommand } from '../l2cap/pdu.js';
import {
  CommandRejectReason,
  ConnectionParameterUpdateResult,
  FixedCid,
  LE_DYNAMIC_CID_FIRST,
  LE_DYNAMIC_CID_LAST,
  LE_MAX_MPS,
  LE_MIN_MPS,
  LE_MIN_MTU,
  LeCreditConnectionResult,
  SignalingCode,
  leCreditResultName,
} from '../l2cap/constants.js';
import { L2capChannel, type ChannelIo } from '../l2cap/channel.js';

const debug = createDebug('pairkit:hci:conn');

export interface ConnectionInfo {
  handle: number;
  role: 'central' | 'peripheral';
  peerAddress: string;
  peerAddressType: number;
  /** Our own address on this link. */
  localAddress: string;
  localAddressType: number;
  /** Peer RPA when the controller resolved it (Enhanced Connection Complete), else undefined. */
  peerResolvablePrivateAddress?: string;
  connectionInterval: number;
  peripheralLatency: number;
  supervisionTimeout: number;
}

export interface ConnectionParameters {
  intervalMin: number;
  intervalMax: number;
  latency: number;
  timeout: number;
}

export interface ConnectionEvents {
  /** The link is gone; `reason` is the HCI status (e.g. 0x13, 0x16, 0x3D). */
  disconnect: [reason: number];
  encryptionChange: [e: { status: number; encrypted: boolean }];
  keyRefresh: [e: { status: number }];
  /** We are the peripheral and the central starts encryption: answer with ltkReply / ltkNegativeReply. */
  ltkRequest: [e: { rand: Buffer; ediv: number }];
  connectionUpdate: [e: { status: number; interval: number; latency: number; timeout: number }];
  dataLengthChange: [e: { maxTxOctets: number; maxRxOctets: number }];
  /** An LE credit-based channel the peer opened to a PSM we listen on. */
  channel: [channel: L2capChannel];
}

export interface ChannelOptions {
  /** Largest SDU we accept (default 2048, min 23). */
  mtu?: number;
  /** Largest K-frame payload we accept (default 247). */
  mps?: number;
  /** Credits we grant up front (default 16). */
  initialCredits?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface PsmServer {
  options: ChannelOptions & { requireEncryption?: boolean };
  onChannel: (ch: L2capChannel, conn: HciConnection) => void;
}

/** What a connection needs from its host. */
export interface ConnectionHost {
  command<N extends CommandName>(name: N, params: CommandParams<N>, opts?: { signal?: AbortSignal }): Promise<unknown>;
  sendAcl(handle: number, pdu: Buffer): Promise<void>;
  psmServer(psm: number): PsmServer | undefined;
}

type FixedHandler = (payload: Buffer) => void;

interface PendingSig {
  code: number;
  resolve: (c: SignalingCommand) => void;
  reject: (e: HciError) => void;
  timer: NodeJS.Timeout;
}

const SIGNALING_TIMEOUT_MS = 30_000; // RTX upper bound (Core Vol 3 Part A §6.2.1)

/** One LE ACL link: L2CAP fixed channels, LE signaling, credit-based channels, encryption. */
export class HciConnection extends EventEmitter<ConnectionEvents> {
  readonly handle: number;
  readonly info: ConnectionInfo;
  encrypted = false;
  private disconnectReason: number | undefined;
  private readonly reassembler = new L2capReassembler();
  private readonly fixed = new Map<number, FixedHandler>();
  private readonly channels = new Map<number, L2capChannel>();
  private readonly pendingSig = new Map<number, PendingSig>();
  private nextIdentifier = 1;
  private encryptionWaiter: { resolve: (v: boolean) => void; reject: (e: HciError) => void } | undefined;
  private disconnectWaiter: Promise<number> | undefined;
  private readonly io: ChannelIo;

  constructor(
    info: ConnectionInfo,
    private readonly host: ConnectionHost,
  ) {
    super();
    this.info = info;
    this.handle = info.handle;
    this.io = {
      sendFrame: (cid, payload) => this.host.sendAcl(this.handle, encodeL2capPdu(cid, payload)),
      sendCredits: (cid, credits) => {
        void this.sendSignaling({ code: 0x16, identifier: this.allocIdentifier(), cid, credits }).catch(() => {});
      },
      disconnect: (ch) => this.disconnectChannel(ch),
    };
  }

  get connected(): boolean {
    return this.disconnectReason === undefined;
  }
  get role(): 'central' | 'peripheral' {
    return this.info.role;
  }

  // ---- fixed channels ----

  /** Handle PDUs on a fixed channel (e.g. SMP 0x0006). Returns an unregister function. */
  setFixedChannelHandler(cid: number, handler: FixedHandler): () => void {
    if (cid === FixedCid.LE_Signaling) throw new HciError('INVALID_PARAMETER', 'the LE signaling channel belongs to the host');
    this.fixed.set(cid, handler);
    return () => {
      if (this.fixed.get(cid) === handler) this.fixed.delete(cid);
    };
  }

  /** Send one PDU on a fixed channel. */
  sendFixed(cid: number, payload: Uint8Array): Promise<void> {
    if (!this.connected) return Promise.reject(this.disconnectedError());
    return this.host.sendAcl(this.handle, encodeL2capPdu(cid, payload));
  }

  // ---- encryption ----

  /** Central: encrypt the link with a known LTK (wire byte order). Resolves when encrypted. */
  async startEncryption(ltk: Uint8Array, ediv: number, rand: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.info.role !== 'central') throw new HciError('INVALID_PARAMETER', 'only the central starts encryption');
    if (this.encryptionWaiter) throw new HciError('INVALID_PARAMETER', 'encryption already in progress');
    const done = new Promise<boolean>((resolve, reject) => {
      this.encryptionWaiter = { resolve, reject };
    });
    done.catch(() => {}); // may settle before we await it (link lost while the command is pending)
    try {
      await this.host.command(
        'HCI_LE_Enable_Encryption',
        { connectionHandle: this.handle, randomNumber: Buffer.from(rand), encryptedDiversifier: ediv, longTermKey: Buffer.from(ltk) },
        { signal },
      );
    } catch (e) {
      this.encryptionWaiter = undefined;
      throw e;
    }
    await done;
  }

  /** Peripheral: answer an `ltkRequest` with the key. */
  async ltkReply(ltk: Uint8Array): Promise<void> {
    await this.host.command('HCI_LE_Long_Term_Key_Request_Reply', { connectionHandle: this.handle, longTermKey: Buffer.from(ltk) });
  }

  /** Peripheral: no key for this request (the controller then reports 0x06 PIN or Key Missing). */
  async ltkNegativeReply(): Promise<void> {
    await this.host.command('HCI_LE_Long_Term_Key_Request_Negative_Reply', { connectionHandle: this.handle });
  }

  // ---- link ----

  /** Disconnect with `reason` (default 0x13 Remote User Terminated Connection); resolves when gone. */
  async disconnect(reason: number = HciStatus.Remote_User_Terminated_Connection): Promise<number> {
    if (!this.connected) return this.disconnectReason!;
    this.disconnectWaiter ??= new Promise<number>((resolve) => this.once('disconnect', resolve));
    await this.host.command('HCI_Disconnect', { connectionHandle: this.handle, reason });
    return this.disconnectWaiter;
  }

  /** Peripheral: ask the central for new parameters over LE signaling; true if accepted. */
  async requestConnectionParameterUpdate(p: ConnectionParameters, signal?: AbortSignal): Promise<boolean> {
    const rsp = await this.request(
      { code: 0x12, identifier: this.allocIdentifier(), intervalMin: p.intervalMin, intervalMax: p.intervalMax, latency: p.latency, timeout: p.timeout },
      SignalingCode.L2CAP_CONNECTION_PARAMETER_UPDATE_RSP,
      signal,
    );
    return rsp.code === 0x13 && (rsp as Extract<SignalingCommand, { code: 0x13 }>).result === ConnectionParameterUpdateResult.Accepted;
  }

  // ---- credit-based channels ----

  /** Open an LE credit-based channel to the peer's SPSM. */
  async openChannel(psm: number, opts: ChannelOptions = {}): Promise<L2capChannel> {
    const mtu = opts.mtu ?? 2048;
    const mps = opts.mps ?? 247;
    const credits = opts.initialCredits ?? 16;
    validateChannelOptions(mtu, mps, credits);
    const localCid = this.allocCid();
    // Reserve the CID until the answer comes.
    const placeholder = {} as L2capChannel;
    this.channels.set(localCid, placeholder);
    try {
      const rsp = (await this.request(
        { code: 0x14, identifier: this.allocIdentifier(), spsm: psm, sourceCid: localCid, mtu, mps, initialCredits: credits },
        SignalingCode.L2CAP_LE_CREDIT_BASED_CONNECTION_RSP,
        opts.signal,
        opts.timeoutMs,
      )) as Extract<SignalingCommand, { code: 0x15 }>;
      if (rsp.code !== 0x15) throw new HciError('L2CAP_PROTOCOL', 'unexpected answer');
      if (rsp.result !== LeCreditConnectionResult.Connection_Successful) {
        throw new HciError('L2CAP_REFUSED', `LE credit-based connection to PSM 0x${psm.toString(16)} refused: ${leCreditResultName(rsp.result)}`, {
          status: rsp.result,
        });
      }
      if (rsp.mtu < LE_MIN_MTU || rsp.mps < LE_MIN_MPS || rsp.mps > LE_MAX_MPS || rsp.destinationCid < LE_DYNAMIC_CID_FIRST) {
        throw new HciError('L2CAP_PROTOCOL', `peer answered with invalid channel parameters`);
      }
      const ch = new L2capChannel(
        { psm, localCid, remoteCid: rsp.destinationCid, localMtu: mtu, remoteMtu: rsp.mtu, localMps: mps, remoteMps: rsp.mps, txCredits: rsp.initialCredits, rxCredits: credits },
        this.io,
      );
      this.channels.set(localCid, ch);
      return ch;
    } catch (e) {
      if (this.channels.get(localCid) === placeholder) this.channels.delete(localCid);
      throw e;
    }
  }

  private allocCid(): number {
    for (let cid = LE_DYNAMIC_CID_FIRST; cid <= LE_DYNAMIC_CID_LAST; cid++) if (!this.channels.has(cid)) return cid;
    throw new HciError('L2CAP_REFUSED', 'no free L2CAP channel identifiers');
  }

  private allocIdentifier(): number {
    const id = this.nextIdentifier;
    this.nextIdentifier = (this.nextIdentifier % 255) + 1; // 0 is never a valid identifier
    return id;
  }

  private async disconnectChannel(ch: L2capChannel): Promise<void> {
    if (!this.connected || this.channels.get(ch.localCid) !== ch) return;
    try {
      await this.request(
        { code: 0x06, identifier: this.allocIdentifier(), destinationCid: ch.remoteCid, sourceCid: ch.localCid },
        SignalingCode.L2CAP_DISCONNECTION_RSP,
        undefined,
        5000,
      );
    } catch (e) {
      debug('channel disconnect: %s', (e as Error).message);
    } finally {
      this.channels.delete(ch.localCid);
    }
  }

  // ---- signaling ----

  private sendSignaling(c: Exclude<SignalingCommand, { unknown: true }>): Promise<void> {
    return this.sendFixed(FixedCid.LE_Signaling, encodeSignaling(c));
  }

  private request(
    c: Exclude<SignalingCommand, { unknown: true }>,
    rspCode: number,
    signal?: AbortSignal,
    timeoutMs = SIGNALING_TIMEOUT_MS,
  ): Promise<SignalingCommand> {
    if (!this.connected) return Promise.reject(this.disconnectedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        settle();
        reject(signal!.reason);
      };
      const settle = () => {
        clearTimeout(timer);
        this.pendingSig.delete(c.identifier);
        signal?.removeEventListener('abort', onAbort);
      };
      const timer = setTimeout(() => {
        settle();
        reject(new HciError('COMMAND_TIMEOUT', `no answer to L2CAP signaling code 0x${c.code.toString(16)}`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pendingSig.set(c.identifier, {
        code: rspCode,
        resolve: (v) => {
          settle();
          resolve(v);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        timer,
      });
      this.sendSignaling(c).catch((e: HciError) => {
        settle();
        reject(e);
      });
    });
  }

  private reject(identifier: number, reason: number, data: Buffer = Buffer.alloc(0)): void {
    void this.sendSignaling({ code: 0x01, identifier, reason, data }).catch(() => {});
  }

  private onSignaling(payload: Buffer): void {
    let c: SignalingCommand;
    try {
      c = decodeSignaling(payload);
    } catch (e) {
      debug('bad signaling PDU: %s', (e as Error).message);
      if (payload.length >= 2 && payload[1] !== 0) this.reject(payload[1], CommandRejectReason.Command_Not_Understood);
      return;
    }
    if (c.identifier === 0) return; // invalid on LE signaling: silently discard
    if ('unknown' in c) {
      this.reject(c.identifier, CommandRejectReason.Command_Not_Understood);
      return;
    }
    switch (c.code) {
      case 0x01:
      case 0x07:
      case 0x13:
      case 0x15: {
        const p = this.pendingSig.get(c.identifier);
        if (!p) return;
        if (c.code === 0x01) {
          p.reject(new HciError('L2CAP_REFUSED', `peer rejected the signaling command (reason 0x${c.reason.toString(16)})`, { status: c.reason }));
        } else if (c.code === p.code) p.resolve(c);
        return;
      }
      case 0x06: {
        const ch = this.channels.get(c.destinationCid);
        if (!ch || !(ch instanceof L2capChannel) || ch.remoteCid !== c.sourceCid) {
          const d = Buffer.alloc(4);
          d.writeUInt16LE(c.sourceCid, 0);
          d.writeUInt16LE(c.destinationCid, 2);
          this.reject(c.identifier, CommandRejectReason.Invalid_CID_In_Request, d);
          return;
        }
        this.channels.delete(ch.localCid);
        void this.sendSignaling({ code: 0x07, identifier: c.identifier, destinationCid: c.destinationCid, sourceCid: c.sourceCid }).catch(() => {});
        ch.ended(undefined);
        return;
      }
      case 0x12:
        this.onParameterUpdateRequest(c);
        return;
      case 0x14:
        this.onCreditConnectionRequest(c);
        return;
      case 0x16: {
        for (const ch of this.channels.values()) {
          if (ch instanceof L2capChannel && ch.remoteCid === c.cid) ch.addCredits(c.credits);
        }
        return;
      }
    }
  }

  private onParameterUpdateRequest(c: Extract<SignalingCommand, { code: 0x12 }>): void {
    if (this.info.role !== 'central') {
      this.reject(c.identifier, CommandRejectReason.Command_Not_Understood);
      return;
    }
    const ok =
      c.intervalMin >= 6 && c.intervalMax <= 3200 && c.intervalMin <= c.intervalMax && c.latency <= 499 &&
      c.timeout >= 10 && c.timeout <= 3200 && c.timeout * 4 > (1 + c.latency) * c.intervalMax; // units: 10 ms vs 1.25 ms*2
    void this.sendSignaling({ code: 0x13, identifier: c.identifier, result: ok ? 0 : 1 }).catch(() => {});
    if (ok) {
      this.host
        .command('HCI_LE_Connection_Update', {
          connectionHandle: this.handle,
          connectionIntervalMin: c.intervalMin,
          connectionIntervalMax: c.intervalMax,
          maxLatency: c.latency,
          supervisionTimeout: c.timeout,
          minCeLength: 0,
          maxCeLength: 0,
        })
        .catch((e: Error) => debug('connection update failed: %s', e.message));
    }
  }

  private onCreditConnectionRequest(c: Extract<SignalingCommand, { code: 0x14 }>): void {
    const answer = (result: number, localCid = 0, mtu = 0, mps = 0, credits = 0) =>
      void this.sendSignaling({ code: 0x15, identifier: c.identifier, destinationCid: localCid, mtu, mps, initialCredits: credits, result }).catch(() => {});
    const server = this.host.psmServer(c.spsm);
    if (!server) return answer(LeCreditConnectionResult.SPSM_Not_Supported);
    if (c.sourceCid < LE_DYNAMIC_CID_FIRST || c.sourceCid > LE_DYNAMIC_CID_LAST) return answer(LeCreditConnectionResult.Invalid_Source_CID);
    for (const ch of this.channels.values()) {
      if (ch instanceof L2capChannel && ch.remoteCid === c.sourceCid) return answer(LeCreditConnectionResult.Source_CID_Already_Allocated);
    }
    if (c.mtu < LE_MIN_MTU || c.mps < LE_MIN_MPS || c.mps > LE_MAX_MPS) return answer(LeCreditConnectionResult.Unacceptable_Parameters);
    if (server.options.requireEncryption && !this.encrypted) return answer(LeCreditConnectionResult.Insufficient_Authentication);
    let localCid: number;
    try {
      localCid = this.allocCid();
    } catch {
      return answer(LeCreditConnectionResult.No_Resources_Available);
    }
    const mtu = server.options.mtu ?? 2048;
    const mps = server.options.mps ?? 247;
    const credits = server.options.initialCredits ?? 16;
    const ch = new L2capChannel(
      { psm: c.spsm, localCid, remoteCid: c.sourceCid, localMtu: mtu, remoteMtu: c.mtu, localMps: mps, remoteMps: c.mps, txCredits: c.initialCredits, rxCredits: credits },
      this.io,
    );
    this.channels.set(localCid, ch);
    answer(LeCreditConnectionResult.Connection_Successful, localCid, mtu, mps, credits);
    this.emit('channel', ch);
    server.onChannel(ch, this);
  }

  // ---- input from the host ----

  /** @internal an ACL packet for this handle */
  receiveAcl(pb: number, data: Buffer): void {
    let pdu: Buffer | undefined;
    try {
      pdu = this.reassembler.push(pb, data);
    } catch (e) {
      debug('ACL reassembly on 0x%s: %s', this.handle.toString(16), (e as Error).message);
      return;
    }
    if (!pdu) return;
    const { cid, payload } = decodeL2capPdu(pdu);
    if (cid === FixedCid.LE_Signaling) return this.onSignaling(payload);
    const fixed = this.fixed.get(cid);
    if (fixed) return fixed(payload);
    const ch = this.channels.get(cid);
    if (ch instanceof L2capChannel) return ch.receiveFrame(payload);
    this.onUnhandledFixed(cid, payload);
  }

  private onUnhandledFixed(cid: number, payload: Buffer): void {
    if (cid === FixedCid.ATT && payload.length > 0) {
      const op = payload[0];
      // Requests (not commands, responses, notifications, indications, confirmations) get an
      // Error Response "Request Not Supported" so a peer's GATT client does not wait 30 s.
      const isRequest = (op & 0x40) === 0 && [0x02, 0x04, 0x06, 0x08, 0x0a, 0x0c, 0x0e, 0x10, 0x12, 0x16, 0x18, 0x20].includes(op);
      if (isRequest) {
        if (op === 0x02) {
          // Exchange MTU: answer with the default so the peer proceeds.
          void this.sendFixed(cid, Buffer.from([0x03, 23, 0])).catch(() => {});
        } else {
          void this.sendFixed(cid, Buffer.from([0x01, op, 0x00, 0x00, 0x06])).catch(() => {});
        }
      }
    } else if (cid === FixedCid.SMP && payload.length > 0 && payload[0] !== 0x05) {
      // Pairing Failed: Pairing Not Supported (nobody registered an SMP handler).
      void this.sendFixed(cid, Buffer.from([0x05, 0x05])).catch(() => {});
    } else {
      debug('dropped PDU for CID 0x%s', cid.toString(16));
    }
  }

  /** @internal */
  onEncryptionChange(status: number, encrypted: boolean, refresh: boolean): void {
    if (status === 0) this.encrypted = encrypted;
    if (refresh) this.emit('keyRefresh', { status });
    else this.emit('encryptionChange', { status, encrypted: status === 0 && encrypted });
    const w = this.encryptionWaiter;
    this.encryptionWaiter = undefined;
    if (!w) return;
    if (status !== 0) {
      w.reject(new HciError('COMMAND_FAILED', `encryption failed: ${statusName(status)} (0x${status.toString(16).padStart(2, '0')})`, { status }));
    } else if (!refresh && !encrypted) {
      w.reject(new HciError('COMMAND_FAILED', 'controller reports encryption off'));
    } else w.resolve(true);
  }

  /** @internal */
  onLtkRequest(rand: Buffer, ediv: number): void {
    if (this.listenerCount('ltkRequest') === 0) {
      void this.ltkNegativeReply().catch((e: Error) => debug('LTK negative reply: %s', e.message));
      return;
    }
    this.emit('ltkRequest', { rand, ediv });
  }

  /** @internal */
  onDisconnected(reason: number): void {
    if (this.disconnectReason !== undefined) return;
    this.disconnectReason = reason;
    const err = this.disconnectedError();
    this.encryptionWaiter?.reject(err);
    this.encryptionWaiter = undefined;
    for (const p of [...this.pendingSig.values()]) p.reject(err);
    for (const ch of this.channels.values()) if (ch instanceof L2capChannel) ch.ended(err);
    this.channels.clear();
    this.emit('disconnect', reason);
  }

  private disconnectedError(): HciError {
    const r = this.disconnectReason;
    return new HciError('DISCONNECTED', r === undefined ? 'not connected' : `disconnected: ${statusName(r)} (0x${r.toString(16).padStart(2, '0')})`, {
      status: r,
    });
  }
}

function validateChannelOptions(mtu: number, mps: number, credits: number): void {
  if (mtu < LE_MIN_MTU || mtu > 0xffff) throw new HciError('INVALID_PARAMETER', `MTU ${mtu} outside 23..65535`);
  if (mps < LE_MIN_MPS || mps > LE_MAX_MPS) throw new HciError('INVALID_PARAMETER', `MPS ${mps} outside 23..65533`);
  if (credits < 1 || credits > 0xffff) throw new HciError('INVALID_PARAMETER', `credits ${credits} outside 1..65535`);
}

