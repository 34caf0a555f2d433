// Stages of the handover flows, their events, and the helper that gives every stage a
// timeout, the caller's AbortSignal and the BLE link's loss as ways to end.
import { BootstrapError } from './errors.js';

export type HandoverStage = 'advertising' | 'scanning' | 'connected' | 'compare' | 'ble-paired' | 'handover' | 'paired' | 'failed';

export interface HandoverEvents {
  /** Initiator: advertising the pairkit service (again after a failed attempt: `attempt` > 1). */
  advertising: [{ address: string; name: string; attempt: number }];
  /** Joiner: scanning for initiators. */
  scanning: [{ serviceUuid: string }];
  /** Joiner: an initiator seen while scanning. */
  nearby: [{ address: string; name: string; rssi: number }];
  connected: [{ address: string; addressType: string }];
  /** Numeric Comparison value to show (the user confirms on both devices). */
  compare: [{ value: string }];
  'ble-paired': [{ model: string; authenticated: boolean; address: string }];
  handover: [{ peerId: string; addresses: number }];
  paired: [{ deviceId: string; peerId: string; name: string; verification: string; method: string }];
  failed: [{ stage: HandoverStage; code: string; message: string }];
  /**
   * Initiator: a BLE connection ended without a handover for a reason that was not the local
   * user's (link lost, SMP failed on the peer's side, the peer's user rejected the comparison).
   * That link is forgotten; the initiator advertises again unless `attempt` reached `maxAttempts`.
   */
  'attempt-failed': [{ attempt: number; maxAttempts: number; stage: HandoverStage; code: string; message: string; address: string }];
  /** Time each stage took, ms (for the bench and progress). */
  timing: [{ stage: string; ms: number }];
}

/** Per-stage time limits, ms. */
export interface StageTimeouts {
  advertise: number;
  scan: number;
  connect: number;
  smp: number;
  handover: number;
  network: number;
}

export const DEFAULT_TIMEOUTS: StageTimeouts = {
  advertise: 5 * 60_000,
  scan: 30_000,
  connect: 15_000,
  smp: 60_000,
  handover: 15_000,
  network: 60_000,
};

const LINK_LOSS_GRACE_MS = 150;

/**
 * Runs one stage with its own signal: aborted by the caller's signal (ABORTED), the stage
 * timeout (TIMEOUT) or the link going down (LINK_LOST). Errors keep their code.
 */
export async function runStage<T>(
  name: string,
  timeoutMs: number,
  outer: AbortSignal | undefined,
  linkClosed: Promise<number> | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  let why: BootstrapError | undefined;
  const end = (e: BootstrapError): void => {
    if (why) return;
    why = e;
    ac.abort(e);
  };
  const timer = setTimeout(() => end(new BootstrapError('TIMEOUT', `${name} did not finish within ${timeoutMs} ms`)), timeoutMs);
  const onAbort = (): void => end(new BootstrapError('ABORTED', `${name} aborted`, { cause: outer?.reason }));
  if (outer?.aborted) onAbort();
  outer?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  let grace: NodeJS.Timeout | undefined;
  let downReason: number | undefined;
  const lostError = (reason: number): BootstrapError =>
    new BootstrapError('LINK_LOST', `the BLE link went down during ${name} (reason 0x${reason.toString(16).padStart(2, '0')})`);
  void linkClosed?.then((reason) => {
    if (finished) return;
    downReason = reason;
    // A peer usually says why (e.g. SMP Pairing Failed) just before it drops the link: give
    // that reason a moment to arrive before calling it a lost link.
    grace = setTimeout(() => end(lostError(reason)), LINK_LOSS_GRACE_MS);
  });
  const aborted = new Promise<never>((_, reject) => {
    ac.signal.addEventListener('abort', () => reject(why), { once: true });
  });
  aborted.catch(() => {});
  try {
    return await Promise.race([fn(ac.signal), aborted]);
  } catch (err) {
    if (why) throw why;
    // A lower layer's error because the link is gone (channel closed...) is a lost link.
    if (downReason !== undefined && !(err instanceof BootstrapError)) throw lostError(downReason);
    throw err;
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
    outer?.removeEventListener('abort', onAbort);
    finished = true;
    ac.abort(new BootstrapError('ABORTED', `${name} ended`));
  }
}

/** Wraps any error as a BootstrapError (keeping a BootstrapError as it is). */
export function asBootstrapError(err: unknown, code: 'NETWORK_FAILED' | 'BLE_PAIRING_FAILED', what: string): BootstrapError {
  if (err instanceof BootstrapError) return err;
  const e = err as { code?: unknown; message?: string };
  const detail = typeof e?.code === 'string' ? `${e.code}: ` : '';
  return new BootstrapError(code, `${what}: ${detail}${e?.message ?? String(err)}`, { cause: err });
}
