import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PairingCode } from '@pairkit/pairing';
import { NetError } from '../src/index.js';
import { makeDevice, type TestDevice } from './helpers/device.js';

const devices: TestDevice[] = [];
after(async () => {
  await Promise.all(devices.map((d) => d.stop()));
});
async function device(name: string, opts: Parameters<typeof makeDevice>[1] = {}): Promise<TestDevice> {
  const d = await makeDevice(name, opts);
  devices.push(d);
  return d;
}

test('initiator and joiner pair through the DHT: both registries hold each other with mirrored keys', async () => {
  const alice = await device('alice');
  const bob = await device('bob', { bootstrap: [alice.addr] });
  const { code, result } = alice.service.initiate({ ttlMs: 60_000 });
  assert.equal(code.split(' ').length, 12);
  const joined = await bob.service.join(code, { timeoutMs: 60_000, mdns: false });
  const initiated = await result;
  assert.equal(joined.peerId, alice.node.peerId.toString());
  assert.equal(initiated.peerId, bob.node.peerId.toString());
  assert.equal(joined.verification, initiated.verification);
  assert.match(joined.verification, /^\d{6}$/);
  const aliceSeesBob = alice.registry.get(bob.registry.identity().deviceId);
  const bobSeesAlice = bob.registry.get(alice.registry.identity().deviceId);
  assert.ok(aliceSeesBob && bobSeesAlice);
  assert.equal(aliceSeesBob.name, 'bob');
  assert.equal(bobSeesAlice.name, 'alice');
  assert.deepEqual(aliceSeesBob.sessionKeys?.tx, bobSeesAlice.sessionKeys?.rx);
  assert.deepEqual(aliceSeesBob.sessionKeys?.rx, bobSeesAlice.sessionKeys?.tx);
  assert.notDeepEqual(aliceSeesBob.sessionKeys?.tx, aliceSeesBob.sessionKeys?.rx);
  assert.ok(bobSeesAlice.addresses.some((a) => a.startsWith('/ip4/127.0.0.1/tcp/')));

  // The same words typed again (say, from shell history) are refused at once, before any search,
  // in any spelling the parser accepts; both sides remember the code by its public session id.
  const again = bob.service.join(code.toUpperCase(), { timeoutMs: 60_000, mdns: false });
  await assert.rejects(again, (e: unknown) => e instanceof NetError && e.code === 'CODE_USED' && e.message.includes('"alice"'));
  assert.equal(bob.registry.list().length, 1);
  assert.ok(alice.registry.usedCode(PairingCode.parse(code).sessionId), 'the initiator recorded the code too');
});

test('a wrong code finds no initiator and writes nothing', async () => {
  const alice = await device('alice2');
  const bob = await device('bob2', { bootstrap: [alice.addr] });
  const { code, result } = alice.service.initiate({ ttlMs: 60_000 });
  const other = (await device('carol2')).service.initiate({ ttlMs: 60_000 }).code;
  assert.notEqual(code, other);
  await assert.rejects(bob.service.join(other, { timeoutMs: 5_000, mdns: false }), (e: unknown) => e instanceof NetError && e.code === 'TIMEOUT');
  assert.equal(alice.registry.list().length, 0);
  assert.equal(bob.registry.list().length, 0);
  // the real code still works afterwards
  await bob.service.join(code, { timeoutMs: 30_000, mdns: false });
  await result;
  assert.equal(alice.registry.list().length, 1);
});
