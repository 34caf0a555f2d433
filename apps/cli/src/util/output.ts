// All of a command's output goes through here so --json stays machine-readable:
// with --json, stdout carries only JSON (one value per line) and errors are JSON lines on stderr.
import { Progress } from './progress.js';

export interface OutputOptions {
  json: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream | NodeJS.WritableStream;
}

/** JSON.stringify that shows bytes as hex and bigints as strings (never pass secret keys here). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}

export class Output {
  readonly json: boolean;
  readonly #stdout: NodeJS.WritableStream;
  readonly #stderr: NodeJS.WriteStream | NodeJS.WritableStream;

  constructor(opts: OutputOptions) {
    this.json = opts.json;
    this.#stdout = opts.stdout ?? process.stdout;
    this.#stderr = opts.stderr ?? process.stderr;
  }

  /** One event as one JSON line (with --json only). Use for streams of progress events. */
  emit(event: { type: string; [k: string]: unknown }): void {
    if (this.json) this.#stdout.write(toJson(event) + '\n');
  }

  /** The command's result: `value` as one JSON line with --json, else the text from human(). */
  result(value: unknown, human: () => string): void {
    if (this.json) this.#stdout.write(toJson(value) + '\n');
    else {
      const text = human();
      if (text.length > 0) this.#stdout.write(text.endsWith('\n') ? text : text + '\n');
    }
  }

  /** Text for people on stdout; nothing with --json. */
  info(text: string): void {
    if (!this.json) this.#stdout.write(text + '\n');
  }

  /** A notice on stderr (as a JSON line with --json). */
  warn(text: string): void {
    if (this.json) this.#stderr.write(toJson({ type: 'warning', message: text }) + '\n');
    else this.#stderr.write(`pair: ${text}\n`);
  }

  /** A spinner on stderr while waiting; silent with --json or when stderr is not a terminal. */
  progress(label: string): Progress {
    const tty = !this.json && (this.#stderr as NodeJS.WriteStream).isTTY === true;
    return new Progress(tty ? (this.#stderr as NodeJS.WriteStream) : undefined, label);
  }

  /** Reports an error: "pair: error: ..." (+ hint) for people, or one JSON line on stderr. */
  error(report: { code: string; message: string; hint?: string; exitCode: number }): void {
    if (this.json) this.#stderr.write(toJson(report) + '\n');
    else {
      this.#stderr.write(`pair: error: ${report.message}\n`);
      if (report.hint) this.#stderr.write(`pair: hint: ${report.hint}\n`);
    }
  }
}
