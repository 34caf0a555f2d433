// `pair remove` tells the removed device when it is reachable (here: running `pair node`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceRegistry } from '@pairkit/registry';
import { Homes, LOOPBACK, Procs, runPair } from './helpers/cli.js';
import { assertPairedBothWays, devicesIn, identityOf } from './helpers/registry.js';

const homes = new Homes();
const procs = new Procs();
after(async () => {
  await procs.cleanup();
  homes.cleanup();
});

test('pair remove sends a signed notice: the reachable peer drops us too', async () => {
  const a = homes.make('pairkit-e2e-rm-a-');
  const b = homes.make('pairkit-e2e-rm-b-');
  const init = procs.add(runPair(a, ['initiate', '--json', ...LOOPBACK]));
  const words = String((await init.waitFor('code')).words);
  const join = procs.add(runPair(b, ['join', words, '--json', ...LOOPBACK]));
  await Promise.all([init.waitFor('paired'), join.waitFor('paired')]);
  assert.equal(await init.exited, 0);
  assert.equal(await join.exited, 0);
  assertPairedBothWays(a, b);

  // b comes online later (another process, another port): a finds it on the LAN.
  const bNode = procs.add(runPair(b, ['node', '--json', ...LOOPBACK]));
  await bNode.waitFor('listening');
  const rm = procs.add(runPair(a, ['remove', identityOf(b).deviceId, '--yes', '--json']));
  assert.equal(await rm.exited, 0, rm.stderr.join('\n'));
  const out = rm.events[0] as { removed?: boolean; peerNotified?: boolean };
  assert.equal(out.removed, true);
  assert.equal(out.peerNotified, true);
  assert.equal(devicesIn(a).length, 0);
  assert.equal(devicesIn(b).length, 0, 'the peer removed us when told');
  const r = DeviceRegistry.openSync({ home: a, env: {} });
  assert.equal(r.pendingRevocations().length, 0, 'the revocation is marked delivered');
  r.close();
  bNode.kill('SIGTERM');
  assert.equal(await bNode.exited, 130);
});
