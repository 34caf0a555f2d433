import type { Connection, Stream } from '@libp2p/interface';
import { PairingProtocolError, type PairingAction, type PairingConversation, type PairingResult } from '@pairkit/pairing';
import type { PairedDevice } from '@pairkit/registry';
import createDebug from 'debug';
import { Uint8ArrayList } from 'uint8arraylist';

const log = createDebug('pairkit:net:pairing');

/** Grace period for the peer to read our last frame before the stream is reset. */
const CLOSE_GRACE_MS = 2_000;

export interface RunnerHooks {
  /** Writes the registry entry (one transaction); throwing fails the conversation, nothing stored. */
  commit(result: PairingResult, connection: Connection): PairedDevice;
}

export interface RunOutcome {
  result: PairingResult;
  device: PairedDevice;
}

/**
 * Binds one sans-IO conversation to one libp2p stream: bytes in, actions out. Timeouts come
 * from the handler's tick (which calls `apply` with the conversation's actions).
 */
export class ConversationRunner {
  readonly done: Promise<RunOutcome>;
  #resolve!: (o: RunOutcome) => void;
  #reject!: (e: Error) => void;
  #device: PairedDevice | undefined;
  #finished = false;
  #closing = false;

  constructor(
    readonly conversation: PairingConversation,
    readonly stream: Stream,
    readonly connection: Connection,
    private readonly hooks: RunnerHooks
  ) {
    this.done = new Promise<RunOutcome>((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    this.done.catch(() => {});
  }

  /** Starts the conversation and the read loop; resolves when the conversation ends. */
  run(): Promise<RunOutcome> {
    this.apply(this.conversation.start(Date.now()));
    void this.#readLoop();
    return this.done;
  }

  async #readLoop(): Promise<void> {
    try {
      for await (const chunk of this.stream) {
        if (this.#closing) break;
        const bytes = chunk instanceof Uint8Array ? chunk : (chunk as Uint8ArrayList).subarray();
        this.apply(this.conversation.receive(bytes, Date.now()));
        if (this.#closing) break;
      }
    } catch (err) {
      log('stream %s failed: %s', this.stream.id, (err as Error).message);
    }
    // The stream ended (or failed) before the conversation did.
    if (!this.#finished) this.apply(this.conversation.close(Date.now()));
    if (!this.#finished) this.#fail(new PairingProtocolError('CLOSED', 'the stream closed before pairing finished'));
  }

  /** Carries out actions in order; used by run() and by the handler's tick events. */
  apply(actions: PairingAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          if (this.stream.writeStatus === 'writable') this.stream.send(a.frame);
          break;
        case 'commit': {
          let device: PairedDevice;
          try {
            device = this.hooks.commit(a.result, this.connection);
          } catch (err) {
            log('commit failed: %s', (err as Error).message);
            this.#fail(err as Error);
            this.stream.abort(err as Error);
            return;
          }
          this.#device = device;
          this.apply(this.conversation.committed(Date.now()));
          break;
        }
        case 'completed':
          this.#finished = true;
          this.#resolve({ result: a.result, device: this.#device! });
          break;
        case 'failed':
          this.#fail(a.error);
          break;
        case 'close':
          this.#close();
          break;
      }
    }
  }

  /** Ends the conversation from outside (join won elsewhere, service closed). */
  abort(error: Error): void {
    if (this.#finished) return;
    this.#fail(error);
    this.stream.abort(error);
  }

  #fail(error: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#reject(error);
  }

  #close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const s = this.stream;
    void (async () => {
      try {
        await s.close({ signal: AbortSignal.timeout(CLOSE_GRACE_MS) });
      } catch {
        s.abort(new Error('pairing stream closed'));
        return;
      }
      // Our side is closed; give the peer time to read the last frame, then reset what is left.
      const t = setTimeout(() => {
        if (s.status !== 'closed') s.abort(new Error('pairing stream closed'));
      }, CLOSE_GRACE_MS);
      t.unref();
    })();
  }
}
