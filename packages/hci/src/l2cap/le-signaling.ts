import createDebug from 'debug';
import { HciError } from '../errors.js';
import type { CommandName, CommandParams } from '../codec/commands.js';
import { decodeSignaling, encodeL2capPdu, encodeSignaling, type SignalingCommand } from './pdu.js';
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
} from './constants.js';
import { L2capChannel, type ChannelIo } from './channel.js';
import type { HciConnection } from '../host/connection.js';

const debug = createDebug('pairkit:hci:l2cap');

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

/** What LE signaling needs from its connection. */
export interface SignalingLink {
  readonly handle: number;
  readonly role: 'central' | 'peripheral';
  isConnected(): boolean;
  isEncrypted(): boolean;
  command<N extends CommandName>(name: N, params: CommandParams<N>, opts?: { signal?: AbortSignal }): Promise<unknown>;
  sendAcl(pdu: Buffer): Promise<void>;
  sendFixed(cid: number, payload: Uint8Array): Promise<void>;
  psmServer(psm: number): PsmServer | undefined;
  /** A peer opened a channel to one of our PSMs. */
  onChannel(ch: L2capChannel, server: PsmServer): void;
  disconnectedError(): HciError;
}

export interface ConnectionParameters {
  intervalMin: number;
  intervalMax: number;
  latency: number;
  timeout: number;
}

interface PendingSig {
  code: number;
  resolve: (c: SignalingCommand) => void;
  reject: (e: HciError) => void;
  timer: NodeJS.Timeout;
}

const SIGNALING_TIMEOUT_MS = 30_000; // RTX upper bound (Core Vol 3 Part A §6.2.1)

/**
 * The LE signaling channel (CID 0x0005) of one connection and the credit-based channels it
 * sets up: our requests (identifiers, timeouts) and answers to the peer's requests.
 */
export class LeSignaling {
  private readonly channels = new Map<number, L2capChannel>();
  /** CIDs of our own connection requests still waiting for an answer. */
  private readonly reserved = new Set<number>();
  private readonly pendingSig = new Map<number, PendingSig>();
  private nextIdentifier = 1;
  private readonly io: ChannelIo;

  constructor(private readonly link: SignalingLink) {
    this.io = {
      sendFrame: (cid, payload) => this.link.sendAcl(encodeL2capPdu(cid, payload)),
      sendCredits: (cid, credits) => {
        void this.sendSignaling({ code: 0x16, identifier: this.allocIdentifier(), cid, credits }).catch(() => {});
      },
      disconnect: (ch) => this.disconnectChannel(ch),
    };
  }

  /** Peripheral: ask the central for new parameters over LE signaling; true if accepted. */
  async requestParameterUpdate(p: ConnectionParameters, signal?: AbortSignal): Promise<boolean> {
    const rsp = await this.request(
      { code: 0x12, identifier: this.allocIdentifier(), intervalMin: p.intervalMin, intervalMax: p.intervalMax, latency: p.latency, timeout: p.timeout },
      SignalingCode.L2CAP_CONNECTION_PARAMETER_UPDATE_RSP,
      signal,
    );
    return rsp.code === 0x13 && (rsp as Extract<SignalingCommand, { code: 0x13 }>).result === ConnectionParameterUpdateResult.Accepted;
  }

  /** Open an LE credit-based channel to the peer's SPSM. */
  async openChannel(psm: number, opts: ChannelOptions = {}): Promise<L2capChannel> {
    const mtu = opts.mtu ?? 2048;
    const mps = opts.mps ?? 247;
    const credits = opts.initialCredits ?? 16;
    validateChannelOptions(mtu, mps, credits);
    const localCid = this.allocCid();
    this.reserved.add(localCid);
    // The channel is registered inside the response handler, synchronously: a K-frame the peer
    // sends right after its response may be dispatched before an awaiting caller resumes.
    let ch: L2capChannel | undefined;
    const register = (c: SignalingCommand): void => {
      if (c.code !== 0x15) throw new HciError('L2CAP_PROTOCOL', 'unexpected answer');
      const rsp = c as Extract<SignalingCommand, { code: 0x15 }>;
      if (rsp.result !== LeCreditConnectionResult.Connection_Successful) {
        throw new HciError('L2CAP_REFUSED', `LE credit-based connection to PSM 0x${psm.toString(16)} refused: ${leCreditResultName(rsp.result)}`, {
          status: rsp.result,
        });
      }
      if (rsp.mtu < LE_MIN_MTU || rsp.mps < LE_MIN_MPS || rsp.mps > LE_MAX_MPS || rsp.destinationCid < LE_DYNAMIC_CID_FIRST) {
        throw new HciError('L2CAP_PROTOCOL', `peer answered with invalid channel parameters`);
      }
      ch = new L2capChannel(
        { psm, localCid, remoteCid: rsp.destinationCid, localMtu: mtu, remoteMtu: rsp.mtu, localMps: mps, remoteMps: rsp.mps, txCredits: rsp.initialCredits, rxCredits: credits },
        this.io,
      );
      this.channels.set(localCid, ch);
    };
    try {
      await this.request(
        { code: 0x14, identifier: this.allocIdentifier(), spsm: psm, sourceCid: localCid, mtu, mps, initialCredits: credits },
        SignalingCode.L2CAP_LE_CREDIT_BASED_CONNECTION_RSP,
        opts.signal,
        opts.timeoutMs,
        register,
      );
      if (!ch) throw new HciError('L2CAP_PROTOCOL', 'unexpected answer');
      return ch;
    } finally {
      this.reserved.delete(localCid);
    }
  }

  private allocCid(): number {
    for (let cid = LE_DYNAMIC_CID_FIRST; cid <= LE_DYNAMIC_CID_LAST; cid++) {
      if (!this.channels.has(cid) && !this.reserved.has(cid)) return cid;
    }
    throw new HciError('L2CAP_REFUSED', 'no free L2CAP channel identifiers');
  }

  private allocIdentifier(): number {
    const id = this.nextIdentifier;
    this.nextIdentifier = (this.nextIdentifier % 255) + 1; // 0 is never a valid identifier
    return id;
  }

  private async disconnectChannel(ch: L2capChannel): Promise<void> {
    if (!this.link.isConnected() || this.channels.get(ch.localCid) !== ch) return;
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

  private sendSignaling(c: Exclude<SignalingCommand, { unknown: true }>): Promise<void> {
    return this.link.sendFixed(FixedCid.LE_Signaling, encodeSignaling(c));
  }

  private request(
    c: Exclude<SignalingCommand, { unknown: true }>,
    rspCode: number,
    signal?: AbortSignal,
    timeoutMs = SIGNALING_TIMEOUT_MS,
    onAnswer?: (c: SignalingCommand) => void,
  ): Promise<SignalingCommand> {
    if (!this.link.isConnected()) return Promise.reject(this.link.disconnectedError());
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
          try {
            onAnswer?.(v); // runs in the receive path, before later PDUs are dispatched
          } catch (e) {
            reject(e as HciError);
            return;
          }
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

  /** One C-frame from the peer on the LE signaling channel. */
  receive(payload: Buffer): void {
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
        if (!ch || ch.remoteCid !== c.sourceCid) {
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
          if (ch.remoteCid === c.cid) ch.addCredits(c.credits);
        }
        return;
      }
    }
  }

  private onParameterUpdateRequest(c: Extract<SignalingCommand, { code: 0x12 }>): void {
    if (this.link.role !== 'central') {
      this.reject(c.identifier, CommandRejectReason.Command_Not_Understood);
      return;
    }
    const ok =
      c.intervalMin >= 6 && c.intervalMax <= 3200 && c.intervalMin <= c.intervalMax && c.latency <= 499 &&
      c.timeout >= 10 && c.timeout <= 3200 && c.timeout * 4 > (1 + c.latency) * c.intervalMax; // units: 10 ms vs 1.25 ms*2
    void this.sendSignaling({ code: 0x13, identifier: c.identifier, result: ok ? 0 : 1 }).catch(() => {});
    if (ok) {
      this.link
        .command('HCI_LE_Connection_Update', {
          connectionHandle: this.link.handle,
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
    const server = this.link.psmServer(c.spsm);
    if (!server) return answer(LeCreditConnectionResult.SPSM_Not_Supported);
    if (c.sourceCid < LE_DYNAMIC_CID_FIRST || c.sourceCid > LE_DYNAMIC_CID_LAST) return answer(LeCreditConnectionResult.Invalid_Source_CID);
    for (const ch of this.channels.values()) {
      if (ch.remoteCid === c.sourceCid) return answer(LeCreditConnectionResult.Source_CID_Already_Allocated);
    }
    if (c.mtu < LE_MIN_MTU || c.mps < LE_MIN_MPS || c.mps > LE_MAX_MPS) return answer(LeCreditConnectionResult.Unacceptable_Parameters);
    if (server.options.requireEncryption && !this.link.isEncrypted()) return answer(LeCreditConnectionResult.Insufficient_Authentication);
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
    this.link.onChannel(ch, server);
  }

  /** A K-frame for a dynamic CID; false when no channel has it. */
  receiveFrame(cid: number, payload: Buffer): boolean {
    const ch = this.channels.get(cid);
    if (!ch) return false;
    ch.receiveFrame(payload);
    return true;
  }

  /** The link is gone: fail pending requests, end every channel. */
  linkLost(err: HciError): void {
    for (const p of [...this.pendingSig.values()]) p.reject(err);
    for (const ch of this.channels.values()) ch.ended(err);
    this.channels.clear();
  }
}

function validateChannelOptions(mtu: number, mps: number, credits: number): void {
  if (mtu < LE_MIN_MTU || mtu > 0xffff) throw new HciError('INVALID_PARAMETER', `MTU ${mtu} outside 23..65535`);
  if (mps < LE_MIN_MPS || mps > LE_MAX_MPS) throw new HciError('INVALID_PARAMETER', `MPS ${mps} outside 23..65533`);
  if (credits < 1 || credits > 0xffff) throw new HciError('INVALID_PARAMETER', `credits ${credits} outside 1..65535`);
}

