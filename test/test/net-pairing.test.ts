// Network pairing with the real `pair` CLI in child processes: mDNS, the DHT through a
// `pair node` bootstrap, and a 10-node local DHT.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPairkitNode, type PairkitLibp2p } from '@pairkit/net';
import { DeviceRegistry } from '@pairkit/registry';
import path from 'node:path';
import { Homes, LOOPBACK, Procs, runPair, type PairProcess } from './helpers/cli.js';
import { assertPairedBothWays, devicesIn, identityOf } from './helpers/registry.js';

const homes = new Homes();
const procs = new Procs();
const nodes: PairkitLibp2p[] = [];
after(async () => {
  await procs.cleanup();
  await Promise.all(nodes.map((n) => n.stop()));
  homes.cleanup();
});

/** initiate in one process, join in another with the printed words; both must pair. */
async function pairOnce(a: string, b: string, extra: string[] = []): Promise<{ init: PairProcess; join: PairProcess }> {
  const init = procs.add(runPair(a, ['initiate', '--json', '--timeout', '2m', ...LOOPBACK, ...extra]));
  const code = await init.waitFor('code');
  assert.equal(String(code.words).split(' ').length, 12);
  const join = procs.add(runPair(b, ['join', ...String(code.words).split(' '), '--json', '--timeout', '90s', ...LOOPBACK, ...extra]));
  const [ji, jj] = await Promise.all([init.waitFor('paired', 90_000), join.waitFor('paired', 90_000)]);
  assert.equal(await init.exited, 0);
  assert.equal(await join.exited, 0);
  const idA = identityOf(a);
  const idB = identityOf(b);
  assert.deepEqual(ji.device, { deviceId: idB.deviceId, peerId: idB.peerId, name: nameOf(b) });
  assert.deepEqual(jj.device, { deviceId: idA.deviceId, peerId: idA.peerId, name: nameOf(a) });
  assert.match(String(ji.verification), /^\d{6}$/);
  assert.equal(ji.verification, jj.verification, 'both sides show the same verification digits');
  assertPairedBothWays(a, b);
  return { init, join };
}

function nameOf(home: string): string {
  const r = DeviceRegistry.openSync({ home, env: {} });
  try {
    return r.identity().name;
  } finally {
    r.close();
  }
}

function namedHome(name: string): string {
  const h = homes.make(`pairkit-e2e-${name}-`);
  const r = DeviceRegistry.openSync({ home: h, env: {} });
  r.setName(name);
  r.close();
  return h;
}

test('two pair processes pair through mDNS and hold each other with mirrored session keys', async () => {
  const phone = namedHome('phone');
  const { init } = await pairOnce(namedHome('laptop'), phone);
  // The same words again on the joiner (shell history): refused at once, exit 4, nothing added.
  const words = String((await init.waitFor('code')).words);
  const again = procs.add(runPair(phone, ['join', words, '--json', '--timeout', '90s', ...LOOPBACK]));
  const failed = await again.waitFor('failed');
  assert.equal(await again.exited, 4);
  assert.match(String(failed.reason), /already paired this device with "laptop"/);
  assert.equal(devicesIn(phone).length, 1);
});

test('DHT only (--no-mdns) through a `pair node` bootstrap', async () => {
  const nodeHome = namedHome('bootstrap');
  const node = procs.add(runPair(nodeHome, ['node', '--json', '--no-mdns', ...LOOPBACK]));
  const listening = await node.waitFor('listening');
  const addrs = listening.addrs as string[];
  assert.ok(addrs.length > 0 && addrs.every((a) => a.includes('/p2p/')));
  await pairOnce(namedHome('desk'), namedHome('tablet'), ['--no-mdns', '--bootstrap', addrs[0]]);
  assert.equal(devicesIn(nodeHome).length, 0, 'the bootstrap node pairs with nobody');
  node.kill('SIGINT');
  assert.equal(await node.exited, 130, 'SIGINT stops the node cleanly with 130');
});

test('DHT only through a 10-node local DHT (initiator and joiner bootstrap from different nodes)', async () => {
  // A chain: node i knows only node i-1, so the two sides meet through DHT routing.
  const tmp = homes.make('pairkit-e2e-dht-');
  for (let i = 0; i < 10; i++) {
    const r = DeviceRegistry.openSync({ home: path.join(tmp, String(i)), env: {} });
    const identity = r.identity();
    r.close();
    const prev = nodes.at(-1);
    nodes.push(
      await createPairkitNode({
        identity,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        mdns: false,
        bootstrap: prev ? [prev.getMultiaddrs()[0].toString()] : []
      })
    );
  }
  const first = nodes[nodes.length - 10].getMultiaddrs()[0].toString();
  const last = nodes[nodes.length - 1].getMultiaddrs()[0].toString();
  const a = namedHome('north');
  const b = namedHome('south');
  const init = procs.add(runPair(a, ['initiate', '--json', '--no-mdns', '--bootstrap', first, ...LOOPBACK]));
  const code = await init.waitFor('code');
  const join = procs.add(
    runPair(b, ['join', String(code.words), '--json', '--no-mdns', '--timeout', '90s', ...LOOPBACK], { PAIRKIT_BOOTSTRAP: last })
  );
  await Promise.all([init.waitFor('paired', 90_000), join.waitFor('paired', 90_000)]);
  assert.equal(await init.exited, 0);
  assert.equal(await join.exited, 0);
  assertPairedBothWays(a, b);
});

test('a wrong code fails with a failed event and a non-zero exit; both registries stay empty', async () => {
  const a = namedHome('left');
  const b = namedHome('right');
  const init = procs.add(runPair(a, ['initiate', '--json', ...LOOPBACK]));
  await init.waitFor('code');
  // a valid code, just not this one
  const other = procs.add(runPair(namedHome('decoy'), ['initiate', '--json', '--no-mdns', ...LOOPBACK]));
  const wrong = String((await other.waitFor('code')).words);
  other.kill('SIGTERM');
  const join = procs.add(runPair(b, ['join', wrong, '--json', '--timeout', '4s', ...LOOPBACK]));
  const failed = await join.waitFor('failed', 60_000);
  assert.equal(typeof failed.reason, 'string');
  assert.equal(await join.exited, 5, 'a join that finds no initiator times out (exit 5)');
  init.kill('SIGINT');
  assert.equal(await init.exited, 130);
  assert.equal(devicesIn(a).length, 0);
  assert.equal(devicesIn(b).length, 0);
});

test('a mistyped word is a usage error with a suggestion, before any network activity', async () => {
  const b = namedHome('typo');
  const join = procs.add(runPair(b, ['join', 'abandon', 'abilityy', ...Array(10).fill('zoo'), '--json']));
  const code = await join.exited;
  assert.equal(code, 2);
  assert.ok(join.events.some((e) => e.event === 'failed'));
  assert.match(join.stderr.join('\n'), /ability/);
});

test('an expired code: initiate --timeout 2s ends with failed/EXPIRED and exit 5', async () => {
  const a = namedHome('late');
  const init = procs.add(runPair(a, ['initiate', '--json', '--timeout', '2s', '--no-mdns', ...LOOPBACK]));
  await init.waitFor('code');
  const failed = await init.waitFor('failed', 30_000);
  assert.equal(failed.code, 'EXPIRED');
  assert.equal(await init.exited, 5);
  assert.equal(devicesIn(a).length, 0);
});
