import test from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { DeviceRegistry, RegistryError, deviceIdFromPublicKey, type RegistryChange } from '../src/index.js';
import { bond, newPeer, record, tempHome } from './helpers/fixtures.js';

test('identity is made once and stays the same across reopen', async (t) => {
  const home = tempHome(t);
  const a = await DeviceRegistry.open({ home });
  const id1 = a.identity();
  a.close();
  const b = await DeviceRegistry.open({ home });
  const id2 = b.identity();
  b.close();
  assert.equal(id2.deviceId, id1.deviceId);
  assert.equal(id2.peerId, id1.peerId);
  assert.deepEqual(id2.publicKey, id1.publicKey);
  assert.equal(id2.bleIdentityAddress, id1.bleIdentityAddress);
  assert.match(id1.deviceId, /^[a-z2-7]{32}$/);
  assert.equal(id1.deviceId, deviceIdFromPublicKey(id1.publicKey));
  assert.deepEqual(ed25519.getPublicKey(id1.privateKey), id1.publicKey);
  // static random address: two top bits set
  assert.equal(parseInt(id1.bleIdentityAddress.slice(0, 2), 16) & 0xc0, 0xc0);
  assert.equal(id1.bleIrk.length, 16);
  assert.equal(id1.bleCsrk.length, 16);
});

test('peer id matches what libp2p derives from the same Ed25519 key', async (t) => {
  const reg = await DeviceRegistry.open({ home: tempHome(t) });
  t.after(() => reg.close());
  const id = reg.identity();
  const key = await generateKeyPairFromSeed('Ed25519', id.privateKey);
  assert.equal(peerIdFromPrivateKey(key).toString(), id.peerId);
  assert.match(id.peerId, /^12D3KooW/);
});

test('a pairing persists across reopen with keys, bond and addresses', async (t) => {
  const home = tempHome(t);
  const peer = newPeer();
  const rec = record(peer, { method: 'both', bond: bond('c1:22:33:44:55:66'), pairedAt: 1_700_000_000_000 });
  const a = await DeviceRegistry.open({ home });
  const saved = a.savePairing(rec);
  a.close();
  const b = await DeviceRegistry.open({ home });
  t.after(() => b.close());
  const got = b.get(saved.deviceId);
  assert.ok(got);
  assert.equal(got.deviceId, deviceIdFromPublicKey(peer.publicKey));
  assert.equal(got.peerId, peer.peerId);
  assert.deepEqual(got.publicKey, peer.publicKey);
  assert.equal(got.method, 'both');
  assert.equal(got.pairedAt, 1_700_000_000_000);
  assert.deepEqual(got.addresses, ['/ip4/127.0.0.1/tcp/4001']);
  assert.deepEqual(got.sessionKeys?.tx, rec.sessionKeys!.tx);
  assert.deepEqual(got.sessionKeys?.rx, rec.sessionKeys!.rx);
  assert.equal(got.bond?.address, 'C1:22:33:44:55:66');
  assert.deepEqual(got.bond?.ltk, rec.bond!.ltk);
  assert.deepEqual(b.findByPeerId(peer.peerId)?.deviceId, saved.deviceId);
  assert.deepEqual(b.findByBleAddress('C1:22:33:44:55:66')?.deviceId, saved.deviceId);
  assert.equal(b.list().length, 1);
});

test('pairing again updates in place and merges methods', async (t) => {
  const reg = await DeviceRegistry.open({ home: tempHome(t) });
  t.after(() => reg.close());
  const peer = newPeer();
  const events: RegistryChange[] = [];
  reg.on('change', (c) => events.push(c));
  reg.savePairing(record(peer, { method: 'network', name: 'old' }));
  const again = reg.savePairing(record(peer, { method: 'ble', name: 'new', bond: bond('C2:00:00:00:00:01') }));
  assert.equal(reg.list().length, 1);
  assert.equal(again.name, 'new');
  assert.equal(again.method, 'both');
  assert.deepEqual(
    events.map((e) => e.type),
    ['added', 'updated', 'bond-saved'],
  );
  // pairing again without a bond keeps the bond and reports no bond change
  events.length = 0;
  const third = reg.savePairing(record(peer, { method: 'network' }));
  assert.equal(third.bond?.address, 'C2:00:00:00:00:01');
  assert.equal(third.method, 'both');
  assert.deepEqual(events.map((e) => e.type), ['updated']);
});

test('savePairing refuses a peer id that is not the public key\'s, and writes nothing', async (t) => {
  const reg = await DeviceRegistry.open({ home: tempHome(t) });
  t.after(() => reg.close());
  const a = newPeer();
  const b = newPeer();
  assert.throws(() => reg.savePairing(record(a, { peerId: b.peerId })), (e: unknown) => e instanceof RegistryError && e.code === 'INVALID_INPUT');
  assert.throws(() => reg.savePairing(record(a, { publicKey: new Uint8Array(31) })), { code: 'INVALID_INPUT' });
  assert.throws(() => reg.savePairing(record(a, { bond: bond('C1:22:33:44:55:66', { keySize: 20 }) })), { code: 'INVALID_INPUT' });
  assert.equal(reg.list().length, 0);
  assert.equal(reg.listBonds().length, 0);
});

test('the session id of the code that paired a device is remembered (not the code): usedCode finds it after reopen and after removal', async (t) => {
  const home = tempHome(t);
  let clock = 1_700_000_000_000;
  const reg = await DeviceRegistry.open({ home, now: () => clock });
  const peer = newPeer();
  const sessionId = new Uint8Array(32).fill(7);
  const device = reg.savePairing(record(peer, { name: 'phone', codeSessionId: sessionId }));
  assert.deepEqual(reg.usedCode(sessionId), { deviceId: device.deviceId, deviceName: 'phone', usedAt: clock });
  assert.equal(reg.usedCode(new Uint8Array(32).fill(8)), undefined);
  assert.throws(() => reg.usedCode(new Uint8Array(16)), (e: RegistryError) => e.code === 'INVALID_INPUT');
  assert.throws(() => reg.savePairing(record(newPeer(), { codeSessionId: new Uint8Array(3) })), (e: RegistryError) => e.code === 'INVALID_INPUT');
  reg.remove(device.deviceId);
  reg.close();

  const again = await DeviceRegistry.open({ home, now: () => clock });
  t.after(() => again.close());
  assert.equal(again.usedCode(sessionId)?.deviceName, 'phone', 'a removed device\'s code stays used');
  // A month later, the next pairing prunes it.
  clock += 31 * 24 * 3600 * 1000;
  const other = new Uint8Array(32).fill(9);
  again.savePairing(record(newPeer(), { codeSessionId: other }));
  assert.equal(again.usedCode(sessionId), undefined);
  assert.equal(again.usedCode(other)?.usedAt, clock);
});
