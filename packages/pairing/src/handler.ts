// Runs many pairing sessions and conversations at once, in both roles.
import createDebug from 'debug';
import { deviceIdFromPublicKey, peerIdFromEd25519PublicKey } from '@pairkit/registry';
import { PairingCode, defaultRandom, type RandomSource } from './code.js';
import { PairingProtocolError } from './errors.js';
import { PairingConversation, type ConversationContext } from './conversation.js';
import { deriveConfirmKeys, ed25519PublicKey, ed25519SigningKey } from './keys.js';
import { KEY_BYTES, encodeDeviceInfo, fitDeviceInfo } from './messages.js';
import { PairingSession } from './session.js';
import type { KeyIdFunction, LocalDevice, PairingAction } from './types.js';

const debug = createDebug('pairkit:pairing');

export const DEFAULT_READ_TIMEOUT_MS = 10_000;
export const DEFAULT_SESSION_TTL_MS = 300_000;
export const DEFAULT_MAX_CONVERSATIONS_PER_SESSION = 64;
export const DEFAULT_MAX_CONVERSATIONS = 1024;
export const DEFAULT_ENDED_SESSION_RETENTION_MS = 3_600_000;

export interface PairingHandlerOptions {
  local: LocalDevice;
  /** Device id of a public key. Default (and the only one to use outside tests): @pairkit/registry `deviceIdFromPublicKey`. */
  deriveDeviceId?: KeyIdFunction;
  /** libp2p peer id of an Ed25519 key; every remote peer id must match its key. Default: @pairkit/registry `peerIdFromEd25519PublicKey`. */
  derivePeerId?: KeyIdFunction;
  random?: RandomSource;
  /** Longest wait for each message from the peer. */
  readTimeoutMs?: number;
  /** Conversations one session talks to at once (others get BUSY). */
  maxConversationsPerSession?: number;
  /** Open conversations in total, both roles (others get BUSY). */
  maxConversations?: number;
  /** How long an ended session is remembered, so its code answers CONSUMED/EXPIRED instead of UNKNOWN_SESSION. */
  endedSessionRetentionMs?: number;
}

export interface CreateSessionOptions {
  now: number;
  ttlMs?: number;
  /** Use this code instead of a fresh one (e.g. one handed over out of band). */
  code?: PairingCode;
}

export interface RemotePeer {
  /** Peer id as authenticated by the secure channel (libp2p Noise). */
  remotePeerId: string;
  /** Ed25519 public key (32 bytes) as authenticated by the secure channel. */
  remotePublicKey: Uint8Array;
  now: number;
}

export type HandlerEvent =
  | { type: 'session-expired'; session: PairingSession }
  | { type: 'session-cancelled'; session: PairingSession }
  /** Actions of a conversation that timed out or was ended by its session: the IO layer carries them out. */
  | { type: 'conversation'; conversation: PairingConversation; actions: PairingAction[] };

export class PairingProtocolHandler {
  readonly local: LocalDevice;
  readonly readTimeoutMs: number;
  readonly maxConversationsPerSession: number;
  readonly maxConversations: number;
  #random: RandomSource;
  #deriveDeviceId: KeyIdFunction;
  #derivePeerId: KeyIdFunction;
  #retentionMs: number;
  #sessions = new Map<string, PairingSession>(); // by local id
  #bySessionId = new Map<string, PairingSession>(); // by hex session id
  #conversations = new Set<PairingConversation>();
  #ctx: ConversationContext;
  #nextId = 1;
  #closed = false;

  constructor(options: PairingHandlerOptions) {
    const { local } = options;
    if (!local || !(local.publicKey instanceof Uint8Array) || local.publicKey.length !== KEY_BYTES) {
      throw invalid('local.publicKey must be 32 bytes');
    }
    if (!(local.privateKey instanceof Uint8Array) || local.privateKey.length !== KEY_BYTES) {
      throw invalid('local.privateKey must be a 32-byte Ed25519 seed');
    }
    if (!keyEqual(ed25519PublicKey(local.privateKey), local.publicKey)) throw invalid('local.privateKey does not match local.publicKey');
    const deriveDeviceId = options.deriveDeviceId ?? deviceIdFromPublicKey;
    const derivePeerId = options.derivePeerId ?? peerIdFromEd25519PublicKey;
    if (deriveDeviceId(local.publicKey) !== local.deviceId) throw invalid('local.deviceId is not derived from local.publicKey');
    if (derivePeerId(local.publicKey) !== local.peerId) {
      throw invalid('local.peerId does not belong to local.publicKey');
    }
    if (!local.info || typeof local.info !== 'object') throw invalid('local.info is required');
    const info = fitDeviceInfo(local.info);
    let localInfo: Uint8Array;
    try {
      localInfo = encodeDeviceInfo(info);
    } catch (e) {
      throw invalid(`local.info: ${(e as Error).message}`);
    }
    this.local = {
      ...local,
      publicKey: Uint8Array.from(local.publicKey),
      privateKey: Uint8Array.from(local.privateKey),
      info,
    };
    this.#random = options.random ?? defaultRandom;
    this.#deriveDeviceId = deriveDeviceId;
    this.#derivePeerId = derivePeerId;
    this.readTimeoutMs = positive(options.readTimeoutMs, DEFAULT_READ_TIMEOUT_MS, 'readTimeoutMs');
    this.maxConversationsPerSession = positive(options.maxConversationsPerSession, DEFAULT_MAX_CONVERSATIONS_PER_SESSION, 'maxConversationsPerSession');
    this.maxConversations = positive(options.maxConversations, DEFAULT_MAX_CONVERSATIONS, 'maxConversations');
    this.#retentionMs = positive(options.endedSessionRetentionMs, DEFAULT_ENDED_SESSION_RETENTION_MS, 'endedSessionRetentionMs');
    this.#ctx = {
      local: this.local,
      signingKey: ed25519SigningKey(this.local.privateKey),
      localInfo,
      random: this.#random,
      readTimeoutMs: this.readTimeoutMs,
      maxConversationsPerSession: this.maxConversationsPerSession,
      deriveDeviceId: this.#deriveDeviceId,
      findSession: (sessionId) => this.#bySessionId.get(hex(sessionId)),
      ended: (c) => this.#conversations.delete(c),
    };
  }

  /** Starts waiting for a joiner with a fresh (or given) code. */
  createInitiatorSession(options: CreateSessionOptions): PairingSession {
    this.#checkOpen();
    if (typeof options.now !== 'number' || !Number.isFinite(options.now)) throw invalid('now must be a finite number of milliseconds');
    const ttlMs = positive(options.ttlMs, DEFAULT_SESSION_TTL_MS, 'ttlMs');
    const code = options.code ?? PairingCode.generate(this.#random);
    const key = hex(code.sessionId);
    const existing = this.#bySessionId.get(key);
    if (existing?.open) throw invalid('a session with this code is already open');
    if (existing?.state === 'completed') throw new PairingProtocolError('CONSUMED', 'this pairing code has already been used');
    const session = new PairingSession(`s${this.#nextId++}`, code, options.now, ttlMs);
    this.#sessions.set(session.id, session);
    this.#bySessionId.set(key, session);
    debug('session %s created, expires in %d ms', session.id, ttlMs);
    return session;
  }

  getSession(id: string): PairingSession | undefined {
    return this.#sessions.get(id);
  }

  get sessions(): PairingSession[] {
    return [...this.#sessions.values()];
  }

  /** Open conversations (both roles). */
  get conversations(): PairingConversation[] {
    return [...this.#conversations];
  }

  /** Stops a session; its unlocked conversations fail with CANCELLED. */
  cancelSession(id: string, now: number): HandlerEvent[] {
    const session = this.#sessions.get(id);
    if (!session || !session.open) return [];
    session.fail('CANCELLED', now);
    debug('session %s cancelled', session.id);
    return [{ type: 'session-cancelled', session }, ...this.#endConversations(session, 'CANCELLED', 'the pairing session was cancelled', false)];
  }

  /** Initiator side: a new inbound stream. Call `start(now)` then feed it with `receive`. */
  acceptInbound(peer: RemotePeer): PairingConversation {
    this.#checkOpen();
    return this.#open('initiator', peer);
  }

  /** Joiner side: a stream to a candidate initiator. `start(now)` yields the PairingRequest. */
  startJoiner(options: RemotePeer & { code: PairingCode | string }): PairingConversation {
    this.#checkOpen();
    const code = typeof options.code === 'string' ? PairingCode.parse(options.code) : options.code;
    const authKey = code.authKey;
    return this.#open('joiner', options, { sessionId: code.sessionId, authKey, confirmKeys: deriveConfirmKeys(authKey) });
  }

  /** Expires sessions and times out silent conversations. Call it every second or so. */
  tick(now: number): HandlerEvent[] {
    const events: HandlerEvent[] = [];
    for (const session of this.#sessions.values()) {
      if (session.open && now >= session.expiresAt) {
        session.expire(now);
        debug('session %s expired', session.id);
        events.push({ type: 'session-expired', session }, ...this.#endConversations(session, 'EXPIRED', 'this pairing code has expired', true));
      } else if (session.state === 'completed' && session.active.size > 0) {
        // Joiners still talking to a consumed code are told so now rather than at their timeout.
        events.push(...this.#endConversations(session, 'CONSUMED', 'this pairing code has already been used', true));
      } else if (!session.open && session.endedAt !== undefined && now - session.endedAt >= this.#retentionMs) {
        this.#sessions.delete(session.id);
        if (this.#bySessionId.get(hex(session.sessionId)) === session) this.#bySessionId.delete(hex(session.sessionId));
      }
    }
    for (const conversation of [...this.#conversations]) {
      const actions = conversation.tick(now);
      if (actions.length > 0) events.push({ type: 'conversation', conversation, actions });
    }
    return events;
  }

  /** Ends every conversation and session. */
  close(now = 0): HandlerEvent[] {
    if (this.#closed) return [];
    const events: HandlerEvent[] = [];
    for (const s of this.#sessions.values()) events.push(...this.cancelSession(s.id, now));
    for (const c of [...this.#conversations]) {
      const actions = c.abort(new PairingProtocolError('CANCELLED', 'the pairing handler closed'));
      if (actions.length > 0) events.push({ type: 'conversation', conversation: c, actions });
    }
    this.#closed = true;
    return events;
  }

  #open(role: 'initiator' | 'joiner', peer: RemotePeer, secrets?: ConstructorParameters<typeof PairingConversation>[6]): PairingConversation {
    if (typeof peer.now !== 'number' || !Number.isFinite(peer.now)) throw invalid('now must be a finite number of milliseconds');
    const refuse = this.#refusal(peer);
    const c = new PairingConversation(`c${this.#nextId++}`, role, this.#ctx, String(peer.remotePeerId), peer.remotePublicKey ?? new Uint8Array(0), peer.now, secrets, refuse);
    if (!refuse) this.#conversations.add(c);
    debug('conversation %s (%s) %s', c.id, role, refuse ? `refused: ${refuse.code}` : 'opened');
    return c;
  }

  #refusal(peer: RemotePeer): PairingProtocolError | undefined {
    const key = peer.remotePublicKey;
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) return new PairingProtocolError('KEY_MISMATCH', 'the remote peer has no Ed25519 key');
    if (keyEqual(key, this.local.publicKey)) return new PairingProtocolError('REJECTED', 'a device cannot pair with itself');
    if (this.#derivePeerId(key) !== peer.remotePeerId) {
      return new PairingProtocolError('KEY_MISMATCH', 'the remote peer id does not belong to its key');
    }
    if (this.#conversations.size >= this.maxConversations) return new PairingProtocolError('BUSY', 'too many pairing conversations are open');
    return undefined;
  }

  #endConversations(session: PairingSession, code: 'EXPIRED' | 'CANCELLED' | 'CONSUMED', message: string, spareLocked: boolean): HandlerEvent[] {
    const events: HandlerEvent[] = [];
    for (const c of [...session.active] as PairingConversation[]) {
      if (spareLocked && session.lockedBy === c) continue; // a joiner that proved the code in time may finish
      const actions = c.abort(new PairingProtocolError(code, message));
      if (actions.length > 0) events.push({ type: 'conversation', conversation: c, actions });
    }
    return events;
  }

  #checkOpen(): void {
    if (this.#closed) throw new PairingProtocolError('CANCELLED', 'the pairing handler is closed');
  }
}

function invalid(message: string): PairingProtocolError {
  return new PairingProtocolError('INVALID_ARGUMENT', message);
}

function positive(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v > 0)) throw invalid(`${name} must be a positive number`);
  return v;
}

function keyEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
