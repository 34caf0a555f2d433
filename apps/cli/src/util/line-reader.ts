// Lines from a stream that is not a terminal (a script answering prompts), read through one
// readline interface for the whole run: a new interface per question would swallow the
// answers a script wrote in one go.
import readline from 'node:readline';
import type { Readable } from 'node:stream';

export class LineReader {
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | undefined) => void)[] = [];
  #rl: readline.Interface | undefined;
  #ended = false;

  constructor(private readonly input: Readable) {}

  /** The next line; undefined at end of input or when `signal` aborts. */
  next(signal?: AbortSignal): Promise<string | undefined> {
    this.#start();
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended || signal?.aborted === true) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (l: string | undefined): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(l);
      };
      const onAbort = (): void => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  close(): void {
    this.#rl?.close();
  }

  #start(): void {
    if (this.#rl !== undefined) return;
    this.#rl = readline.createInterface({ input: this.input });
    this.#rl.on('line', (line) => {
      const w = this.#waiters.shift();
      if (w) w(line);
      else this.#lines.push(line);
    });
    this.#rl.on('close', () => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    });
  }
}
