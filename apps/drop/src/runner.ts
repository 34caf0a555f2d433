// Runs a sans-IO core's actions one at a time, in order, while the stream reader keeps adding
// more. One queue means a DATA frame is never sent before the frames the core emitted ahead of it.

export class ActionQueue<A> {
  readonly #queue: A[] = [];
  readonly #exec: (action: A) => Promise<void>;
  readonly #onError: (err: unknown) => void;
  #running = false;
  #stopped = false;

  constructor(exec: (action: A) => Promise<void>, onError: (err: unknown) => void) {
    this.#exec = exec;
    this.#onError = onError;
  }

  push(actions: A[]): void {
    if (this.#stopped) return;
    this.#queue.push(...actions);
    if (!this.#running) void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        await this.#exec(this.#queue.shift()!);
      }
    } catch (err) {
      this.#onError(err);
    } finally {
      this.#running = false;
    }
  }
}
