// Network-assisted bond end to end: two devices paired over the network (12 words) form a BLE
// bond with `pair ble bond <device>` / `pair ble bond --accept`, no user step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { home, list, pair, sim } from './helpers/cli.js';

test('pair ble bond: devices paired over the network get a BLE bond over OOB with no user step', async (t) => {
  const hci = await sim(t);
  const ha = home(t, 'a');
  const hb = home(t, 'b');
  const listen = ['--listen', '/ip4/127.0.0.1/tcp/0'];

  // Network pairing first (mDNS on loopback between the two processes).
  const a = pair(t, ha, ['initiate', ...listen]);
  const words = String((await a.waitFor('code')).words);
  const b = pair(t, hb, ['join', ...words.split(' '), ...listen]);
  assert.deepEqual(await Promise.all([a.exited, b.exited]), [0, 0], a.stderr + b.stderr);
  const [na] = await list(t, ha);
  const [nb] = await list(t, hb);
  assert.equal(na.method, 'network');
  assert.equal(na.hasBond, false);

  const accept = pair(t, hb, ['ble', 'bond', '--accept', '--hci', hci, '--timeout', '60s', ...listen]);
  await accept.waitFor('listening');
  const ask = pair(t, ha, ['ble', 'bond', String(na.deviceId), '--hci', hci, '--timeout', '60s', ...listen]);
  const [cAsk, cAccept] = await Promise.all([ask.exited, accept.exited]);
  assert.equal(cAsk, 0, ask.stderr);
  assert.equal(cAccept, 0, accept.stderr);
  const bondedA = await ask.waitFor('bonded');
  const bondedB = await accept.waitFor('bonded');
  assert.equal((bondedA.device as { deviceId: string }).deviceId, na.deviceId);
  assert.equal((bondedB.device as { deviceId: string }).deviceId, nb.deviceId);
  assert.ok(!ask.events().includes('compare') && !accept.events().includes('compare'));

  const [la, lb] = await Promise.all([list(t, ha), list(t, hb)]);
  assert.equal(la.length, 1, 'still one entry: the bond joined the existing device');
  assert.equal(lb.length, 1);
  assert.equal(la[0].method, 'both');
  assert.equal(lb[0].method, 'both');
  assert.equal(la[0].bleAddress, bondedA.address);
  assert.equal(lb[0].bleAddress, bondedB.address);
});
