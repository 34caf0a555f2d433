// `pair initiate --relay` across real network isolation: three Linux network namespaces where the
// initiator (pk-a) and the joiner (pk-b) each reach the `pair node` namespace (pk-n) but not each
// other (two subnets, IP forwarding off in pk-n). Only the circuit relay connects them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createPairkitNode } from '@pairkit/net';
import { DeviceRegistry } from '@pairkit/registry';
import { Homes, Procs, runPair } from './helpers/cli.js';
import { assertPairedBothWays, devicesIn } from './helpers/registry.js';

const run = promisify(execFile);
const homes = new Homes();
const procs = new Procs();
const namespaces: string[] = [];
const links: string[] = [];

after(async () => {
  await procs.cleanup();
  // Deleting a namespace removes the veth ends inside it; links left in the root side go too.
  for (const ns of namespaces) await run('ip', ['netns', 'delete', ns]).catch(() => {});
  for (const l of links) await run('ip', ['link', 'delete', l]).catch(() => {});
  homes.cleanup();
});

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** A TCP connect from inside `ns`: 'connected' or the error code (a plain socket, no libp2p). */
async function tcpConnect(ns: string, host: string, port: number): Promise<string> {
  const script = `const s=require('net').connect({host:${JSON.stringify(host)},port:${port}});` +
    `const t=setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},10000);` +
    `s.on('connect',()=>{console.log('connected');s.destroy();clearTimeout(t)});` +
    `s.on('error',(e)=>{console.log(e.code??e.message);clearTimeout(t)});`;
  const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { timeout: 30_000 });
  return stdout.trim();
}

test('an initiator with --relay pairs with a joiner that cannot reach it, through `pair node`', async (t) => {
  const id = randomBytes(3).toString('hex');
  const [nsA, nsB, nsN] = [`pk-a-${id}`, `pk-b-${id}`, `pk-n-${id}`];
  try {
    ip('netns', 'add', nsA);
  } catch (err) {
    const why = ((err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message).trim();
    t.skip(`network namespaces unavailable: ${why}`);
    return;
  }
  namespaces.push(nsA);
  for (const ns of [nsB, nsN]) {
    ip('netns', 'add', ns);
    namespaces.push(ns);
  }
  // A <-> N on 198.18.1.0/24, B <-> N on 198.18.2.0/24; no route between the two subnets.
  const wire = (side: string, ns: string, subnet: number): void => {
    const here = `v${side}${id}`;
    const there = `n${side}${id}`;
    ip('link', 'add', here, 'type', 'veth', 'peer', 'name', there);
    links.push(here);
    ip('link', 'set', here, 'netns', ns);
    ip('link', 'set', there, 'netns', nsN);
    ip('-n', ns, 'addr', 'add', `198.18.${subnet}.2/24`, 'dev', here);
    ip('-n', nsN, 'addr', 'add', `198.18.${subnet}.1/24`, 'dev', there);
    ip('-n', ns, 'link', 'set', here, 'up');
    ip('-n', nsN, 'link', 'set', there, 'up');
  };
  wire('a', nsA, 1);
  wire('b', nsB, 2);
  for (const ns of [nsA, nsB, nsN]) ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('netns', 'exec', nsN, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=0');

  const node = procs.add(runPair(homes.make('pairkit-e2e-relaynode-'), ['node', '--json', '--no-mdns'], {}, { netns: nsN }));
  const addrs = (await node.waitFor('listening', 60_000)).addrs as string[];
  const nodeOnA = addrs.find((a) => a.startsWith('/ip4/198.18.1.1/'));
  const nodeOnB = addrs.find((a) => a.startsWith('/ip4/198.18.2.1/'));
  assert.ok(nodeOnA && nodeOnB, `the node listens on both subnets: ${addrs.join(' ')}`);

  // A fixed port in A's own fresh namespace, so the test knows A's direct address.
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const a = homes.make('pairkit-e2e-relay-a-');
  const b = homes.make('pairkit-e2e-relay-b-');
  const init = procs.add(
    runPair(a, ['initiate', '--json', '--relay', '--no-mdns', '--timeout', '3m', '--listen', `/ip4/198.18.1.2/tcp/${port}`, '--bootstrap', nodeOnA], {}, { netns: nsA })
  );
  const relay = await init.waitFor('relay', 60_000);
  const circuit = relay.addrs as string[];
  assert.ok(circuit.length > 0 && circuit.every((c) => c.includes('/p2p-circuit/p2p/')), `relayed addresses: ${circuit.join(' ')}`);
  const code = await init.waitFor('code', 60_000);

  // The isolation holds: B cannot open a TCP connection to A's listen address, N can.
  assert.equal(await tcpConnect(nsN, '198.18.1.2', port), 'connected', 'A listens and the node reaches it');
  const direct = await tcpConnect(nsB, '198.18.1.2', port);
  assert.notEqual(direct, 'connected', 'B must not reach A directly');

  const join = procs.add(
    runPair(b, ['join', ...String(code.words).split(' '), '--json', '--no-mdns', '--timeout', '2m', '--bootstrap', nodeOnB], {}, { netns: nsB })
  );
  const [pi, pj] = await Promise.all([init.waitFor('paired', 150_000), join.waitFor('paired', 150_000)]);
  assert.equal(await init.exited, 0);
  assert.equal(await join.exited, 0);
  assert.equal(pi.verification, pj.verification);
  assertPairedBothWays(a, b);
  node.kill('SIGINT');
  assert.equal(await node.exited, 130);
  assert.equal(devicesIn(a).length, 1);
  t.diagnostic(`direct TCP connect B -> A: ${direct}`);
});

test('--relay without a bootstrap node is a usage error (exit 2) with a failed event', async () => {
  const p = procs.add(runPair(homes.make(), ['initiate', '--json', '--relay', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0']));
  const failed = await p.waitFor('failed', 60_000);
  assert.equal(failed.code, 'USAGE');
  assert.match(String(failed.reason), /--relay needs a relay/);
  assert.equal(await p.exited, 2);
});

test('--relay with a bootstrap node that is no relay fails clearly (RELAY_FAILED, exit 4)', async (t) => {
  // A plain pairkit node: DHT, but no circuit relay server, so no reservation can be made.
  const r = DeviceRegistry.openSync({ home: homes.make(), env: {} });
  const identity = r.identity();
  r.close();
  const plain = await createPairkitNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
  t.after(() => plain.stop());
  const p = procs.add(
    runPair(homes.make(), ['initiate', '--json', '--relay', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', plain.getMultiaddrs()[0].toString()])
  );
  const failed = await p.waitFor('failed', 90_000);
  assert.equal(failed.code, 'RELAY_FAILED', JSON.stringify(failed));
  assert.equal(await p.exited, 4);
  assert.equal(p.events.some((e) => e.event === 'code'), false, 'no words are shown without the relay');
});
