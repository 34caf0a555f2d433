import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import { HciStatus, statusName } from '../constants.js';
import { HciError } from '../errors.js';
import type { CommandName, CommandParams } from '../codec/commands.js';
import { L2capReassembler } from '../l2cap/reassembler.js';
import { decodeL2capPdu, encodeL2capPdu } from '../l2cap/pdu.js';
import { FixedCid } from '../l2cap/constants.js';
import type { L2capChannel } from '../l2cap/channel.js';
import { LeSignaling, type ChannelOptions, type ConnectionParameters, type PsmServer } from '../l2cap/le-signaling.js';

export type { ChannelOptions, ConnectionParameters, PsmServer };

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

/** What a connection needs from its host. */
export interface ConnectionHost {
  command<N extends CommandName>(name: N, params: CommandParams<N>, opts?: { signal?: AbortSignal }): Promise<unknown>;
  sendAcl(handle: number, pdu: Buffer): Promise<void>;
  psmServer(psm: number): PsmServer | undefined;
}

type FixedHandler = (payload: Buffer) => void;

/** One LE ACL link: L2CAP fixed channels, LE signaling, credit-based channels, encryption. */
export class HciConnection extends EventEmitter<ConnectionEvents> {
  readonly handle: number;
  readonly info: ConnectionInfo;
  encrypted = false;
  private disconnectReason: number | undefined;
  private readonly reassembler = new L2capReassembler();
  private readonly fixed = new Map<number, FixedHandler>();
  /** PDUs for fixed channels with no handler yet, kept until the next macrotask (see onUnhandledFixed). */
  private unclaimed: { cid: number; payload: Buffer }[] = [];
  private unclaimedTimer: NodeJS.Immediate | undefined;
  private encryptionWaiter: { resolve: (v: boolean) => void; reject: (e: HciError) => void } | undefined;
  private disconnectWaiter: Promise<number> | undefined;
  private readonly signaling: LeSignaling;

  constructor(
    info: ConnectionInfo,
    private readonly host: ConnectionHost,
  ) {
    super();
    this.info = info;
    this.handle = info.handle;
    this.signaling = new LeSignaling({
      handle: this.handle,
      role: info.role,
      isConnected: () => this.connected,
      isEncrypted: () => this.encrypted,
      command: (name, params, opts) => this.host.command(name, params, opts),
      sendAcl: (pdu) => this.host.sendAcl(this.handle, pdu),
      sendFixed: (cid, payload) => this.sendFixed(cid, payload),
      psmServer: (psm) => this.host.psmServer(psm),
      onChannel: (ch, server) => {
        this.emit('channel', ch);
        server.onChannel(ch, this);
      },
      disconnectedError: () => this.disconnectedError(),
    });
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
    // PDUs that arrived before the handler (in the same read as the connection event) go first.
    const early = this.unclaimed.filter((u) => u.cid === cid);
    if (early.length > 0) {
      this.unclaimed = this.unclaimed.filter((u) => u.cid !== cid);
      for (const u of early) handler(u.payload);
    }
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
    if (!signal) {
      await done;
      return;
    }
    // Stop waiting on abort; the controller finishes the procedure and still reports it
    // through the encryptionChange event.
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new HciError('ABORTED', 'waiting for encryption aborted', { cause: signal.reason }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      done.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => {});
    });
    await Promise.race([done, aborted]);
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
    try {
      await this.host.command('HCI_Disconnect', { connectionHandle: this.handle, reason });
    } catch (e) {
      // The peer may have dropped the link while our command was on its way.
      if (!this.connected) return this.disconnectReason!;
      throw e;
    }
    return this.disconnectWaiter;
  }

  /** Ask the controller for larger LE data packets (LE Data Length Extension); the outcome is a `dataLengthChange` event. */
  async setDataLength(txOctets: number, txTime = 2120): Promise<void> {
    await this.host.command('HCI_LE_Set_Data_Length', { connectionHandle: this.handle, txOctets, txTime });
  }

  /** RSSI of the link in dBm (HCI_Read_RSSI). */
  async readRssi(): Promise<number> {
    const r = (await this.host.command('HCI_Read_RSSI', { connectionHandle: this.handle })) as { rssi: number };
    return r.rssi;
  }

  /** Peripheral: ask the central for new parameters over LE signaling; true if accepted. */
  requestConnectionParameterUpdate(p: ConnectionParameters, signal?: AbortSignal): Promise<boolean> {
    return this.signaling.requestParameterUpdate(p, signal);
  }

  // ---- credit-based channels ----

  /** Open an LE credit-based channel to the peer's SPSM. */
  openChannel(psm: number, opts: ChannelOptions = {}): Promise<L2capChannel> {
    return this.signaling.openChannel(psm, opts);
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
    if (cid === FixedCid.LE_Signaling) return this.signaling.receive(payload);
    const fixed = this.fixed.get(cid);
    if (fixed) return fixed(payload);
    if (this.signaling.receiveFrame(cid, payload)) return;
    // A peer may speak first (a Security Request right after connecting) in the same read as the
    // connection event, before the app that awaited connect() attached its handler: hold the PDU
    // until the next macrotask, then answer for the absent handler.
    if (this.unclaimed.length >= 64) return this.onUnhandledFixed(cid, payload); // a flood gets no grace
    this.unclaimed.push({ cid, payload });
    this.unclaimedTimer ??= setImmediate(() => {
      this.unclaimedTimer = undefined;
      const left = this.unclaimed;
      this.unclaimed = [];
      if (!this.connected) return;
      for (const u of left) {
        const handler = this.fixed.get(u.cid);
        if (handler) handler(u.payload);
        else this.onUnhandledFixed(u.cid, u.payload);
      }
    });
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
    this.signaling.linkLost(err);
    this.emit('disconnect', reason);
  }

  private disconnectedError(): HciError {
    const r = this.disconnectReason;
    return new HciError('DISCONNECTED', r === undefined ? 'not connected' : `disconnected: ${statusName(r)} (0x${r.toString(16).padStart(2, '0')})`, {
      status: r,
    });
  }
}

