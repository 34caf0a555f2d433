// What the two sans-IO cores share: feeding stream bytes in frame by frame, and how a core fails.
import { DropError, type DropErrorCode } from '../errors.js';
import { FrameType, encodeControl, type Frame, type FrameDecoder } from './frames.js';

type FailureAction = { type: 'send'; bytes: Uint8Array } | { type: 'error'; error: DropError };

/** Hands each whole frame in `bytes` to `frame` until the core is over; a thrown error fails it. */
export function feedFrames<A>(
  decoder: FrameDecoder,
  bytes: Uint8Array,
  core: { frame: (frame: Frame, out: A[]) => void; over: () => boolean; fail: (err: unknown) => A[] },
): A[] {
  if (core.over()) return [];
  const out: A[] = [];
  try {
    for (const frame of decoder.push(bytes)) {
      core.frame(frame, out);
      if (core.over()) break;
    }
  } catch (err) {
    return [...out, ...core.fail(err)];
  }
  return out;
}

/**
 * The actions that end a transfer with `err`: an ERROR frame telling the peer (unless `tell` is
 * false or the code is one of `peerKnows`), then the error as a DropError.
 */
export function failureActions(err: unknown, tell: boolean, peerKnows: readonly DropErrorCode[]): FailureAction[] {
  const error = err instanceof DropError ? err : new DropError('DROP_IO', String((err as Error)?.message ?? err), { cause: err });
  const out: FailureAction[] = [];
  if (tell && !peerKnows.includes(error.code)) out.push({ type: 'send', bytes: encodeControl(FrameType.ERROR, { code: error.code, message: error.message }) });
  out.push({ type: 'error', error });
  return out;
}
