import { abortError } from './errors.js';

/**
 * One reader waiting for stream events: `wait()` settles on the next `wake()`, or rejects
 * with ABORTED when the signal fires. Shared by the chunk and frame readers.
 */
export class Wake {
  #wake: (() => void) | undefined;

  /** Safe to pass as an event listener; does nothing while nobody waits. */
  readonly wake = (): void => this.#wake?.();

  wait(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(abortError(signal, 'read'));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal, 'read'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake = () => {
        this.#wake = undefined;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }

  /** Drops a waiter left behind by an abort. */
  clear(): void {
    this.#wake = undefined;
  }
}
