// A hostile peer: a real libp2p node that speaks raw pairing frames, built from the pairing
// package's own encoder so the bytes are well-formed unless a test wants them not to be.
import type { Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { FrameDecoder, decodeMessage, encodeMessageFrame, type PairingMessage } from '@pairkit/pairing';
import { createPairkitNode, type PairkitLibp2p, type NodeIdentity } from '../../src/node.js';
import { PAIR_PROTOCOL } from '../../src/service.js';
import { makeIdentity } from './identity.js';

export class RawPairingStream {
  readonly #decoder = new FrameDecoder();
  readonly #queue: PairingMessage[] = [];
  readonly #it: AsyncIterator<Uint8Array | { subarray(): Uint8Array }>;
  constructor(readonly stream: Stream) {
    this.#it = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | { subarray(): Uint8Array }>;
  }
  send(m: PairingMessage | Uint8Array): void {
    this.stream.send(m instanceof Uint8Array ? m : encodeMessageFrame(m));
  }
  /** The next message, or null when the peer closed the stream. */
  async next(timeoutMs = 10_000): Promise<PairingMessage | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a message');
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        this.#it.next(),
        new Promise<'timeout'>((res) => {
          timer = setTimeout(() => res('timeout'), left);
        })
      ]).finally(() => clearTimeout(timer));
      if (r === 'timeout') throw new Error('timed out waiting for a message');
      if (r.done === true) return null;
      const chunk = r.value instanceof Uint8Array ? r.value : r.value.subarray();
      for (const body of this.#decoder.push(chunk)) this.#queue.push(decodeMessage(body));
    }
    return this.#queue.shift()!;
  }
  /** Reads until the stream ends; returns the messages seen (an error frame, typically). */
  async drain(timeoutMs = 10_000): Promise<PairingMessage[]> {
    const out: PairingMessage[] = [];
    for (;;) {
      const m = await this.next(timeoutMs).catch(() => null);
      if (m == null) return out;
      out.push(m);
    }
  }
}

export class Attacker {
  private constructor(
    readonly node: PairkitLibp2p,
    readonly identity: NodeIdentity
  ) {}

  static async create(identity: NodeIdentity = makeIdentity()): Promise<Attacker> {
    const node = await createPairkitNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
    return new Attacker(node, identity);
  }

  get addr(): string {
    return this.node.getMultiaddrs()[0].toString();
  }

  async open(target: string): Promise<RawPairingStream> {
    const conn = await this.node.dial(multiaddr(target), { signal: AbortSignal.timeout(10_000) });
    return new RawPairingStream(await conn.newStream(PAIR_PROTOCOL, { signal: AbortSignal.timeout(10_000) }));
  }

  async stop(): Promise<void> {
    await this.node.stop();
  }
}

export function random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
