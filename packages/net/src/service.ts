import { EventEmitter } from 'node:events';
import type { Connection, Stream } from '@libp2p/interface';
import {
  PairingCode,
  PairingProtocolError,
  PairingProtocolHandler,
  type PairingConversation,
  type HandlerEvent,
  type PairingResult,
  type PairingSession
} from '@pairkit/pairing';
import type { PairedDevice } from '@pairkit/registry';
import createDebug from 'debug';
import { ConversationRunner } from './runner.js';
import { peerIdFromString } from '@libp2p/peer-id';
import { NetError, abortError } from './errors.js';
import type { PairkitLibp2p } from './node.js';
import { announceSession, rendezvousCid, sleep } from './rendezvous.js';
import { discoverCandidates, type Candidate, type CandidateSource } from './discovery.js';
import type { DeviceStore } from './store.js';

const log = createDebug('pairkit:net:pairing');

export const PAIR_PROTOCOL = '/pairkit/pair/1.0.0';
/** Tries to reach one candidate (it may rate-limit us or still be starting) before giving up on it. */
const DIAL_ATTEMPTS = 20;

/** A paired device, with the verification string both sides can compare. */
export type PairedOutcome = PairedDevice & { verification: string };

export interface PairingServiceEvents {
  /** initiate(): the code to show (never logged by us). */
  code: [{ words: string; expiresAt: number }];
  /** join(): rendezvous started. */
  discovering: [{ mdns: boolean; dht: boolean }];
  /** join(): a peer that may be the initiator. */
  candidate: [{ peerId: string; source: CandidateSource }];
  /** A pairing conversation with a peer is running. */
  verifying: [{ peerId: string; role: 'initiator' | 'joiner' }];
  paired: [PairedOutcome];
  /** One conversation failed (a bogus joiner, an unknown session...); not necessarily the whole pairing. */
  failed: [{ peerId?: string; code: string; message: string; role: 'initiator' | 'joiner' }];
}

export interface PairingServiceOptions {
  node: PairkitLibp2p;
  registry: DeviceStore;
  /** Per-read timeout inside one conversation (default 10 s). */
  readTimeoutMs?: number;
  /** Conversations run at once per join (default 8). */
  joinConcurrency?: number;
  /** Inbound pairing streams at once (default 128). */
  maxInboundStreams?: number;
}

export interface InitiateOptions {
  /** Code lifetime (default 5 minutes). */
  ttlMs?: number;
  signal?: AbortSignal;
  /** Announce a DHT provider record (default true). */
  dht?: boolean;
}

export interface JoinOptions {
  signal?: AbortSignal;
  /** Overall time limit (default 2 minutes). */
  timeoutMs?: number;
  /** Use mDNS (default: when the node has it). */
  mdns?: boolean;
  /** Use the DHT (default true). */
  dht?: boolean;
  /** Dial these peers first (e.g. addresses handed over out of band). */
  peers?: Candidate['peer'][];
}

interface InitiatorEntry {
  session: PairingSession;
  resolve: (d: PairedOutcome) => void;
  reject: (e: Error) => void;
  done: boolean;
}

/**
 * Network pairing on a libp2p node: the sans-IO PairingProtocolHandler bound to
 * `/pairkit/pair/1.0.0` streams, rendezvous by mDNS and the DHT, commits to the registry.
 */
export class PairingService extends EventEmitter<PairingServiceEvents> {
  readonly node: PairkitLibp2p;
  readonly handler: PairingProtocolHandler;
  readonly #store: DeviceStore;
  readonly #runners = new Map<PairingConversation, ConversationRunner>();
  readonly #initiators = new Map<string, InitiatorEntry>();
  readonly #joinConcurrency: number;
  readonly #maxInbound: number;
  #ticker: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;

  constructor(opts: PairingServiceOptions) {
    super();
    this.node = opts.node;
    this.#store = opts.registry;
    this.#joinConcurrency = opts.joinConcurrency ?? 8;
    this.#maxInbound = opts.maxInboundStreams ?? 128;
    const id = opts.registry.identity();
    if (id.peerId !== opts.node.peerId.toString()) {
      throw new NetError('BAD_IDENTITY', 'the node does not run with the registry identity');
    }
    this.handler = new PairingProtocolHandler({
      local: {
        deviceId: id.deviceId,
        peerId: id.peerId,
        publicKey: id.publicKey,
        privateKey: id.privateKey,
        info: { name: id.name, os: id.os, appVersion: id.appVersion }
      },
      readTimeoutMs: opts.readTimeoutMs
    });
  }

  /** Registers the pairing protocol and starts the clock that expires sessions and silent peers. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.node.handle(PAIR_PROTOCOL, (stream, connection) => this.#onInbound(stream, connection), {
      maxInboundStreams: this.#maxInbound,
      // Pairing is a few small frames: it may run over a (data- and time-limited) relayed connection.
      runOnLimitedConnection: true
    });
    this.#ticker = setInterval(() => this.#tick(), 250);
    this.#ticker.unref();
  }

  /** Starts a session: shows a code, announces the rendezvous, resolves when a joiner paired. */
  initiate(opts: InitiateOptions = {}): { code: string; expiresAt: number; result: Promise<PairedOutcome> } {
    this.#checkRunning();
    if (opts.signal?.aborted === true) throw abortError(opts.signal, 'initiate');
    const session = this.handler.createInitiatorSession({ now: Date.now(), ttlMs: opts.ttlMs });
    const words = session.code.toString();
    let entry!: InitiatorEntry;
    const result = new Promise<PairedOutcome>((resolve, reject) => {
      entry = { session, resolve, reject, done: false };
    });
    result.catch(() => {});
    this.#initiators.set(session.id, entry);

    const stopAnnounce = new AbortController();
    if (opts.dht !== false) {
      void rendezvousCid(session.sessionId).then((cid) => announceSession(this.node, cid, { signal: stopAnnounce.signal }));
    }
    const onAbort = (): void => {
      this.#applyEvents(this.handler.cancelSession(session.id, Date.now()));
      this.#settleInitiator(entry, undefined, abortError(opts.signal, 'initiate'));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    void result
      .finally(() => {
        stopAnnounce.abort();
        opts.signal?.removeEventListener('abort', onAbort);
        this.#initiators.delete(session.id);
      })
      .catch(() => {});
    this.emit('code', { words, expiresAt: session.expiresAt });
    return { code: words, expiresAt: session.expiresAt, result };
  }

  /**
   * Joins with the 12 words: finds the initiator (mDNS and DHT raced), talks to each candidate
   * until one proves the code; the first authenticated success wins, the rest is aborted.
   */
  async join(words: string, opts: JoinOptions = {}): Promise<PairedOutcome> {
    this.#checkRunning();
    const code = PairingCode.parse(words);
    // Typed again (shell history, a second click): say so now instead of searching until the timeout.
    const used = this.#store.usedCode?.(code.sessionId);
    if (used !== undefined) {
      throw new NetError(
        'CODE_USED',
        `this code already paired this device with ${JSON.stringify(used.deviceName)} on ${new Date(used.usedAt).toISOString()}; a code pairs once: ask for a new one`,
      );
    }
    const stop = new AbortController();
    const signals = [stop.signal, AbortSignal.timeout(opts.timeoutMs ?? 120_000)];
    if (opts.signal) signals.push(opts.signal);
    const signal = AbortSignal.any(signals);
    const useMdns = opts.mdns !== false && this.node.services.mdns != null;
    const useDht = opts.dht !== false;
    this.emit('discovering', { mdns: useMdns, dht: useDht });

    const runners = new Set<ConversationRunner>();
    let winner: PairedOutcome | undefined;
    let lastError: Error | undefined;
    let active = 0;
    const slots: (() => void)[] = [];
    const acquire = async (): Promise<void> => {
      while (active >= this.#joinConcurrency) await new Promise<void>((r) => slots.push(r));
      active++;
    };
    const release = (): void => {
      active--;
      slots.shift()?.();
    };

    const tried = new Set<string>();
    const attempt = async (c: Candidate): Promise<void> => {
      // A direct peer may also turn up through mDNS or the DHT: one conversation per peer.
      if (tried.has(c.peer.id.toString())) return;
      tried.add(c.peer.id.toString());
      await acquire();
      try {
        if (signal.aborted || winner) return;
        const peerId = c.peer.id.toString();
        this.emit('candidate', { peerId, source: c.source });
        const out = await this.#tryCandidateWithRetry(code, c, signal, runners);
        if (!winner) {
          winner = out;
          stop.abort(new NetError('ABORTED', 'another candidate won'));
        }
      } catch (err) {
        if (!signal.aborted) {
          lastError = err as Error;
          const e = err as { code?: unknown; message: string };
          this.emit('failed', { peerId: c.peer.id.toString(), code: String(e.code ?? 'ERROR'), message: e.message, role: 'joiner' });
        }
      } finally {
        release();
      }
    };

    const tasks: Promise<void>[] = [];
    for (const p of opts.peers ?? []) tasks.push(attempt({ peer: p, source: 'direct' }));
    const candidates = useMdns || useDht ? discoverCandidates(this.node, code.sessionId, { signal, mdns: useMdns, dht: useDht }) : undefined;
    if (candidates) {
      for await (const c of candidates) {
        if (winner) break;
        tasks.push(attempt(c));
      }
    } else {
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    }
    await Promise.allSettled(tasks);
    for (const r of runners) r.abort(new NetError('ABORTED', 'join ended'));
    if (winner) return winner;
    if (opts.signal?.aborted === true) throw abortError(opts.signal, 'join');
    if (signal.aborted) {
      throw new NetError('TIMEOUT', `no initiator proved the code in time${lastError ? ` (last: ${lastError.message})` : ''}`, { cause: lastError });
    }
    throw lastError ?? new NetError('NO_CANDIDATES', 'no initiator found');
  }

  /** Stops accepting, cancels sessions and conversations. The node stays up (the caller owns it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ticker) clearInterval(this.#ticker);
    this.#applyEvents(this.handler.close(Date.now()));
    for (const e of this.#initiators.values()) this.#settleInitiator(e, undefined, new NetError('CLOSED', 'pairing service closed'));
    for (const r of this.#runners.values()) r.abort(new NetError('CLOSED', 'pairing service closed'));
    if (this.#started) await this.node.unhandle(PAIR_PROTOCOL).catch(() => {});
  }

  /** Open conversations (both roles), for status and benchmarks. */
  get openConversations(): number {
    return this.#runners.size;
  }

  /** Dial failures (rate limits, a node still starting) are retried; protocol failures are final. */
  async #tryCandidateWithRetry(code: PairingCode, c: Candidate, signal: AbortSignal, runners: Set<ConversationRunner>): Promise<PairedOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#tryCandidate(code, c, signal, runners);
      } catch (err) {
        if (err instanceof PairingProtocolError || signal.aborted || attempt >= DIAL_ATTEMPTS) throw err;
        log('dial %s failed (attempt %d): %s', c.peer.id.toString(), attempt, (err as Error).message);
        await sleep(Math.min(250 * attempt, 2_000) * (0.5 + Math.random()), signal);
      }
    }
  }

  async #tryCandidate(code: PairingCode, c: Candidate, signal: AbortSignal, runners: Set<ConversationRunner>): Promise<PairedOutcome> {
    const dialSignal = AbortSignal.any([signal, AbortSignal.timeout(15_000)]);
    const id = c.peer.id.toString();
    const addrs = c.peer.multiaddrs.map((a) => (a.getComponents().some((x) => x.name === 'p2p') ? a : a.encapsulate(`/p2p/${id}`)));
    const conn = await this.node.dial(addrs.length > 0 ? addrs : c.peer.id, { signal: dialSignal });
    const stream = await conn.newStream(PAIR_PROTOCOL, { signal: dialSignal, runOnLimitedConnection: true });
    const conv = this.handler.startJoiner({ code, ...remoteOf(conn), now: Date.now() });
    this.emit('verifying', { peerId: conn.remotePeer.toString(), role: 'joiner' });
    const runner = this.#track(conv, stream, conn);
    runners.add(runner);
    const onAbort = (): void => runner.abort(abortError(signal, 'join'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const out = await runner.run();
      return this.#paired(out.result, out.device);
    } finally {
      signal.removeEventListener('abort', onAbort);
      runners.delete(runner);
    }
  }

  #onInbound(stream: Stream, connection: Connection): void {
    if (this.#closed) {
      stream.abort(new Error('closed'));
      return;
    }
    const conv = this.handler.acceptInbound({ ...remoteOf(connection), now: Date.now() });
    const runner = this.#track(conv, stream, connection);
    this.emit('verifying', { peerId: connection.remotePeer.toString(), role: 'initiator' });
    runner.run().then(
      (out) => {
        const entry = this.#entryFor(conv);
        const paired = this.#paired(out.result, out.device);
        if (entry) this.#settleInitiator(entry, paired);
        void this.#recordListenAddresses(out.device);
      },
      (err: Error & { code?: string }) => {
        this.emit('failed', { peerId: connection.remotePeer.toString(), code: String(err.code ?? 'ERROR'), message: err.message, role: 'initiator' });
        // A failed proof ends the session (DESIGN 5): the initiator learns it here.
        const session = conv.session;
        const entry = this.#entryFor(conv);
        if (session && entry && !session.open && session.state !== 'completed') {
          const code = session.failure ?? (session.state === 'expired' ? 'EXPIRED' : 'CLOSED');
          this.#settleInitiator(entry, undefined, new PairingProtocolError(code, `pairing session ended: ${code}`));
        }
      }
    );
  }

  #track(conv: PairingConversation, stream: Stream, connection: Connection): ConversationRunner {
    const runner = new ConversationRunner(conv, stream, connection, { commit: (r, c) => this.#commit(r, c) });
    this.#runners.set(conv, runner);
    runner.done.finally(() => this.#runners.delete(conv)).catch(() => {});
    return runner;
  }

  /** The one registry write of a pairing: device, key, addresses and session keys together. */
  #commit(result: PairingResult, connection: Connection): PairedDevice {
    return this.#store.savePairing({
      peerId: result.peer.peerId,
      publicKey: result.peer.publicKey,
      name: result.peer.info.name,
      os: result.peer.info.os,
      appVersion: result.peer.info.appVersion,
      method: 'network',
      addresses: this.#addressesOf(connection),
      sessionKeys: { tx: result.sessionKeys.tx, rx: result.sessionKeys.rx },
      codeSessionId: result.sessionId
    });
  }

  #addressesOf(connection: Connection): string[] {
    // Outbound: the address we dialed is where the peer listens. Inbound: the remote port is
    // ephemeral; the listen addresses identify reported are recorded after the commit.
    return connection.direction === 'outbound' ? [connection.remoteAddr.toString()] : [];
  }

  async #recordListenAddresses(device: PairedDevice): Promise<void> {
    try {
      const p = await this.node.peerStore.get(peerIdFromString(device.peerId));
      const addrs = p.addresses.map((a) => a.multiaddr.toString());
      if (addrs.length > 0) this.#store.touch(device.deviceId, { addresses: addrs, lastSeenAt: Date.now() });
    } catch (err) {
      log('no listen addresses for %s: %s', device.deviceId, (err as Error).message);
    }
  }

  #paired(result: PairingResult, device: PairedDevice): PairedOutcome {
    const out: PairedOutcome = { ...device, verification: result.verification };
    this.emit('paired', out);
    return out;
  }

  #entryFor(conv: PairingConversation): InitiatorEntry | undefined {
    const s = conv.session;
    return s ? this.#initiators.get(s.id) : undefined;
  }

  #settleInitiator(entry: InitiatorEntry, value?: PairedOutcome, error?: Error): void {
    if (entry.done) return;
    entry.done = true;
    if (value) entry.resolve(value);
    else entry.reject(error ?? new NetError('CLOSED', 'pairing ended'));
  }

  #tick(): void {
    this.#applyEvents(this.handler.tick(Date.now()));
  }

  #applyEvents(events: HandlerEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'conversation') {
        this.#runners.get(ev.conversation)?.apply(ev.actions);
      } else if (ev.type === 'session-expired') {
        const entry = this.#initiators.get(ev.session.id);
        if (entry) this.#settleInitiator(entry, undefined, new PairingProtocolError('EXPIRED', 'the pairing code expired before a device joined'));
      }
    }
  }

  #checkRunning(): void {
    if (this.#closed) throw new NetError('CLOSED', 'pairing service closed');
    if (!this.#started) throw new NetError('NOT_STARTED', 'call start() first');
  }
}

function remoteOf(conn: Connection): { remotePeerId: string; remotePublicKey: Uint8Array } {
  const key = conn.remotePeer.publicKey;
  return {
    remotePeerId: conn.remotePeer.toString(),
    remotePublicKey: key?.type === 'Ed25519' ? key.raw : new Uint8Array(0)
  };
}
