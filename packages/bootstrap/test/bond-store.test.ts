import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceRegistry, type PairingRecord } from '@pairkit/registry';
import { BondingStore } from '../src/index.js';

function registry(t: { after: (fn: () => unknown) => void }, name: string): DeviceRegistry {
  const home = mkdtempSync(path.join(tmpdir(), `pairkit-boot-store-${name}-`));
  const r = DeviceRegistry.openSync({ home, env: {} });
  t.after(() => {
    r.close();
    rmSync(home, { recursive: true, force: true });
  });
  return r;
}

function recordOf(peer: DeviceRegistry): PairingRecord {
  const id = peer.identity();
  return { peerId: id.peerId, publicKey: id.publicKey, name: id.name, os: id.os, appVersion: id.appVersion, method: 'network', sessionKeys: { tx: new Uint8Array(32).fill(1), rx: new Uint8Array(32).fill(2) } };
}

const bond = { address: 'C1:02:03:04:05:06', addressType: 'random' as const, ltk: new Uint8Array(16).fill(9), keySize: 16, authenticated: true, secureConnections: true };

test('BondingStore: the bond rides in the same savePairing as the network identity, once, for the expected peer only', (t) => {
  const ours = registry(t, 'ours');
  const peer = registry(t, 'peer');
  const other = registry(t, 'other');
  const store = new BondingStore(ours);

  // Nothing attached: a plain network pairing.
  store.savePairing(recordOf(other));
  assert.equal(ours.findByPeerId(other.identity().peerId)?.method, 'network');

  // Attached for `peer`: a pairing with someone else does not take it.
  store.attach(bond, peer.identity().peerId);
  ours.remove(ours.findByPeerId(other.identity().peerId)!.deviceId);
  store.savePairing(recordOf(other));
  assert.equal(ours.findByPeerId(other.identity().peerId)?.bond, undefined);
  const before = store.saved;
  assert.equal(before, undefined);

  const saved = store.savePairing(recordOf(peer));
  assert.equal(saved.method, 'both');
  assert.equal(saved.bond?.address, bond.address);
  assert.deepEqual(saved.sessionKeys?.tx, new Uint8Array(32).fill(1));
  assert.equal(store.saved?.deviceId, saved.deviceId);
  assert.equal(ours.listBonds().length, 1);

  // Used once: a later pairing is plain again.
  const again = store.savePairing({ ...recordOf(peer) });
  assert.equal(again.method, 'both', 'methods merge in the registry');
  assert.equal(ours.listBonds().length, 1);
});
