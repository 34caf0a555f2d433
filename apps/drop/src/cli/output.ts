// Output of the drop CLI: one JSON object per line on stdout with --json; otherwise short
// human lines on stdout and progress on stderr.
import { formatBytes } from '../bytes.js';

export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  /** The device is not paired, was removed, or refused us. */
  NOT_PAIRED: 3,
  /** The transfer started but did not finish (connection lost, hash mismatch, declined). */
  TRANSFER_FAILED: 4,
  TIMEOUT: 5,
  INTERRUPTED: 130,
} as const;

export interface Output {
  json: boolean;
  /** An event: a JSON line, or `human` on stdout when given. */
  event(event: Record<string, unknown> & { event: string }, human?: string): void;
  /** A note for people (stderr), silent with --json. */
  note(text: string): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    event(event, human) {
      if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
      else if (human !== undefined) process.stdout.write(`${human}\n`);
    },
    note(text) {
      if (!json) process.stderr.write(`${text}\n`);
    },
  };
}

/**
 * A progress bar on stderr when it is a terminal; JSON progress lines (throttled) with --json;
 * nothing otherwise. Time comes from the caller's clock so output stays testable.
 */
export class Progress {
  readonly #out: Output;
  readonly #tty: boolean;
  readonly #started = Date.now();
  #lastDraw = 0;
  #lastBytes = -1;
  #drawn = false;

  constructor(out: Output, tty = process.stderr.isTTY === true) {
    this.#out = out;
    this.#tty = tty && !out.json;
  }

  update(name: string, bytes: number, size: number, from = 0): void {
    const now = Date.now();
    const last = bytes === size;
    if (!last && now - this.#lastDraw < 200) return;
    if (bytes === this.#lastBytes) return;
    this.#lastDraw = now;
    this.#lastBytes = bytes;
    if (this.#out.json) {
      this.#out.event({ event: 'progress', file: name, bytes, size });
      return;
    }
    if (!this.#tty) return;
    const width = Math.max(10, Math.min(40, (process.stderr.columns ?? 80) - 50));
    const frac = size === 0 ? 1 : bytes / size;
    const fill = Math.round(frac * width);
    const secs = Math.max(0.001, (now - this.#started) / 1000);
    const rate = (bytes - from) / secs;
    const label = name.length > 24 ? `${name.slice(0, 21)}...` : name;
    process.stderr.write(
      `\r${label.padEnd(24)} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(bytes)}/${formatBytes(size)} ${formatBytes(rate)}/s\x1b[K`,
    );
    this.#drawn = true;
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.#drawn) process.stderr.write('\n');
    this.#drawn = false;
    this.#lastBytes = -1;
  }
}
