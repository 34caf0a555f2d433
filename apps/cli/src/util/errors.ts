// Turning any error into a message for people (or one JSON line) and an exit code.
import { CommanderError } from 'commander';
import { RegistryError } from '@pairkit/registry';
import { ExitCode } from './exit-codes.js';

/** An error the CLI raises itself, with the exit code it means. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  readonly exitCode: number;
  readonly hint?: string;
  constructor(code: string, message: string, exitCode: number, hint?: string) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
    if (hint !== undefined) this.hint = hint;
  }
}

/** Maps an error to an exit code, or returns undefined to let the next mapper decide. */
export type ExitCodeMapper = (err: unknown) => number | undefined;

/**
 * Extra mappers for errors of other packages (pairing, net, smp...). A command file may push
 * one at import time, e.g. `exitCodeMappers.push((e) => e instanceof PairingError ? ExitCode.PAIRING_FAILED : undefined)`.
 */
export const exitCodeMappers: ExitCodeMapper[] = [];

const REGISTRY_EXIT: Partial<Record<RegistryError['code'], number>> = {
  NOT_FOUND: ExitCode.NOT_FOUND,
  AMBIGUOUS: ExitCode.USAGE,
  INVALID_INPUT: ExitCode.USAGE,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  if (err instanceof RegistryError) return REGISTRY_EXIT[err.code] ?? ExitCode.STORAGE;
  for (const m of exitCodeMappers) {
    const code = m(err);
    if (code !== undefined) return code;
  }
  const e = err as { name?: unknown; code?: unknown; exitCode?: unknown } | null;
  if (e && typeof e.exitCode === 'number' && Number.isInteger(e.exitCode)) return e.exitCode;
  if (e && (e.name === 'AbortError' || e.code === 'ABORT_ERR')) return ExitCode.INTERRUPTED;
  if (e && (e.name === 'TimeoutError' || (typeof e.code === 'string' && /TIMEOUT|EXPIRED/.test(e.code)))) return ExitCode.TIMEOUT;
  return ExitCode.FAILURE;
}

export interface ErrorReport {
  type: 'error';
  code: string;
  message: string;
  hint?: string;
  exitCode: number;
}

export function errorReport(err: unknown): ErrorReport {
  const exitCode = exitCodeFor(err);
  const e = err as { code?: unknown; message?: unknown; hint?: unknown } | null;
  const report: ErrorReport = {
    type: 'error',
    code: typeof e?.code === 'string' ? e.code : exitCode === ExitCode.INTERRUPTED ? 'INTERRUPTED' : 'ERROR',
    message: typeof e?.message === 'string' ? e.message : String(err),
    exitCode,
  };
  if (typeof e?.hint === 'string') report.hint = e.hint;
  return report;
}
