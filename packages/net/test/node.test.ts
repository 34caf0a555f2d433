import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPairkitNode,
  rendezvousCid,
  announceSession,
  findSessionProviders,
  NetError,
  setMdnsEnabled,
  type PairkitLibp2p
} from '../src/index.js';
import { makeIdentity } from './helpers/identity.js';

const LOOP = ['/ip4/127.0.0.1/tcp/0'];
const nodes: PairkitLibp2p[] = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});
async function node(opts: Partial<Parameters<typeof createPairkitNode>[0]> = {}): Promise<PairkitLibp2p> {
  const n = await createPairkitNode({ identity: makeIdentity(), listen: LOOP, mdns: false, ...opts });
  nodes.push(n);
  return n;
}

test('the node runs with the registry identity: its peer id is the identity peer id', async () => {
  const id = makeIdentity();
  const n = await node({ identity: id });
  assert.equal(n.peerId.toString(), id.peerId);
  assert.ok(n.getMultiaddrs().some((a) => a.toString().startsWith('/ip4/127.0.0.1/tcp/')));
});

test('a key that does not match the peer id is refused with BAD_IDENTITY', async () => {
  const a = makeIdentity();
  const b = makeIdentity();
  await assert.rejects(
    createPairkitNode({ identity: { ...a, peerId: b.peerId }, listen: LOOP, mdns: false }),
    (e: unknown) => e instanceof NetError && e.code === 'BAD_IDENTITY'
  );
  await assert.rejects(
    createPairkitNode({ identity: makeIdentity(), listen: LOOP, mdns: false, bootstrap: ['not-a-multiaddr'] }),
    (e: unknown) => e instanceof NetError && e.code === 'BAD_MULTIADDR'
  );
});

test('an unreachable bootstrap list is an UNREACHABLE error, not a hang', async () => {
  const ghost = makeIdentity();
  await assert.rejects(
    createPairkitNode({ identity: makeIdentity(), listen: LOOP, mdns: false, bootstrap: [`/ip4/127.0.0.1/tcp/1/p2p/${ghost.peerId}`] }),
    (e: unknown) => e instanceof NetError && e.code === 'UNREACHABLE'
  );
});

test('rendezvous CID is deterministic per session id and does not contain it', async () => {
  const s1 = new Uint8Array(32).fill(1);
  const c1 = await rendezvousCid(s1);
  assert.equal(c1.toString(), (await rendezvousCid(new Uint8Array(32).fill(1))).toString());
  assert.notEqual(c1.toString(), (await rendezvousCid(new Uint8Array(32).fill(2))).toString());
  assert.equal(c1.version, 1);
  assert.equal(Buffer.from(c1.bytes).includes(Buffer.from(s1)), false);
});

test('a provider record announced by one node is found by another through a bootstrap node', async () => {
  const boot = await node();
  const bootAddr = boot.getMultiaddrs()[0].toString();
  const provider = await node({ bootstrap: [bootAddr] });
  const seeker = await node({ bootstrap: [bootAddr] });
  const cid = await rendezvousCid(crypto.getRandomValues(new Uint8Array(32)));
  const stop = new AbortController();
  const announcing = announceSession(provider, cid, { signal: stop.signal });
  try {
    let found: string | undefined;
    let addrs: string[] = [];
    for await (const p of findSessionProviders(seeker, cid, { signal: AbortSignal.timeout(30_000) })) {
      found = p.id.toString();
      addrs = p.multiaddrs.map(String);
      break;
    }
    assert.equal(found, provider.peerId.toString());
    assert.ok(addrs.some((a) => a.startsWith('/ip4/127.0.0.1/')), 'loopback addresses are kept');
  } finally {
    stop.abort();
    await announcing;
  }
});

test('mDNS: two nodes on one host discover each other', async () => {
  const a = await node({ mdns: true, mdnsIntervalMs: 1000 });
  const seen = new Promise<string[]>((resolve) => {
    const onDiscovery = (e: CustomEvent<{ id: { toString(): string }; multiaddrs: unknown[] }>): void => {
      if (e.detail.id.toString() !== b.peerId.toString()) return;
      a.removeEventListener('peer:discovery', onDiscovery as never);
      resolve(e.detail.multiaddrs.map(String));
    };
    a.addEventListener('peer:discovery', onDiscovery as never);
  });
  const b = await node({ mdns: true, mdnsIntervalMs: 1000 });
  const addrs = await Promise.race([seen, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no mDNS discovery in 30 s')), 30_000).unref())]);
  assert.ok(addrs.length > 0);
});

test('mDNS can be switched off and on at runtime: a node that is off is not found', async () => {
  const hidden = await node({ mdns: true, mdnsIntervalMs: 1000 });
  await setMdnsEnabled(hidden, false);
  const seeker = await node({ mdns: true, mdnsIntervalMs: 500 });
  const found = (): Promise<boolean> =>
    new Promise((resolve) => {
      const t = setTimeout(() => done(false), 2_000);
      const onPeer = (e: CustomEvent<{ id: { equals(x: unknown): boolean } }>): void => {
        if (e.detail.id.equals(hidden.peerId)) done(true);
      };
      function done(v: boolean): void {
        clearTimeout(t);
        seeker.services.mdns!.removeEventListener('peer', onPeer as never);
        resolve(v);
      }
      seeker.services.mdns!.addEventListener('peer', onPeer as never);
    });
  assert.equal(await found(), false, 'no answer while off');
  await setMdnsEnabled(hidden, true);
  assert.equal(await found(), true, 'found once back on');
  await assert.rejects(setMdnsEnabled(await node({ mdns: false }), true), (e: unknown) => e instanceof NetError);
});
