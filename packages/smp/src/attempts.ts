// Repeated attempts protection (Vol 3 Part H 2.3.6): after a failed authentication the waiting
// interval before the same peer may try again grows exponentially. Time is passed in.

export interface RepeatedAttemptsOptions {
  /** First waiting interval, ms. Default 2000. */
  initialIntervalMs?: number;
  /** Upper bound, ms. Default 10 minutes. */
  maxIntervalMs?: number;
}

interface Entry {
  failures: number;
  blockedUntil: number;
}

/** Per-peer failure record, shared by every connection of one host. */
export class RepeatedAttempts {
  readonly #entries = new Map<string, Entry>();
  readonly #initial: number;
  readonly #max: number;

  constructor(options: RepeatedAttemptsOptions = {}) {
    this.#initial = options.initialIntervalMs ?? 2000;
    this.#max = options.maxIntervalMs ?? 600_000;
  }

  /** True when a pairing attempt with this peer may start now. */
  allowed(peer: string, now: number): boolean {
    const e = this.#entries.get(peer.toUpperCase());
    return !e || now >= e.blockedUntil;
  }

  /** Milliseconds until the peer may try again (0 when allowed). */
  waitMs(peer: string, now: number): number {
    const e = this.#entries.get(peer.toUpperCase());
    return e ? Math.max(0, e.blockedUntil - now) : 0;
  }

  recordFailure(peer: string, now: number): void {
    const key = peer.toUpperCase();
    const e = this.#entries.get(key) ?? { failures: 0, blockedUntil: 0 };
    e.failures += 1;
    e.blockedUntil = now + Math.min(this.#max, this.#initial * 2 ** (e.failures - 1));
    this.#entries.set(key, e);
  }

  recordSuccess(peer: string): void {
    this.#entries.delete(peer.toUpperCase());
  }
}
