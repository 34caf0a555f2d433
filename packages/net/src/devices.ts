import { EventEmitter } from 'node:events';
import { peerIdFromString } from '@libp2p/peer-id';
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Connection, PeerId, PrivateKey, Stream } from '@libp2p/interface';
import createDebug from 'debug';
import { NetError, abortError, throwIfAborted } from './errors.js';
import { FrameStream } from './frames.js';
import type { PairkitLibp2p } from './node.js';
import { findAddresses } from './rendezvous.js';
import type { DeviceStore, KnownDevice } from './store.js';
import type { PendingRevocation } from '@pairkit/registry';

const log = createDebug('pairkit:net:devices');

export const CONTROL_PROTOCOL = '/pairkit/control/1.0.0';
/** Signature context of a removal notice (never sign bytes the peer chose). */
export const REMOVED_NOTICE_CONTEXT = 'pairkit/v1/control/removed';
/** A removal notice older or newer than this is ignored (replays of an old notice). */
const NOTICE_MAX_SKEW_MS = 10 * 60_000;
const STATUS_TIMEOUT_MS = 10_000;

export interface DeviceEvents {
  /** A paired device told us it removed us; we removed it too. */
  'removed-by-peer': [device: KnownDevice];
  /** An inbound channel from a peer that is not (or no longer) paired was refused. */
  refused: [peerId: string, protocol: string];
}

export type ChannelHandler = (stream: Stream, device: KnownDevice, connection: Connection) => void | Promise<void>;

/**
 * Channels between paired devices. Every channel starts with one status frame from the
 * accepting side: `{"ok":true}` or `{"ok":false,"code","message"}` before it closes, so the
 * opener gets a typed refusal instead of a silent reset.
 */
export class DeviceChannels extends EventEmitter<DeviceEvents> {
  private readonly protocols = new Set<string>();
  private closed = false;

  constructor(
    private readonly node: PairkitLibp2p,
    private readonly store: DeviceStore,
    private readonly privateKey: PrivateKey
  ) {
    super();
  }

  async start(): Promise<void> {
    await this.handle(CONTROL_PROTOCOL, (stream, device) => this.onControl(stream, device), { runOnLimitedConnection: true });
  }

  /** Dials a paired device: known addresses, then DHT peer routing, then an mDNS query. */
  async connectToDevice(deviceId: string, opts: { signal?: AbortSignal } = {}): Promise<Connection> {
    const device = this.requirePaired(deviceId);
    const conn = await this.reach(device.peerId, device.addresses, deviceId, opts.signal ?? AbortSignal.timeout(30_000));
    this.touch(device, conn);
    return conn;
  }

  /** Connects to exactly `peerId` (Noise-verified) by addresses, peer routing, then mDNS. */
  private async reach(peerIdText: string, addresses: string[], what: string, signal: AbortSignal): Promise<Connection> {
    const peer = peerIdFromString(peerIdText);
    const existing = this.node.getConnections(peer).find((c) => c.status === 'open');
    if (existing != null) return existing;
    const errors: string[] = [];

    const attempt = async (addrs: Multiaddr[], how: string): Promise<Connection | undefined> => {
      if (addrs.length === 0) return undefined;
      throwIfAborted(signal, what);
      try {
        const s = AbortSignal.any([signal, AbortSignal.timeout(10_000)]);
        const withPeer = addrs.map((a) => (a.getComponents().some((c) => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${peerIdText}`)));
        const conn = await this.node.dial(withPeer, { signal: s });
        return this.checkPeer(conn, peer);
      } catch (err) {
        if (err instanceof NetError && err.code === 'PEER_MISMATCH') throw err;
        errors.push(`${how}: ${(err as Error).message}`);
        log('dial %s via %s failed: %s', what, how, (err as Error).message);
        return undefined;
      }
    };

    const known = addresses.flatMap((a) => {
      try {
        return [multiaddr(a)];
      } catch {
        return [];
      }
    });
    let conn = await attempt(known, 'known addresses');
    if (conn == null) {
      const info = await findAddresses(this.node, peer, signal);
      conn = await attempt(info?.multiaddrs ?? [], 'peer routing');
    }
    if (conn == null) conn = await attempt(await this.findOnLan(peer, signal), 'mDNS');
    if (conn == null) {
      if (signal.aborted) throw abortError(signal, what);
      throw new NetError('UNREACHABLE', `${what} is not reachable (${errors.join('; ') || 'no addresses'})`);
    }
    return conn;
  }

  /**
   * Opens `protocol` to a paired device; the remote refuses unless it has us paired too.
   * The stream comes back with no reader attached, the bytes after the status frame first.
   * Read it with its 'message'/'end' events (or an iterator started right away): the
   * stream's own iterator never ends if it starts after the remote finished sending.
   */
  async openChannel(deviceId: string, protocol: string, opts: { signal?: AbortSignal } = {}): Promise<Stream> {
    const conn = await this.connectToDevice(deviceId, opts);
    const device = this.requirePaired(deviceId);
    this.checkPeer(conn, peerIdFromString(device.peerId));
    const stream = await conn.newStream(protocol, { signal: opts.signal });
    const frames = new FrameStream(stream, 1024);
    let status: ChannelStatus;
    try {
      status = await readStatus(frames, opts.signal);
    } catch (err) {
      stream.abort(err as Error);
      throw err;
    }
    if (status.ok !== true) {
      await stream.close().catch(() => {});
      throw new NetError('REFUSED', `${deviceId} refused ${protocol}: ${String(status.code)} ${String(status.message ?? '')}`.trim());
    }
    // Exactly the status frame was taken: bytes after it go back to the stream for the caller.
    return frames.unwrap();
  }

  /** Accepts `protocol` from paired devices only; others get a NOT_PAIRED status and a closed stream. */
  async handle(protocol: string, handler: ChannelHandler, opts: { runOnLimitedConnection?: boolean } = {}): Promise<void> {
    this.protocols.add(protocol);
    await this.node.handle(
      protocol,
      async (stream, connection) => {
        const frames = new FrameStream(stream, 1024);
        const device = this.store.findByPeerId(connection.remotePeer.toString());
        if (device == null) {
          this.emit('refused', connection.remotePeer.toString(), protocol);
          await frames.write(status(false, 'NOT_PAIRED', 'this device is not paired with you')).catch(() => {});
          await stream.close().catch(() => {});
          return;
        }
        this.touch(device, connection);
        await frames.write(status(true));
        try {
          await handler(stream, device, connection);
        } catch (err) {
          log('handler for %s failed: %s', protocol, (err as Error).message);
          stream.abort(err as Error);
        }
      },
      { runOnLimitedConnection: opts.runOnLimitedConnection === true }
    );
  }

  /**
   * Tells a removed device that we removed it (a signed notice on the control protocol).
   * The registry queues a revocation on remove(); this delivers one and marks it notified.
   */
  async notifyRemoved(revocation: PendingRevocation, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = opts.signal ?? AbortSignal.timeout(15_000);
    const conn = await this.reach(revocation.peerId, revocation.addresses, revocation.deviceId, signal);
    const stream = await conn.newStream(CONTROL_PROTOCOL, { signal, runOnLimitedConnection: true });
    const frames = new FrameStream(stream, 1024);
    const st = await readStatus(frames, signal);
    if (st.ok !== true) {
      await stream.close().catch(() => {});
      // The peer does not have us paired (any more): nothing left to tell.
      if (st.code === 'NOT_PAIRED') {
        this.store.markRevocationNotified(revocation.deviceId);
        return;
      }
      throw new NetError('REFUSED', `control refused: ${String(st.code)}`);
    }
    const at = Date.now();
    const removedAt = revocation.removedAt;
    const sig = await this.privateKey.sign(noticeBytes(this.node.peerId.toString(), revocation.peerId, at, removedAt));
    const notice = { type: 'removed', at, removedAt, sig: Buffer.from(sig).toString('base64') };
    await frames.write(new TextEncoder().encode(JSON.stringify(notice)), signal);
    const ack = await readStatus(frames, signal);
    await stream.close().catch(() => {});
    if (ack.ok !== true) throw new NetError('REFUSED', `removal notice refused: ${String(ack.code)}`);
    this.store.markRevocationNotified(revocation.deviceId);
    log('told %s it was removed', revocation.deviceId);
  }

  /** Tries once to deliver every queued revocation; returns how many were delivered. */
  async deliverRevocations(opts: { signal?: AbortSignal } = {}): Promise<number> {
    let n = 0;
    for (const r of this.store.pendingRevocations()) {
      try {
        await this.notifyRemoved(r, { signal: AbortSignal.any([AbortSignal.timeout(10_000), ...(opts.signal ? [opts.signal] : [])]) });
        n++;
      } catch (err) {
        log('revocation for %s not delivered: %s', r.deviceId, (err as Error).message);
      }
    }
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.node.unhandle([...this.protocols]).catch(() => {});
  }

  private async onControl(stream: Stream, device: KnownDevice): Promise<void> {
    const frames = new FrameStream(stream, 1024);
    let msg: { type?: unknown; at?: unknown; removedAt?: unknown; sig?: unknown };
    try {
      msg = JSON.parse(new TextDecoder().decode(await frames.read({ timeoutMs: STATUS_TIMEOUT_MS }))) as typeof msg;
    } catch (err) {
      throw new NetError('MALFORMED', 'malformed control message', { cause: err });
    }
    if (msg.type !== 'removed' || typeof msg.at !== 'number' || typeof msg.removedAt !== 'number' || typeof msg.sig !== 'string') {
      throw new NetError('MALFORMED', 'malformed control message');
    }
    if (Math.abs(Date.now() - msg.at) > NOTICE_MAX_SKEW_MS) throw new NetError('STALE', 'stale removal notice');
    const key = publicKeyFromRaw(device.publicKey);
    const signed = noticeBytes(device.peerId, this.node.peerId.toString(), msg.at, msg.removedAt);
    if (!(await key.verify(signed, Buffer.from(msg.sig, 'base64')))) {
      throw new NetError('BAD_SIGNATURE', 'removal notice signature does not verify');
    }
    if (msg.removedAt < device.pairedAt) {
      // We paired again after that removal: the notice is about an older pairing.
      await frames.write(new TextEncoder().encode('{"ok":true,"ignored":true}')).catch(() => {});
      await stream.close().catch(() => {});
      return;
    }
    // Trust is mutual: a device that dropped us can no longer open channels, so we drop it
    // too, and there is no need to tell it back.
    this.store.remove(device.deviceId);
    this.store.markRevocationNotified(device.deviceId);
    log('device %s removed us; removed it too', device.deviceId);
    await frames.write(new TextEncoder().encode('{"ok":true}')).catch(() => {});
    await stream.close().catch(() => {});
    this.emit('removed-by-peer', device);
  }

  private requirePaired(deviceId: string): KnownDevice {
    const d = this.store.get(deviceId);
    if (d == null) throw new NetError('NOT_PAIRED', `no paired device ${deviceId}`);
    return d;
  }

  private checkPeer(conn: Connection, expected: PeerId): Connection {
    if (!conn.remotePeer.equals(expected)) {
      void conn.close().catch(() => {});
      throw new NetError('PEER_MISMATCH', `connected peer ${conn.remotePeer.toString()} is not the paired ${expected.toString()}`);
    }
    return conn;
  }

  private async findOnLan(peer: PeerId, signal: AbortSignal): Promise<Multiaddr[]> {
    const m = this.node.services.mdns;
    if (m == null) return [];
    return new Promise<Multiaddr[]>((resolve) => {
      const s = AbortSignal.any([signal, AbortSignal.timeout(5_000)]);
      const done = (addrs: Multiaddr[]): void => {
        m.removeEventListener('peer', onPeer);
        s.removeEventListener('abort', onAbort);
        resolve(addrs);
      };
      const onPeer = (e: CustomEvent<{ id: PeerId; multiaddrs: Multiaddr[] }>): void => {
        if (e.detail.id.equals(peer)) done(e.detail.multiaddrs);
      };
      const onAbort = (): void => done([]);
      m.addEventListener('peer', onPeer);
      s.addEventListener('abort', onAbort, { once: true });
      void queryAgain(m);
    });
  }

  private touch(device: KnownDevice, conn: Connection): void {
    try {
      this.store.touch(device.deviceId, { addresses: [conn.remoteAddr.toString()], lastSeenAt: Date.now() });
    } catch (err) {
      log('touch failed: %s', (err as Error).message);
    }
  }
}

interface ChannelStatus {
  ok?: unknown;
  code?: unknown;
  message?: unknown;
}

async function readStatus(frames: FrameStream, signal?: AbortSignal): Promise<ChannelStatus> {
  const frame = await frames.read({ timeoutMs: STATUS_TIMEOUT_MS, signal });
  try {
    const v = JSON.parse(new TextDecoder().decode(frame)) as unknown;
    if (v === null || typeof v !== 'object') throw new Error('not an object');
    return v as ChannelStatus;
  } catch (err) {
    throw new NetError('MALFORMED', 'malformed channel status', { cause: err });
  }
}

function status(ok: boolean, code?: string, message?: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(ok ? { ok } : { ok, code, message }));
}

function noticeBytes(from: string, to: string, at: number, removedAt: number): Uint8Array {
  return new TextEncoder().encode(`${REMOVED_NOTICE_CONTEXT}\n${from}\n${to}\n${at}\n${removedAt}`);
}

async function queryAgain(m: { start(): void | Promise<void>; stop(): void | Promise<void> }): Promise<void> {
  try {
    await m.stop();
    await m.start();
  } catch (err) {
    log('mDNS restart failed: %s', (err as Error).message);
  }
}
