import { NetError } from '@pairkit/net';
import { PairkitError } from './errors.js';

const RESERVED_PROTOCOLS = ['/pairkit/pair/', '/pairkit/control/', '/pairkit/kad/', '/ipfs/', '/libp2p/'];

export function checkProtocol(protocol: string): void {
  if (typeof protocol !== 'string' || !protocol.startsWith('/') || protocol.length > 200 || /\s/.test(protocol)) {
    throw new PairkitError('BAD_PROTOCOL', `protocol ids look like "/myapp/1.0.0", got ${JSON.stringify(protocol)}`);
  }
  if (RESERVED_PROTOCOLS.some((p) => protocol.startsWith(p))) {
    throw new PairkitError('BAD_PROTOCOL', `${protocol} is reserved by pairkit or libp2p`);
  }
}

export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  return signal === undefined ? AbortSignal.timeout(ms) : AbortSignal.any([signal, AbortSignal.timeout(ms)]);
}

/** Aborts become PairkitError ABORTED/TIMEOUT; other errors pass unchanged (with their codes). */
export function wrapAbort(err: unknown, ...signals: (AbortSignal | undefined)[]): unknown {
  const fired = signals.find((s) => s?.aborted === true);
  if (fired !== undefined) {
    const r: unknown = fired.reason;
    if (r instanceof PairkitError) return r;
    const timeout = r instanceof Error && r.name === 'TimeoutError';
    return new PairkitError(timeout ? 'TIMEOUT' : 'ABORTED', timeout ? 'timed out' : 'aborted', { cause: err });
  }
  if (err instanceof NetError && err.code === 'NOT_PAIRED') return new PairkitError('NOT_PAIRED', err.message, { cause: err });
  return err;
}
