import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE_NAME, DeviceRegistry, RegistryError, type RegistryChange } from '../src/index.js';
import { bond, newPeer, record, tempHome } from './helpers/fixtures.js';

async function open(t: Parameters<typeof tempHome>[0]) {
  const home = tempHome(t);
  const reg = await DeviceRegistry.open({ home });
  t.after(() => reg.close());
  return { home, reg };
}

test('a BLE-only bond exists without a device and is found by address', async (t) => {
  const { reg } = await open(t);
  const saved = reg.saveBond(bond('d0:11:22:33:44:55', { irk: new Uint8Array(16) /* all zero, like ble-host sends */ }));
  assert.equal(saved.deviceId, undefined);
  assert.equal(saved.irk, undefined, 'an all-zero IRK is no IRK');
  assert.equal(reg.list().length, 0);
  const got = reg.getBond('D0:11:22:33:44:55');
  assert.ok(got);
  assert.equal(got.keySize, 16);
  assert.equal(got.deviceId, undefined);
  assert.equal(reg.findByBleAddress('D0:11:22:33:44:55'), undefined, 'no device behind a BLE-only bond');
  assert.equal(reg.bondsWithIrk().length, 0);
  assert.throws(() => reg.getBond('not an address'), { code: 'INVALID_INPUT' });
});

test('a bond linked to a device: found from both sides, one bond per device, method becomes both', async (t) => {
  const { reg } = await open(t);
  const dev = reg.savePairing(record(newPeer(), { method: 'network' }));
  const b1 = bond('C4:00:00:00:00:01');
  reg.saveBond(b1, dev.deviceId);
  assert.equal(reg.get(dev.deviceId)?.method, 'both');
  assert.equal(reg.findByBleAddress('c4:00:00:00:00:01')?.deviceId, dev.deviceId);
  assert.deepEqual(reg.bondsWithIrk().map((b) => [b.address, b.deviceId]), [['C4:00:00:00:00:01', dev.deviceId]]);
  assert.deepEqual(reg.bondsWithIrk()[0]!.irk, b1.irk);
  // re-bonding with a new identity address replaces the old bond
  reg.saveBond(bond('C4:00:00:00:00:02'), dev.deviceId);
  assert.deepEqual(reg.listBonds().map((b) => b.address), ['C4:00:00:00:00:02']);
  // saving the same bond again without a device keeps the link
  reg.saveBond(bond('C4:00:00:00:00:02', { keySize: 7 }));
  assert.equal(reg.getBond('C4:00:00:00:00:02')?.deviceId, dev.deviceId);
  assert.equal(reg.getBond('C4:00:00:00:00:02')?.keySize, 7);
  // linking to an unknown device is refused and writes nothing
  assert.throws(() => reg.saveBond(bond('C4:00:00:00:00:03'), 'nosuchdevice'), (e: unknown) => e instanceof RegistryError && e.code === 'NOT_FOUND');
  assert.equal(reg.getBond('C4:00:00:00:00:03'), undefined);
  // removing the bond leaves the device, network only
  assert.equal(reg.removeBond('C4:00:00:00:00:02'), true);
  assert.equal(reg.removeBond('C4:00:00:00:00:02'), false);
  assert.equal(reg.get(dev.deviceId)?.method, 'network');
  assert.equal(reg.get(dev.deviceId)?.bond, undefined);
});

test('remove deletes the device, its session keys and its bond, and queues a revocation', async (t) => {
  const { home, reg } = await open(t);
  const keep = reg.savePairing(record(newPeer(), { name: 'keep', bond: bond('C5:00:00:00:00:01') }));
  const gone = reg.savePairing(record(newPeer(), { name: 'gone', method: 'both', bond: bond('C5:00:00:00:00:02') }));
  reg.saveBond(bond('C5:00:00:00:00:03')); // BLE-only, unrelated
  const removed = reg.remove(gone.deviceId);
  assert.equal(removed?.name, 'gone');
  assert.ok(removed?.sessionKeys, 'the removed record still carries keys for telling the peer');
  assert.equal(reg.remove(gone.deviceId), undefined);
  assert.equal(reg.get(gone.deviceId), undefined);
  assert.equal(reg.getBond('C5:00:00:00:00:02'), undefined);
  assert.deepEqual(reg.listBonds().map((b) => b.address).sort(), ['C5:00:00:00:00:01', 'C5:00:00:00:00:03']);
  assert.ok(reg.get(keep.deviceId)?.sessionKeys);

  // check the rows are really gone from the file, not just hidden
  const raw = new Database(path.join(home, DB_FILE_NAME), { readonly: true });
  t.after(() => raw.close());
  assert.equal((raw.prepare('SELECT count(*) AS n FROM session_keys WHERE device_id = ?').get(gone.deviceId) as { n: number }).n, 0);
  assert.equal((raw.prepare('SELECT count(*) AS n FROM session_keys').get() as { n: number }).n, 1);

  assert.equal(reg.isRevoked(gone.deviceId), true);
  const pending = reg.pendingRevocations();
  assert.deepEqual(pending.map((p) => [p.deviceId, p.peerId]), [[gone.deviceId, gone.peerId]]);
  reg.markRevocationNotified(gone.deviceId);
  assert.equal(reg.pendingRevocations().length, 0);
  // pairing again clears the revocation
  reg.savePairing(record({ publicKey: gone.publicKey, peerId: gone.peerId }));
  assert.equal(reg.isRevoked(gone.deviceId), false);
});

test('change events for every kind of write, after the commit', async (t) => {
  const { reg } = await open(t);
  const events: RegistryChange[] = [];
  reg.on('change', (c) => {
    // listeners run after the commit: what they read is already there
    if (c.type === 'added') assert.ok(reg.get(c.device.deviceId));
    events.push(c);
  });
  const d = reg.savePairing(record(newPeer()));
  reg.touch(d.deviceId, { addresses: ['/ip4/127.0.0.2/tcp/9'], lastSeenAt: 5 });
  reg.saveBond(bond('C6:00:00:00:00:01'));
  reg.removeBond('C6:00:00:00:00:01');
  reg.remove(d.deviceId);
  assert.deepEqual(
    events.map((e) => e.type),
    ['added', 'updated', 'bond-saved', 'bond-removed', 'removed'],
  );
  const touched = events[1];
  assert.ok(touched?.type === 'updated');
  assert.equal(touched.device.lastSeenAt, 5);
  assert.deepEqual(touched.device.addresses, ['/ip4/127.0.0.2/tcp/9']);
  // a failed write emits nothing
  const n = events.length;
  assert.throws(() => reg.touch('nosuchdevice'), { code: 'NOT_FOUND' });
  assert.equal(events.length, n);
});

test('resolve: id, unique id prefix, name, peer id; ambiguous and unknown are typed errors', async (t) => {
  const { reg } = await open(t);
  const a = reg.savePairing(record(newPeer(), { name: 'Phone' }));
  const b = reg.savePairing(record(newPeer(), { name: 'twin' }));
  const c = reg.savePairing(record(newPeer(), { name: 'twin' }));
  assert.equal(reg.resolve(a.deviceId).deviceId, a.deviceId);
  assert.equal(reg.resolve(a.peerId).deviceId, a.deviceId);
  assert.equal(reg.resolve('Phone').deviceId, a.deviceId);
  assert.equal(reg.resolve('phone').deviceId, a.deviceId);
  // the shortest prefix that is unique among the three
  let n = 1;
  const others = [b.deviceId, c.deviceId];
  while (others.some((o) => o.startsWith(a.deviceId.slice(0, n)))) n++;
  assert.equal(reg.resolve(a.deviceId.slice(0, n)).deviceId, a.deviceId);
  assert.throws(() => reg.resolve('twin'), (e: unknown) => e instanceof RegistryError && e.code === 'AMBIGUOUS' && /twin|\(/.test(e.hint ?? ''));
  assert.throws(() => reg.resolve('zzzzzzzzzzzzzzzz'), { code: 'NOT_FOUND' });
  assert.throws(() => reg.resolve(''), { code: 'INVALID_INPUT' });
});

test('a closed registry refuses calls with CLOSED', async (t) => {
  const { reg } = await open(t);
  reg.close();
  reg.close();
  assert.throws(() => reg.list(), { code: 'CLOSED' });
  assert.throws(() => reg.savePairing(record(newPeer())), { code: 'CLOSED' });
});

test('pairing with our own identity is refused', async (t) => {
  const { reg } = await open(t);
  const me = reg.identity();
  assert.throws(() => reg.savePairing(record({ publicKey: me.publicKey, peerId: me.peerId })), { code: 'INVALID_INPUT' });
});
