// 50 bogus joiners race one real joiner against one `pair initiate` process: the real one pairs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { multiaddr } from '@multiformats/multiaddr';
import { createPairkitNode, findSessionProviders, rendezvousCid, PAIR_PROTOCOL, type PairkitLibp2p } from '@pairkit/net';
import { FrameDecoder, PairingCode, decodeMessage, encodeMessageFrame, type PairingMessage } from '@pairkit/pairing';
import { DeviceRegistry } from '@pairkit/registry';
import { Homes, LOOPBACK, Procs, runPair } from './helpers/cli.js';
import { assertPairedBothWays, identityOf } from './helpers/registry.js';

const homes = new Homes();
const procs = new Procs();
const nodes: PairkitLibp2p[] = [];
after(async () => {
  await procs.cleanup();
  await Promise.all(nodes.map((n) => n.stop()));
  homes.cleanup();
});

const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

async function node(bootstrap: string[], relayServer = false): Promise<PairkitLibp2p> {
  const h = homes.make('pairkit-e2e-bogus-');
  const r = DeviceRegistry.openSync({ home: h, env: {} });
  const identity = r.identity();
  r.close();
  const n = await createPairkitNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, bootstrap, relayServer });
  nodes.push(n);
  return n;
}

/** The initiator's addresses, found the way anyone can: the session id is public, so is the DHT record. */
async function findInitiator(n: PairkitLibp2p, sessionId: Uint8Array): Promise<string[]> {
  for await (const p of findSessionProviders(n, await rendezvousCid(sessionId), { signal: AbortSignal.timeout(30_000) })) {
    return p.multiaddrs.map((a) => `${a.toString()}/p2p/${p.id.toString()}`);
  }
  throw new Error('initiator not found');
}

/** One bogus joiner: a peer of its own that dials the initiator and lies. */
async function bogus(n: PairkitLibp2p, target: string[], sessionId: Uint8Array, i: number): Promise<string> {
  // The initiator limits connections per host and second: a bogus joiner keeps trying too.
  let stream;
  for (let attempt = 0; ; attempt++) {
    try {
      const conn = await n.dial(target.map((t) => multiaddr(t)), { signal: AbortSignal.timeout(10_000) });
      stream = await conn.newStream(PAIR_PROTOCOL, { signal: AbortSignal.timeout(10_000) });
      break;
    } catch (err) {
      if (/ECONNREFUSED/.test(String((err as Error).message))) return 'GONE'; // the initiator paired and exited
      if (attempt >= 40) throw err;
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
    }
  }
  const decoder = new FrameDecoder();
  const it = stream[Symbol.asyncIterator]();
  const next = async (): Promise<PairingMessage | null> => {
    for (;;) {
      const r = await it.next();
      if (r.done === true) return null;
      const bodies = decoder.push(r.value instanceof Uint8Array ? r.value : r.value.subarray());
      if (bodies.length > 0) return decodeMessage(bodies[0]);
    }
  };
  // even: a wrong code (random session id); odd: the right session id with forged proofs
  const sid = i % 2 === 0 ? PairingCode.generate().sessionId : sessionId;
  if (stream.writeStatus !== 'writable') return 'CLOSED';
  stream.send(encodeMessageFrame({ type: 'PairingRequest', sessionId: sid, nonce: rnd(32), ephemeralKey: rnd(32) }));
  let m = await next();
  if (m?.type === 'PairingChallenge' && stream.writeStatus === 'writable') {
    stream.send(
      encodeMessageFrame({ type: 'PairingResponse', publicKey: n.peerId.publicKey!.raw, info: { name: `bogus${i}`, os: 'x', appVersion: '1' }, mac: rnd(32), signature: rnd(64) })
    );
    m = await next();
  }
  await stream.close().catch(() => {});
  return m?.type === 'PairingError' ? m.code : String(m?.type);
}

test('50 bogus joiners racing one real joiner: the real one pairs, nobody else is stored', async () => {
  const boot = await node([], true); // like `pair node`: a bootstrap server accepts many peers
  const bootAddr = boot.getMultiaddrs()[0].toString();
  const a = homes.make('pairkit-e2e-init-');
  const b = homes.make('pairkit-e2e-real-');
  const init = procs.add(runPair(a, ['initiate', '--json', '--no-mdns', '--bootstrap', bootAddr, ...LOOPBACK]));
  const words = String((await init.waitFor('code')).words);
  const sessionId = PairingCode.parse(words).sessionId;

  const scout = await node([bootAddr]);
  const target = await findInitiator(scout, sessionId);
  const attackers: PairkitLibp2p[] = [];
  for (let i = 0; i < 50; i += 10) attackers.push(...(await Promise.all(Array.from({ length: 10 }, () => node([])))));
  let refusedSoFar = 0;
  const bogusRuns = attackers.map((n, i) =>
    bogus(n, target, sessionId, i).then((outcome) => {
      if (outcome === 'UNKNOWN_SESSION' || outcome === 'BAD_PROOF') refusedSoFar++;
      return outcome;
    })
  );
  // The real joiner enters while the bogus ones are hammering (the initiator admits about 5 new
  // connections per second per host, so they arrive over several seconds).
  for (let waited = 0; refusedSoFar < 15 && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  const join = procs.add(runPair(b, ['join', words, '--json', '--no-mdns', '--bootstrap', bootAddr, '--timeout', '2m', ...LOOPBACK]));

  const outcomes = await Promise.all(bogusRuns);
  const [ji] = await Promise.all([init.waitFor('paired', 120_000), join.waitFor('paired', 120_000)]);
  assert.equal(await init.exited, 0);
  assert.equal(await join.exited, 0);
  assert.equal((ji.device as { peerId: string }).peerId, identityOf(b).peerId);
  assertPairedBothWays(a, b);
  // every bogus joiner was turned away with a reason, not silently ignored
  const counts = outcomes.reduce<Record<string, number>>((acc, c) => ((acc[c] = (acc[c] ?? 0) + 1), acc), {});
  assert.equal(outcomes.length, 50);
  // Refusals the protocol gives; CANCELLED/CLOSED/GONE: the initiator paired and shut down.
  for (const c of Object.keys(counts)) {
    assert.ok(['UNKNOWN_SESSION', 'BAD_PROOF', 'CONSUMED', 'BUSY', 'CLOSED', 'CANCELLED', 'GONE', 'null'].includes(c), `unexpected outcome ${c}: ${JSON.stringify(counts)}`);
  }
  const refused = (counts.UNKNOWN_SESSION ?? 0) + (counts.BAD_PROOF ?? 0);
  assert.ok(refused >= 15, `most bogus joiners reached the initiator and were refused: ${JSON.stringify(counts)}`);
  console.log('bogus outcomes', counts);
});
