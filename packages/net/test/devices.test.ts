// Paired devices: reconnecting, channels only between paired devices, the removal notice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { multiaddr } from '@multiformats/multiaddr';
import { DeviceChannels, FrameStream, NetError, libp2pPrivateKey } from '../src/index.js';
import { makeDevice, pairDirect, type TestDevice } from './helpers/device.js';

const ECHO = '/pairkit-test/echo/1.0.0';
let alice: TestDevice;
let bob: TestDevice;
let carol: TestDevice;
let ac: DeviceChannels;
let bc: DeviceChannels;
let cc: DeviceChannels;
let bobId: string;
let aliceId: string;

function channels(d: TestDevice): DeviceChannels {
  return new DeviceChannels(d.node, d.registry, libp2pPrivateKey(d.registry.identity()));
}

before(async () => {
  alice = await makeDevice('alice');
  bob = await makeDevice('bob');
  carol = await makeDevice('carol');
  await pairDirect(alice, bob);
  bobId = bob.registry.identity().deviceId;
  aliceId = alice.registry.identity().deviceId;
  ac = channels(alice);
  bc = channels(bob);
  cc = channels(carol);
  for (const c of [ac, bc, cc]) await c.start();
  for (const c of [ac, bc, cc]) {
    await c.handle(ECHO, async (stream) => {
      for await (const chunk of stream) stream.send(chunk);
      await stream.close();
    });
  }
});
after(async () => {
  for (const c of [ac, bc, cc]) await c?.close();
  for (const d of [alice, bob, carol]) await d?.stop();
});

async function echo(stream: Awaited<ReturnType<DeviceChannels['openChannel']>>, text: string): Promise<string> {
  stream.send(new TextEncoder().encode(text));
  await stream.close();
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk instanceof Uint8Array ? chunk : chunk.subarray());
  return Buffer.concat(parts).toString();
}

test('a paired device opens a channel to the other and talks over it', async () => {
  const s = await ac.openChannel(bobId, ECHO, { signal: AbortSignal.timeout(10_000) });
  assert.equal(await echo(s, 'hello bob'), 'hello bob');
  assert.ok(alice.registry.get(bobId)?.lastSeenAt, 'last seen is recorded');
});

test('connectToDevice redials a paired device from its stored addresses after a disconnect', async () => {
  await alice.node.hangUp(bob.node.peerId);
  assert.equal(alice.node.getConnections(bob.node.peerId).length, 0);
  const conn = await ac.connectToDevice(bobId, { signal: AbortSignal.timeout(15_000) });
  assert.ok(conn.remotePeer.equals(bob.node.peerId));
});

test('an unpaired peer is refused with NOT_PAIRED and a closed stream', async () => {
  const stream = await carol.node.dialProtocol(multiaddr(bob.addr), ECHO, { signal: AbortSignal.timeout(10_000) });
  const status = JSON.parse(new TextDecoder().decode(await new FrameStream(stream, 1024).read({ timeoutMs: 10_000 }))) as { ok: boolean; code: string };
  assert.deepEqual({ ok: status.ok, code: status.code }, { ok: false, code: 'NOT_PAIRED' });
  await assert.rejects(cc.openChannel(bobId, ECHO), (e: unknown) => e instanceof NetError && e.code === 'NOT_PAIRED');
});

test('addresses that lead to another peer never yield a connection to it', async () => {
  // Pretend bob's stored address is carol's: the Noise peer would be carol, not bob.
  const real = alice.registry.get(bobId)!.addresses;
  await alice.node.hangUp(bob.node.peerId);
  alice.registry.touch(bobId, { addresses: [carol.addr.replace(/\/p2p\/.*/, '')] });
  await alice.node.peerStore.delete(bob.node.peerId);
  await assert.rejects(ac.connectToDevice(bobId, { signal: AbortSignal.timeout(8_000) }), (e: unknown) => e instanceof NetError);
  assert.equal(alice.node.getConnections(bob.node.peerId).length, 0);
  alice.registry.touch(bobId, { addresses: real });
});

test('removing a device tells it: the signed notice removes us from its registry too', async () => {
  const removedByPeer = new Promise<string>((resolve) => bc.once('removed-by-peer', (d) => resolve(d.deviceId)));
  alice.registry.remove(bobId);
  assert.equal(alice.registry.pendingRevocations().length, 1);
  assert.equal(await ac.deliverRevocations({ signal: AbortSignal.timeout(15_000) }), 1);
  assert.equal(await removedByPeer, aliceId);
  assert.equal(bob.registry.get(aliceId), undefined);
  assert.equal(alice.registry.pendingRevocations().length, 0);
  // neither side can open channels any more
  await assert.rejects(bc.openChannel(aliceId, ECHO), (e: unknown) => e instanceof NetError && e.code === 'NOT_PAIRED');
});
