// The commit action against two real SQLite registries (@pairkit/registry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { DeviceRegistry } from '@pairkit/registry';
import { PairingCode, pairingRecordFrom, type LocalDevice } from '../src/index.js';
import { makeHandler, wire } from './helpers/peers.js';

function openRegistry(t: { after: (fn: () => void) => void }, name: string): DeviceRegistry {
  const home = mkdtempSync(joinPath(tmpdir(), `pairkit-pairing-${name}-`));
  const registry = DeviceRegistry.openSync({ home });
  registry.setName(name);
  t.after(() => {
    registry.close();
    rmSync(home, { recursive: true, force: true });
  });
  return registry;
}

function localOf(registry: DeviceRegistry): LocalDevice {
  const id = registry.identity();
  return { deviceId: id.deviceId, peerId: id.peerId, publicKey: id.publicKey, privateKey: id.privateKey, info: { name: id.name, os: id.os, appVersion: id.appVersion } };
}

test('two real registries end up holding each other with crossed session keys', (t) => {
  const ra = openRegistry(t, 'alice');
  const rb = openRegistry(t, 'bob');
  const a = localOf(ra);
  const b = localOf(rb);
  const ha = makeHandler(a);
  const hb = makeHandler(b);
  const session = ha.createInitiatorSession({ now: 0 });
  const link = wire(
    hb.startJoiner({ code: session.code.toString(), remotePeerId: a.peerId, remotePublicKey: a.publicKey, now: 0 }),
    ha.acceptInbound({ remotePeerId: b.peerId, remotePublicKey: b.publicKey, now: 0 }),
    { onCommit: (side, result) => (side === 'initiator' ? ra : rb).savePairing(pairingRecordFrom(result)) },
  );
  assert.ok(link.initiator.completed && link.joiner.completed);
  const bobAtAlice = ra.get(b.deviceId);
  const aliceAtBob = rb.get(a.deviceId);
  assert.ok(bobAtAlice && aliceAtBob);
  assert.equal(bobAtAlice.name, 'bob');
  assert.equal(aliceAtBob.peerId, a.peerId);
  assert.equal(bobAtAlice.method, 'network');
  assert.deepEqual(bobAtAlice.sessionKeys?.tx, aliceAtBob.sessionKeys?.rx);
  assert.deepEqual(bobAtAlice.sessionKeys?.rx, aliceAtBob.sessionKeys?.tx);
});

test('a failed pairing leaves both real registries untouched', (t) => {
  const ra = openRegistry(t, 'alice');
  const rb = openRegistry(t, 'bob');
  const a = localOf(ra);
  const b = localOf(rb);
  const ha = makeHandler(a);
  ha.createInitiatorSession({ now: 0 });
  const link = wire(
    makeHandler(b).startJoiner({ code: PairingCode.generate(), remotePeerId: a.peerId, remotePublicKey: a.publicKey, now: 0 }),
    ha.acceptInbound({ remotePeerId: b.peerId, remotePublicKey: b.publicKey, now: 0 }),
    { onCommit: (side, result) => (side === 'initiator' ? ra : rb).savePairing(pairingRecordFrom(result)) },
  );
  assert.equal(link.joiner.failed?.code, 'UNKNOWN_SESSION');
  assert.deepEqual(ra.list(), []);
  assert.deepEqual(rb.list(), []);
});
