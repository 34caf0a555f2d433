import { Pairkit, PairkitError, type PairkitOptions } from 'pairkit';
import { DropError } from '../errors.js';
import type { TransferEvent } from '../transfer.js';
import { formatBytes } from '../bytes.js';
import { ExitCode, Progress, type Output } from './output.js';

/** The drop protocol on pairkit channels. */
export const DROP_PROTOCOL_ID = '/pairkit-drop/1.0.0';

export interface CommonOptions {
  home?: string;
  json?: boolean;
  listen?: string[];
  bootstrap?: string[];
  mdns?: boolean;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export async function openDevice(opts: CommonOptions, signal: AbortSignal): Promise<Pairkit> {
  const options: PairkitOptions = {
    home: opts.home ?? process.env.PAIRKIT_HOME,
    listen: opts.listen,
    bootstrap: opts.bootstrap ?? (process.env.PAIRKIT_BOOTSTRAP ? process.env.PAIRKIT_BOOTSTRAP.split(',').filter(Boolean) : undefined),
    mdns: opts.mdns,
    signal,
  };
  return Pairkit.open(options);
}

/**
 * Runs the checks that need no network (a typo should not cost a connection), then opens the
 * device. On a failure: reports it, drops the interrupt handlers and returns the exit code.
 */
export async function openChecked(
  out: Output,
  opts: CommonOptions,
  interrupt: { signal: AbortSignal; dispose: () => void },
  check: () => Promise<unknown>,
): Promise<Pairkit | number> {
  try {
    await check();
    return await openDevice(opts, interrupt.signal);
  } catch (err) {
    interrupt.dispose();
    return fail(out, err);
  }
}

/** Shows a transfer's file starts and progress the same way at both ends; returns the handler. */
export function showProgress(out: Output, progress: Progress): (e: TransferEvent) => void {
  let from = 0;
  return (e) => {
    switch (e.type) {
      case 'file-start':
        from = e.offset;
        if (e.resumed) out.note(`${e.name}: resuming at ${formatBytes(e.offset)}`);
        out.event({ event: 'file-start', file: e.name, size: e.size, offset: e.offset, resumed: e.resumed });
        break;
      case 'progress':
        progress.update(e.name, e.bytes, e.size, from);
        break;
      case 'file-done':
        progress.done();
        break;
    }
  };
}

/** Maps an error to an exit code and a one-line reason a user can act on. */
export function describeError(err: unknown): { code: string; exit: number; reason: string } {
  const e = err as { code?: unknown; message?: unknown; hint?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'ERROR';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const hint = typeof e?.hint === 'string' ? ` (${e.hint})` : '';
  if (err instanceof PairkitError || err instanceof DropError || typeof e?.code === 'string') {
    switch (code) {
      case 'NOT_PAIRED':
      case 'DEVICE_REMOVED':
      case 'PEER_NOT_PAIRED':
      case 'NOT_FOUND':
      case 'AMBIGUOUS':
      case 'DROP_NOT_ALLOWED':
        return { code, exit: ExitCode.NOT_PAIRED, reason: `${message}${hint}` };
      case 'DROP_USAGE':
      case 'BAD_MULTIADDR':
        return { code, exit: ExitCode.USAGE, reason: message };
      case 'TIMEOUT':
        return { code, exit: ExitCode.TIMEOUT, reason: message };
      case 'ABORTED':
      case 'DROP_ABORTED':
        return { code, exit: ExitCode.INTERRUPTED, reason: 'interrupted' };
      default:
        if (code.startsWith('DROP_') || code === 'UNREACHABLE' || code.startsWith('CHANNEL_')) {
          return { code, exit: ExitCode.TRANSFER_FAILED, reason: message };
        }
    }
  }
  return { code, exit: ExitCode.FAILURE, reason: `${message}${hint}` };
}

export function fail(out: Output, err: unknown): number {
  const d = describeError(err);
  out.event({ event: 'failed', code: d.code, reason: d.reason });
  if (!out.json) process.stderr.write(`drop: ${d.reason}\n`);
  return d.exit;
}

/** An AbortController fired by SIGINT/SIGTERM. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort(new DropError('DROP_ABORTED', 'interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Peak resident memory of this process so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}
