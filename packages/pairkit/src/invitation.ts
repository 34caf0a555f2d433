import { EventEmitter } from 'node:events';
import { PairkitError } from './errors.js';
import type { PairingProgress, PairingResult } from './events.js';

/** Pairing in progress on the initiating device: show `code`, then await `paired`. */
export class PairingInvitation extends EventEmitter<{ progress: [PairingProgress] }> {
  /** The 12 words to show to the joining user. Never log them. */
  readonly code: string;
  readonly expiresAt: number;
  /** Resolves when a joiner paired; rejects on expiry, cancel or close. */
  readonly paired: Promise<PairingResult>;
  readonly #cancel: AbortController;

  /** @internal */
  constructor(code: string, expiresAt: number, paired: Promise<PairingResult>, cancel: AbortController) {
    super();
    this.code = code;
    this.expiresAt = expiresAt;
    this.paired = paired;
    this.#cancel = cancel;
  }

  /** The code as a list of words. */
  get words(): string[] {
    return this.code.split(' ');
  }

  /** Withdraws the code; `paired` rejects with code ABORTED. */
  cancel(): void {
    this.#cancel.abort(new PairkitError('ABORTED', 'pairing cancelled'));
  }
}
