// One pairing conversation over one stream, in either role (sans-IO: bytes and time in, actions out).
import type { KeyObject } from 'node:crypto';
import { defaultRandom, type RandomSource } from './code.js';
import { PairingProtocolError, type PairingProtocolErrorCode } from './errors.js';
import { FrameDecoder, encodeMessageFrame } from './frame.js';
import {
  confirmMac,
  deriveSessionKeys,
  macEqual,
  signTranscript,
  transcriptHash,
  verificationString,
  verifyTranscriptSignature,
  x25519GenerateKeyPair,
  x25519KeyPair,
  x25519Shared,
  type EphemeralKey,
  type ConfirmKeys,
  type Role,
} from './keys.js';
import { PROTOCOL_VERSION } from './labels.js';
import {
  KEY_BYTES,
  NONCE_BYTES,
  decodeMessage,
  encodeDeviceInfo,
  type PairingChallenge,
  type PairingMessage,
  type PairingRequest,
  type PairingResponse,
} from './messages.js';
import type { PairingSession } from './session.js';
import type { ConversationState, DeviceInfo, KeyIdFunction, LocalDevice, PairingAction, PairingResult } from './types.js';

/** @internal what a conversation needs from its handler. */
export interface ConversationContext {
  local: LocalDevice;
  /** The local Ed25519 key, parsed once. */
  signingKey: KeyObject;
  localInfo: Uint8Array;
  random: RandomSource;
  readTimeoutMs: number;
  maxConversationsPerSession: number;
  deriveDeviceId: KeyIdFunction;
  findSession(sessionId: Uint8Array): PairingSession | undefined;
  ended(conversation: PairingConversation): void;
}

/** @internal joiner-only inputs */
export interface JoinerSecrets {
  sessionId: Uint8Array;
  authKey: Uint8Array;
  confirmKeys: ConfirmKeys;
}

const ACTIVE: ReadonlySet<ConversationState> = new Set(['waiting', 'challenged', 'verifying']);

export class PairingConversation {
  readonly id: string;
  readonly role: Role;
  readonly remotePeerId: string;
  readonly remotePublicKey: Uint8Array;
  #ctx: ConversationContext;
  #state: ConversationState = 'waiting';
  #error: PairingProtocolError | undefined;
  #started = false;
  #deadline = Infinity;
  #decoder = new FrameDecoder();
  #session: PairingSession | undefined;
  #secrets: JoinerSecrets | undefined;
  #sessionId: Uint8Array | undefined;
  #ephemeralPrivate: KeyObject | undefined;
  #ephemeralPublic: Uint8Array | undefined;
  #localNonce: Uint8Array | undefined;
  #request: PairingRequest | undefined;
  #challenge: PairingChallenge | undefined;
  #joinerInfo: DeviceInfo | undefined;
  #dh: Uint8Array | undefined;
  #th: Uint8Array | undefined;
  #result: PairingResult | undefined;
  #pending: PairingAction[] = [];

  /** @internal created by PairingProtocolHandler */
  constructor(
    id: string,
    role: Role,
    ctx: ConversationContext,
    remotePeerId: string,
    remotePublicKey: Uint8Array,
    now: number,
    secrets?: JoinerSecrets,
    refuse?: PairingProtocolError,
  ) {
    // Counted from creation, so a conversation that is never started still times out.
    this.#deadline = now + ctx.readTimeoutMs;
    this.id = id;
    this.role = role;
    this.#ctx = ctx;
    this.remotePeerId = remotePeerId;
    this.remotePublicKey = Uint8Array.from(remotePublicKey);
    this.#secrets = secrets;
    this.#sessionId = secrets?.sessionId;
    if (refuse) this.#pending = this.#fail(refuse, true);
  }

  get state(): ConversationState {
    return this.#state;
  }
  /** Why the conversation failed or expired. */
  get error(): PairingProtocolError | undefined {
    return this.#error;
  }
  get result(): PairingResult | undefined {
    return this.#result;
  }
  /** The initiator session this conversation joined (initiator role, after a known PairingRequest). */
  get session(): PairingSession | undefined {
    return this.#session;
  }
  /** Time after which `tick` fails the conversation with TIMEOUT (Infinity when not waiting on the peer). */
  get deadline(): number {
    return this.#deadline;
  }
  get ended(): boolean {
    return this.#state === 'completed' || this.#state === 'failed' || this.#state === 'expired';
  }

  /** Starts the conversation: the joiner sends PairingRequest; the initiator starts its read timer. */
  start(now: number): PairingAction[] {
    if (this.#started) return [];
    this.#started = true;
    if (this.#pending.length > 0 || this.ended) return this.#takePending();
    this.#deadline = now + this.#ctx.readTimeoutMs;
    if (this.role === 'initiator') return [];
    const secrets = this.#secrets as JoinerSecrets;
    this.#makeEphemeral();
    return [this.#send({ type: 'PairingRequest', sessionId: secrets.sessionId, nonce: this.#localNonce!, ephemeralKey: this.#ephemeralPublic! })];
  }

  /** Feeds bytes read from the stream (any chunking). */
  receive(chunk: Uint8Array, now: number): PairingAction[] {
    if (!this.#started) {
      const started = this.start(now);
      if (this.ended) return started;
      return [...started, ...this.receive(chunk, now)];
    }
    if (this.#settled()) return this.#takePending();
    if (now >= this.#deadline) return this.#fail(new PairingProtocolError('TIMEOUT', 'the peer took too long to answer'), true);
    let bodies: Uint8Array[];
    try {
      bodies = this.#decoder.push(chunk);
    } catch (e) {
      return this.#fail(asProtocolError(e), true);
    }
    const actions: PairingAction[] = [];
    for (const body of bodies) {
      if (this.#settled()) break;
      try {
        actions.push(...this.#handle(decodeMessage(body), now));
      } catch (e) {
        actions.push(...this.#fail(asProtocolError(e), true));
      }
    }
    return actions;
  }

  /** The registry write for the `commit` action is durable. */
  committed(now: number): PairingAction[] {
    if (this.#state !== 'committing') return [];
    const result = this.#result as PairingResult;
    const actions: PairingAction[] = [];
    if (this.role === 'joiner') {
      const mac = confirmMac((this.#secrets as JoinerSecrets).confirmKeys.ack, this.#th!);
      actions.push(this.#send({ type: 'PairingAck', mac }));
    } else {
      this.#session?.complete(result, now);
    }
    this.#state = 'completed';
    this.#deadline = Infinity;
    this.#cleanup();
    actions.push({ type: 'completed', result }, { type: 'close' });
    return actions;
  }

  /** Fails the conversation if the peer has been silent past the read timeout. */
  tick(now: number): PairingAction[] {
    if (ACTIVE.has(this.#state) && now >= this.#deadline) {
      return this.#fail(new PairingProtocolError('TIMEOUT', 'the peer took too long to answer'), true);
    }
    return [];
  }

  /** The stream ended or the IO layer gives up. A conversation that is committing is not affected. */
  close(_now: number, reason: PairingProtocolErrorCode = 'CLOSED'): PairingAction[] {
    if (this.ended || this.#state === 'committing') return [];
    return this.#fail(new PairingProtocolError(reason, reason === 'CLOSED' ? 'the stream closed before pairing finished' : `conversation ended: ${reason}`), false);
  }

  /** @internal the session expired or was cancelled (only unlocked conversations are ended this way). */
  abort(error: PairingProtocolError): PairingAction[] {
    if (this.ended || this.#state === 'committing') return [];
    return this.#fail(error, true);
  }

  /** Ended, or past the point where the peer can change the outcome. */
  #settled(): boolean {
    return this.ended || this.#state === 'committing';
  }

  #handle(m: PairingMessage, now: number): PairingAction[] {
    if (m.type === 'PairingError') {
      return this.#fail(new PairingProtocolError(m.code, `the peer ended the pairing: ${m.code}`, { remote: true }), false);
    }
    const expected = this.#expected();
    if (m.type !== expected) {
      throw new PairingProtocolError('UNEXPECTED_MESSAGE', `got ${m.type} while waiting for ${expected}`);
    }
    switch (m.type) {
      case 'PairingRequest':
        return this.#onRequest(m, now);
      case 'PairingChallenge':
        return this.#onChallenge(m, now);
      case 'PairingResponse':
        return this.#onResponse(m, now);
      case 'PairingComplete':
        return this.#onProof(m.mac, m.signature, 'initiator');
      case 'PairingAck':
        return this.#onAck(m.mac);
    }
  }

  #expected(): PairingMessage['type'] {
    if (this.role === 'initiator') {
      return this.#state === 'waiting' ? 'PairingRequest' : this.#state === 'challenged' ? 'PairingResponse' : 'PairingAck';
    }
    return this.#state === 'waiting' ? 'PairingChallenge' : 'PairingComplete';
  }

  // Initiator: a joiner names a session.
  #onRequest(m: PairingRequest, now: number): PairingAction[] {
    const session = this.#ctx.findSession(m.sessionId);
    if (!session) throw new PairingProtocolError('UNKNOWN_SESSION', 'no pairing session with that id here');
    checkSessionUsable(session, this, now);
    if (session.active.size >= this.#ctx.maxConversationsPerSession) {
      throw new PairingProtocolError('BUSY', 'too many joiners are talking to this session');
    }
    this.#session = session;
    this.#sessionId = session.sessionId;
    session.active.add(this);
    session.markChallenged();
    this.#request = m;
    this.#makeEphemeral();
    this.#dh = x25519Shared(this.#ephemeralPrivate!, m.ephemeralKey);
    if (!this.#dh) throw new PairingProtocolError('BAD_KEY', 'the peer sent an invalid ephemeral key');
    this.#state = 'challenged';
    this.#deadline = now + this.#ctx.readTimeoutMs;
    const l = this.#ctx.local;
    return [this.#send({ type: 'PairingChallenge', nonce: this.#localNonce!, ephemeralKey: this.#ephemeralPublic!, publicKey: l.publicKey, info: l.info })];
  }

  // Joiner: the initiator answered with its half; the joiner proves first.
  #onChallenge(m: PairingChallenge, now: number): PairingAction[] {
    if (!keyEqual(m.publicKey, this.remotePublicKey)) {
      throw new PairingProtocolError('KEY_MISMATCH', 'the key in the challenge is not the key the connection authenticated');
    }
    this.#dh = x25519Shared(this.#ephemeralPrivate!, m.ephemeralKey);
    if (!this.#dh) throw new PairingProtocolError('BAD_KEY', 'the peer sent an invalid ephemeral key');
    this.#challenge = m;
    const th = this.#transcript(m.info, this.#ctx.local.info);
    const secrets = this.#secrets as JoinerSecrets;
    const mac = confirmMac(secrets.confirmKeys.joiner, th);
    const signature = signTranscript('joiner', this.#ctx.signingKey, th);
    this.#state = 'challenged';
    this.#deadline = now + this.#ctx.readTimeoutMs;
    return [this.#send({ type: 'PairingResponse', publicKey: this.#ctx.local.publicKey, info: this.#ctx.local.info, mac, signature })];
  }

  // Initiator: the joiner's proofs.
  #onResponse(m: PairingResponse, now: number): PairingAction[] {
    const session = this.#session as PairingSession;
    checkSessionUsable(session, this, now);
    if (!keyEqual(m.publicKey, this.remotePublicKey)) {
      throw new PairingProtocolError('KEY_MISMATCH', 'the key in the response is not the key the connection authenticated');
    }
    this.#joinerInfo = m.info;
    const actions = this.#onProof(m.mac, m.signature, 'joiner');
    // Proof accepted: this joiner holds the code; nobody else may use it meanwhile.
    session.lock(this);
    const th = this.#th!;
    const mac = confirmMac(session.confirmKeys.initiator, th);
    const signature = signTranscript('initiator', this.#ctx.signingKey, th);
    this.#state = 'verifying';
    this.#deadline = now + this.#ctx.readTimeoutMs;
    return [...actions, this.#send({ type: 'PairingComplete', mac, signature })];
  }

  // Verifies the peer's MAC (cheap, first) and signature over the transcript.
  #onProof(mac: Uint8Array, signature: Uint8Array, peerRole: Role): PairingAction[] {
    const th = this.role === 'joiner' ? this.#th! : this.#transcript(this.#ctx.local.info, this.#joinerInfo as DeviceInfo);
    const keys = this.role === 'joiner' ? (this.#secrets as JoinerSecrets).confirmKeys : (this.#session as PairingSession).confirmKeys;
    const expected = confirmMac(peerRole === 'joiner' ? keys.joiner : keys.initiator, th);
    if (!macEqual(mac, expected)) throw new PairingProtocolError('BAD_PROOF', 'the peer does not know the pairing code');
    if (!verifyTranscriptSignature(peerRole, this.remotePublicKey, th, signature)) {
      throw new PairingProtocolError('BAD_SIGNATURE', "the peer's signature over the transcript is invalid");
    }
    const authKey = this.role === 'joiner' ? (this.#secrets as JoinerSecrets).authKey : (this.#session as PairingSession).authKey;
    const peerInfo = this.role === 'joiner' ? this.#challenge!.info : (this.#joinerInfo as DeviceInfo);
    this.#result = {
      role: this.role,
      sessionId: Uint8Array.from(this.#sessionId!),
      peer: {
        deviceId: this.#ctx.deriveDeviceId(this.remotePublicKey),
        peerId: this.remotePeerId,
        publicKey: Uint8Array.from(this.remotePublicKey),
        info: { ...peerInfo },
      },
      sessionKeys: deriveSessionKeys(this.role, authKey, this.#dh!, th),
      verification: verificationString(th),
      transcriptHash: Uint8Array.from(th),
    };
    if (this.role === 'initiator') return [];
    // Joiner: both proofs verified (its own went out, the initiator's just checked).
    this.#state = 'committing';
    this.#deadline = Infinity;
    return [{ type: 'commit', result: this.#result }];
  }

  // Initiator: the joiner committed; now it is our turn.
  #onAck(mac: Uint8Array): PairingAction[] {
    const session = this.#session as PairingSession;
    if (!macEqual(mac, confirmMac(session.confirmKeys.ack, this.#th!))) {
      throw new PairingProtocolError('BAD_PROOF', 'the acknowledgement does not carry a valid proof');
    }
    this.#state = 'committing';
    this.#deadline = Infinity;
    return [{ type: 'commit', result: this.#result! }];
  }

  #transcript(initiatorInfo: DeviceInfo, joinerInfo: DeviceInfo): Uint8Array {
    const l = this.#ctx.local;
    const isInit = this.role === 'initiator';
    const req = this.#request;
    const ch = this.#challenge;
    this.#th = transcriptHash({
      version: PROTOCOL_VERSION,
      sessionId: this.#sessionId!,
      initiatorPeerId: isInit ? l.peerId : this.remotePeerId,
      joinerPeerId: isInit ? this.remotePeerId : l.peerId,
      initiatorPublicKey: isInit ? l.publicKey : this.remotePublicKey,
      joinerPublicKey: isInit ? this.remotePublicKey : l.publicKey,
      joinerNonce: isInit ? req!.nonce : this.#localNonce!,
      initiatorNonce: isInit ? this.#localNonce! : ch!.nonce,
      joinerEphemeral: isInit ? req!.ephemeralKey : this.#ephemeralPublic!,
      initiatorEphemeral: isInit ? this.#ephemeralPublic! : ch!.ephemeralKey,
      initiatorInfo: isInit ? this.#ctx.localInfo : encodeDeviceInfo(initiatorInfo),
      joinerInfo: isInit ? encodeDeviceInfo(joinerInfo) : this.#ctx.localInfo,
    });
    return this.#th;
  }

  #makeEphemeral(): void {
    this.#localNonce = randomExact(this.#ctx.random, NONCE_BYTES);
    let pair: EphemeralKey;
    if (this.#ctx.random === defaultRandom) {
      pair = x25519GenerateKeyPair();
    } else {
      const bytes = randomExact(this.#ctx.random, KEY_BYTES);
      pair = x25519KeyPair(bytes);
      bytes.fill(0);
    }
    this.#ephemeralPrivate = pair.privateKey;
    this.#ephemeralPublic = pair.publicKey;
  }

  #send(m: PairingMessage): PairingAction {
    return { type: 'send', frame: encodeMessageFrame(m) };
  }

  #fail(error: PairingProtocolError, tellPeer: boolean): PairingAction[] {
    if (this.ended) return [];
    this.#state = error.code === 'EXPIRED' ? 'expired' : 'failed';
    this.#error = error;
    this.#deadline = Infinity;
    this.#cleanup();
    const actions: PairingAction[] = [];
    if (tellPeer && !error.remote) actions.push(this.#send({ type: 'PairingError', code: error.code }));
    actions.push({ type: 'failed', error }, { type: 'close' });
    return actions;
  }

  #cleanup(): void {
    if (this.#session) {
      this.#session.release(this);
      this.#session.active.delete(this);
    }
    this.#ephemeralPrivate = undefined; // dropped; KeyObject memory is freed by OpenSSL
    this.#dh?.fill(0);
    this.#ctx.ended(this);
  }

  #takePending(): PairingAction[] {
    const p = this.#pending;
    this.#pending = [];
    return p;
  }
}

function checkSessionUsable(session: PairingSession, conversation: object, now: number): void {
  if (session.state === 'completed') throw new PairingProtocolError('CONSUMED', 'this pairing code has already been used');
  if (session.state === 'expired' || now >= session.expiresAt) throw new PairingProtocolError('EXPIRED', 'this pairing code has expired');
  if (session.state === 'failed') throw new PairingProtocolError('CANCELLED', 'this pairing session was cancelled');
  if (session.lockedBy !== undefined && session.lockedBy !== conversation) {
    throw new PairingProtocolError('CONSUMED', 'another device is completing pairing with this code');
  }
}

function keyEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function randomExact(random: RandomSource, n: number): Uint8Array {
  const b = random(n);
  if (!(b instanceof Uint8Array) || b.length !== n) throw new TypeError(`random source must return ${n} bytes`);
  return Uint8Array.from(b);
}

function asProtocolError(e: unknown): PairingProtocolError {
  if (e instanceof PairingProtocolError) return e;
  return new PairingProtocolError('MALFORMED_FRAME', 'the frame could not be processed', { cause: e });
}
