// Prints pairing figures: in-memory handshakes per second (both sides on this CPU) and heap bytes
// per open conversation. No asserts; run with `npm run bench -w @pairkit/pairing`.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';
import { PairingCode, type PairingConversation } from '../src/index.js';
import { Link, makeDevice, makeHandler } from '../test/helpers/peers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // frame buffers live outside the JS heap
};

const alice = makeDevice('alice', 1);
const bob = makeDevice('bob', 2);

function handshakes(seconds: number): { count: number; perSecond: number; msEach: number } {
  const ha = makeHandler(alice);
  const hb = makeHandler(bob);
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    const session = ha.createInitiatorSession({ now: 0 });
    const joiner = hb.startJoiner({ code: session.code, remotePeerId: alice.peerId, remotePublicKey: alice.publicKey, now: 0 });
    const initiator = ha.acceptInbound({ remotePeerId: bob.peerId, remotePublicKey: bob.publicKey, now: 0 });
    const link = new Link(joiner, initiator).run();
    if (!link.initiator.completed || !link.joiner.completed) throw new Error('pairing failed in bench');
    count++;
    elapsed = performance.now() - start;
  }
  ha.tick(Number.MAX_SAFE_INTEGER); // forget ended sessions
  return { count, perSecond: count / (elapsed / 1000), msEach: elapsed / count };
}

function memoryPerConversation(n: number): { initiatorChallenged: number; joinerWaiting: number; worstCaseBuffered: number } {
  const ha = makeHandler(alice, { maxConversations: n + 1, maxConversationsPerSession: n + 1 });
  const hb = makeHandler(bob, { maxConversations: n + 1 });
  const session = ha.createInitiatorSession({ now: 0 });
  // Requests made beforehand so that only initiator-side state is measured.
  const requests: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const j = hb.startJoiner({ code: session.code, remotePeerId: alice.peerId, remotePublicKey: alice.publicKey, now: 0 });
    const a = j.start(0)[0];
    if (a.type !== 'send') throw new Error('no request');
    requests.push(a.frame);
  }
  const joinerBase = heap();
  void joinerBase;
  const held: PairingConversation[] = [];
  const before = heap();
  for (const r of requests) {
    const c = ha.acceptInbound({ remotePeerId: bob.peerId, remotePublicKey: bob.publicKey, now: 0 });
    c.start(0);
    c.receive(r, 0);
    held.push(c);
  }
  const initiatorChallenged = (heap() - before) / n;
  if (held.some((c) => c.state !== 'challenged')) throw new Error('unexpected state');

  // Joiner side: conversations that sent their request and wait for a challenge.
  const hj = makeHandler(bob, { maxConversations: n + 1 });
  const code = PairingCode.generate();
  const beforeJ = heap();
  const joiners: PairingConversation[] = [];
  for (let i = 0; i < n; i++) {
    const c = hj.startJoiner({ code, remotePeerId: alice.peerId, remotePublicKey: alice.publicKey, now: 0 });
    c.start(0);
    joiners.push(c);
  }
  const joinerWaiting = (heap() - beforeJ) / n;

  // Worst case: an initiator conversation holding one almost complete maximum-size frame.
  const hw = makeHandler(alice, { maxConversations: n + 1 });
  const partial = new Uint8Array(4 + 8191);
  partial.set([0, 0, 0x20, 0x00]);
  const beforeW = heap();
  const worst: PairingConversation[] = [];
  for (let i = 0; i < n; i++) {
    const c = hw.acceptInbound({ remotePeerId: bob.peerId, remotePublicKey: bob.publicKey, now: 0 });
    c.start(0);
    c.receive(partial, 0);
    worst.push(c);
  }
  const worstCaseBuffered = (heap() - beforeW) / n;
  void held.length;
  void joiners.length;
  void worst.length;
  return { initiatorChallenged, joinerWaiting, worstCaseBuffered };
}

const h = handshakes(3);
console.log(`pairing handshakes (in memory, both sides on one core): ${h.perSecond.toFixed(0)}/s, ${h.msEach.toFixed(2)} ms each (${h.count} in 3 s)`);
const n = 2000;
const m = memoryPerConversation(n);
console.log(`memory (JS heap + array buffers) per open conversation (${n} open): initiator in 'challenged' ${Math.round(m.initiatorChallenged)} B, joiner in 'waiting' ${Math.round(m.joinerWaiting)} B, worst case with a buffered 8 KiB frame ${Math.round(m.worstCaseBuffered)} B`);
