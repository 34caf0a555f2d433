import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceChannels, PairingService, libp2pPrivateKey } from '@pairkit/net';
import { BootstrapError, requestBleBond, serveBleBond } from '../src/index.js';
import { devicesOnAir, type TestDevice } from './helpers/device.js';

async function networkPair(a: TestDevice, b: TestDevice): Promise<void> {
  const sa = new PairingService({ node: a.node, registry: a.registry });
  const sb = new PairingService({ node: b.node, registry: b.registry });
  await sa.start();
  await sb.start();
  try {
    const session = sa.initiate({ dht: false });
    await Promise.all([session.result, sb.join(session.code, { peers: [{ id: a.node.peerId, multiaddrs: a.node.getMultiaddrs() }], mdns: false, dht: false })]);
  } finally {
    await sa.close();
    await sb.close();
  }
}

/** Two devices on one simulated air, paired over the network (BLE not yet bonded). */
async function pairedDevices(t: { after: (fn: () => unknown) => void }): Promise<[TestDevice, TestDevice]> {
  const [a, b] = await devicesOnAir(t, 'alpha', 'beta');
  await networkPair(a, b);
  return [a, b];
}

async function channelsOf(d: TestDevice, t: { after: (fn: () => unknown) => void }): Promise<DeviceChannels> {
  const c = new DeviceChannels(d.node, d.registry, libp2pPrivateKey(d.registry.identity()));
  await c.start();
  t.after(() => c.close());
  return c;
}

test('network-assisted bond: devices paired over the network form a BLE bond over OOB, no user step', async (t) => {
  const [a, b] = await pairedDevices(t);
  assert.equal(a.registry.list()[0].method, 'network');
  const ca = await channelsOf(a, t);
  const cb = await channelsOf(b, t);
  const bDeviceIdOnA = a.registry.list()[0].deviceId;

  const [ra, rb] = await Promise.all([
    requestBleBond(bDeviceIdOnA, { radio: a.radio, channels: ca, registry: a.registry }),
    serveBleBond({ radio: b.radio, channels: cb, registry: b.registry }),
  ]);
  assert.equal(ra.address, b.registry.identity().bleIdentityAddress);
  assert.equal(rb.address, a.registry.identity().bleIdentityAddress);
  for (const d of [a, b]) {
    const [entry] = d.registry.list();
    assert.equal(d.registry.list().length, 1);
    assert.equal(entry.method, 'both');
    assert.equal(entry.bond?.authenticated, true);
    assert.equal(entry.bond?.secureConnections, true);
  }
  assert.deepEqual(a.registry.list()[0].bond?.ltk, b.registry.list()[0].bond?.ltk);
});

test('network-assisted bond: a device that is not paired is refused and nothing is stored', async (t) => {
  const [a, b] = await pairedDevices(t);
  const deviceId = a.registry.list()[0].deviceId;
  b.registry.remove(b.registry.list()[0].deviceId); // b forgot a
  const ca = await channelsOf(a, t);
  const cb = await channelsOf(b, t);
  const ac = new AbortController();
  const served = serveBleBond({ radio: b.radio, channels: cb, registry: b.registry, signal: ac.signal });
  served.catch(() => {});
  await assert.rejects(requestBleBond(deviceId, { radio: a.radio, channels: ca, registry: a.registry, timeoutMs: 5000 }), (e: unknown) => e instanceof BootstrapError);
  ac.abort();
  await assert.rejects(served, (e: unknown) => e instanceof BootstrapError && e.code === 'ABORTED');
  assert.equal(a.registry.listBonds().length + b.registry.listBonds().length, 0);
  assert.equal(a.registry.list()[0].method, 'network');
});
