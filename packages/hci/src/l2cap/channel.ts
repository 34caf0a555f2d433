import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import { HciError } from '../errors.js';
import { LE_MAX_CREDITS } from './constants.js';

const debug = createDebug('pairkit:hci:l2cap');

export interface ChannelIo {
  /** Send one K-frame payload on the peer's CID; resolves once handed to the controller. */
  sendFrame(cid: number, payload: Buffer): Promise<void>;
  /** Give the peer more credits (L2CAP_FLOW_CONTROL_CREDIT_IND). */
  sendCredits(localCid: number, credits: number): void;
  /** Ask the peer to disconnect the channel; resolves when done. */
  disconnect(channel: L2capChannel): Promise<void>;
}

export interface ChannelParams {
  psm: number;
  localCid: number;
  remoteCid: number;
  /** Largest SDU we accept / the peer accepts. */
  localMtu: number;
  remoteMtu: number;
  /** Largest K-frame payload we accept / the peer accepts. */
  localMps: number;
  remoteMps: number;
  /** Credits the peer gave us, credits we gave the peer. */
  txCredits: number;
  rxCredits: number;
}

export interface ChannelEvents {
  close: [err: HciError | undefined];
}

interface TxSdu {
  frames: Buffer[];
  last?: Promise<void>;
  done: () => void;
  fail: (e: HciError) => void;
}

/**
 * One LE credit-based connection-oriented channel (Core Vol 3 Part A §10.2): SDUs are
 * segmented into K-frames of at most MPS bytes, each costing one credit. Reading is an async
 * iterator; credits go back to the peer only while unread data stays under a bound, which is
 * the receive backpressure.
 */
export class L2capChannel extends EventEmitter<ChannelEvents> {
  readonly psm: number;
  readonly localCid: number;
  readonly remoteCid: number;
  readonly mtu: number;
  readonly peerMtu: number;
  readonly mps: number;
  readonly peerMps: number;
  private txCredits: number;
  private rxCredits: number;
  private readonly initialRxCredits: number;
  private readonly txQueue: TxSdu[] = [];
  private rxSdu: Buffer[] = [];
  private rxHave = 0;
  private rxExpected = -1;
  private readonly rxQueue: Buffer[] = [];
  private rxQueuedBytes = 0;
  private readonly highWater: number;
  private returnable = 0;
  private withheld = 0;
  private readers: { resolve: (b: Buffer | null) => void; reject: (e: unknown) => void }[] = [];
  private closedWith: HciError | undefined | null = null; // null = open

  constructor(
    p: ChannelParams,
    private readonly io: ChannelIo,
  ) {
    super();
    this.psm = p.psm;
    this.localCid = p.localCid;
    this.remoteCid = p.remoteCid;
    this.mtu = p.localMtu;
    this.peerMtu = p.remoteMtu;
    this.mps = p.localMps;
    this.peerMps = p.remoteMps;
    this.txCredits = p.txCredits;
    this.rxCredits = p.rxCredits;
    this.initialRxCredits = p.rxCredits;
    this.highWater = Math.max(p.localMtu, p.rxCredits * p.localMps);
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }
  get credits(): { tx: number; rx: number } {
    return { tx: this.txCredits, rx: this.rxCredits };
  }

  /** Send one SDU (at most peerMtu bytes). Resolves when all its K-frames reached the controller. */
  write(sdu: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith ?? new HciError('CLOSED', 'channel is closed'));
    if (sdu.length > this.peerMtu) {
      return Promise.reject(new HciError('TOO_LARGE', `SDU of ${sdu.length} bytes exceeds the peer MTU ${this.peerMtu}`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const frames: Buffer[] = [];
    const first = Buffer.alloc(Math.min(sdu.length + 2, this.peerMps));
    first.writeUInt16LE(sdu.length, 0);
    first.set(sdu.subarray(0, first.length - 2), 2);
    frames.push(first);
    for (let off = first.length - 2; off < sdu.length; off += this.peerMps) {
      // Views into the caller's SDU: write() resolves only after every frame was copied into an ACL packet.
      frames.push(Buffer.from(sdu.buffer, sdu.byteOffset + off, Math.min(this.peerMps, sdu.length - off)));
    }
    return new Promise<void>((resolve, reject) => {
      const entry: TxSdu = { frames, done: resolve, fail: reject };
      const onAbort = () => {
        const i = this.txQueue.indexOf(entry);
        // Only SDUs not yet started can be withdrawn; a half-sent SDU would corrupt the stream.
        if (i > 0 || (i === 0 && entry.frames.length === frames.length && !entry.last)) {
          this.txQueue.splice(i, 1);
          reject(signal!.reason);
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      entry.done = () => {
        cleanup();
        resolve();
      };
      entry.fail = (e) => {
        cleanup();
        reject(e);
      };
      this.txQueue.push(entry);
      this.pump();
    });
  }

  private pump(): void {
    while (this.txCredits > 0 && this.txQueue.length > 0) {
      const sdu = this.txQueue[0];
      const frame = sdu.frames.shift()!;
      this.txCredits--;
      const sent = this.io.sendFrame(this.remoteCid, frame);
      sent.catch(() => {}); // failures surface through the SDU's last frame
      sdu.last = sent;
      if (sdu.frames.length === 0) {
        this.txQueue.shift();
        sdu.last.then(sdu.done, (e: unknown) => sdu.fail(e instanceof HciError ? e : new HciError('DISCONNECTED', String(e))));
      }
    }
  }

  /** @internal peer granted credits */
  addCredits(n: number): void {
    if (this.txCredits + n > LE_MAX_CREDITS) {
      // Spec: credit overflow is a protocol error; the channel must be disconnected.
      this.fail(new HciError('L2CAP_PROTOCOL', `peer credits overflow (${this.txCredits} + ${n})`), true);
      return;
    }
    this.txCredits += n;
    this.pump();
  }

  /** @internal one K-frame arrived */
  receiveFrame(payload: Buffer): void {
    if (this.closedWith !== null) return;
    if (this.rxCredits <= 0) return this.fail(new HciError('L2CAP_PROTOCOL', 'K-frame received without credits'), true);
    if (payload.length > this.mps) return this.fail(new HciError('L2CAP_PROTOCOL', `K-frame of ${payload.length} bytes exceeds MPS ${this.mps}`), true);
    this.rxCredits--;
    let data = payload;
    if (this.rxExpected < 0) {
      if (payload.length < 2) return this.fail(new HciError('L2CAP_PROTOCOL', 'first K-frame lacks the SDU length'), true);
      this.rxExpected = payload.readUInt16LE(0);
      if (this.rxExpected > this.mtu) {
        return this.fail(new HciError('L2CAP_PROTOCOL', `SDU of ${this.rxExpected} bytes exceeds our MTU ${this.mtu}`), true);
      }
      data = payload.subarray(2);
    }
    this.rxSdu.push(data);
    this.rxHave += data.length;
    if (this.rxHave > this.rxExpected) {
      return this.fail(new HciError('L2CAP_PROTOCOL', `SDU longer than its declared ${this.rxExpected} bytes`), true);
    }
    if (this.rxQueuedBytes < this.highWater) this.returnable++;
    else this.withheld++;
    if (this.rxHave === this.rxExpected) {
      const sdu = Buffer.concat(this.rxSdu);
      this.rxSdu = [];
      this.rxHave = 0;
      this.rxExpected = -1;
      const reader = this.readers.shift();
      if (reader) reader.resolve(sdu);
      else {
        this.rxQueue.push(sdu);
        this.rxQueuedBytes += sdu.length;
      }
    }
    this.maybeReturnCredits();
  }

  private maybeReturnCredits(): void {
    if (this.rxQueuedBytes < this.highWater && this.withheld > 0) {
      this.returnable += this.withheld;
      this.withheld = 0;
    }
    const threshold = Math.max(1, Math.floor(this.initialRxCredits / 2));
    if (this.returnable >= threshold || (this.returnable > 0 && this.rxCredits === 0)) {
      const n = this.returnable;
      this.returnable = 0;
      this.rxCredits += n;
      this.io.sendCredits(this.localCid, n);
    }
  }

  /** Next SDU, or null once the channel closed cleanly. */
  read(signal?: AbortSignal): Promise<Buffer | null> {
    const sdu = this.rxQueue.shift();
    if (sdu) {
      this.rxQueuedBytes -= sdu.length;
      this.maybeReturnCredits();
      return Promise.resolve(sdu);
    }
    if (this.closedWith !== null) return this.closedWith ? Promise.reject(this.closedWith) : Promise.resolve(null);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const r = { resolve, reject };
      this.readers.push(r);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.readers.indexOf(r);
          if (i >= 0) {
            this.readers.splice(i, 1);
            reject(signal.reason);
          }
        },
        { once: true },
      );
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      const sdu = await this.read();
      if (sdu === null) return;
      yield sdu;
    }
  }

  /** Disconnect the channel (L2CAP_DISCONNECTION_REQ) and wait for the answer. */
  async close(): Promise<void> {
    if (this.closedWith !== null) return;
    try {
      await this.io.disconnect(this);
    } finally {
      this.ended(undefined);
    }
  }

  private fail(err: HciError, disconnect: boolean): void {
    debug('channel 0x%s: %s', this.localCid.toString(16), err.message);
    if (disconnect) void this.io.disconnect(this).catch(() => {});
    this.ended(err);
  }

  /** @internal the channel is gone (peer disconnect, link loss, or local close) */
  ended(err: HciError | undefined): void {
    if (this.closedWith !== null) return;
    this.closedWith = err;
    for (const s of this.txQueue.splice(0)) s.fail(err ?? new HciError('CLOSED', 'channel closed'));
    for (const r of this.readers.splice(0)) {
      if (err && this.rxQueue.length === 0) r.reject(err);
      else r.resolve(null);
    }
    this.emit('close', err);
  }
}
