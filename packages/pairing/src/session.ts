// One initiator session: one code, waiting for exactly one joiner to prove it.
import type { PairingCode } from './code.js';
import type { PairingProtocolErrorCode } from './errors.js';
import { deriveConfirmKeys, type ConfirmKeys } from './keys.js';
import type { PairingResult, SessionState } from './types.js';

export class PairingSession {
  /** Local handle (not secret, not sent anywhere). */
  readonly id: string;
  readonly code: PairingCode;
  /** Public rendezvous id derived from the code (32 bytes). */
  readonly sessionId: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
  #state: SessionState = 'waiting';
  #failure: PairingProtocolErrorCode | undefined;
  #endedAt: number | undefined;
  #result: PairingResult | undefined;
  /** @internal the conversation whose joiner proved the code, until it commits or fails. */
  lockedBy: object | undefined;
  /** @internal conversations attached to this session that have not ended. */
  readonly active = new Set<object>();
  /** @internal */
  readonly authKey: Uint8Array;
  /** @internal */
  readonly confirmKeys: ConfirmKeys;

  /** @internal created by PairingProtocolHandler.createInitiatorSession */
  constructor(id: string, code: PairingCode, now: number, ttlMs: number) {
    this.id = id;
    this.code = code;
    this.sessionId = code.sessionId;
    this.createdAt = now;
    this.expiresAt = now + ttlMs;
    this.authKey = code.authKey;
    this.confirmKeys = deriveConfirmKeys(this.authKey);
  }

  get state(): SessionState {
    return this.#state;
  }
  /** Why the session failed (CANCELLED, or the error that ended it). */
  get failure(): PairingProtocolErrorCode | undefined {
    return this.#failure;
  }
  get result(): PairingResult | undefined {
    return this.#result;
  }
  /** When the session stopped accepting joiners. */
  get endedAt(): number | undefined {
    return this.#endedAt;
  }
  get open(): boolean {
    return this.#state === 'waiting' || this.#state === 'challenged' || this.#state === 'verifying';
  }

  /** @internal */
  markChallenged(): void {
    if (this.#state === 'waiting') this.#state = 'challenged';
  }
  /** @internal */
  lock(conversation: object): void {
    this.lockedBy = conversation;
    this.#state = 'verifying';
  }
  /** @internal the locked conversation failed before committing: other joiners may try again. */
  release(conversation: object): void {
    if (this.lockedBy !== conversation) return;
    this.lockedBy = undefined;
    if (this.#state === 'verifying') this.#state = 'challenged';
  }
  /** @internal */
  complete(result: PairingResult, now: number): void {
    this.#state = 'completed';
    this.#result = result;
    this.#endedAt = now;
  }
  /** @internal */
  expire(now: number): void {
    if (!this.open) return;
    this.#state = 'expired';
    this.#endedAt = now;
  }
  /** @internal */
  fail(code: PairingProtocolErrorCode, now: number): void {
    if (!this.open) return;
    this.#state = 'failed';
    this.#failure = code;
    this.#endedAt = now;
  }
}
