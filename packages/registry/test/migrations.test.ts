import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID, DB_FILE_NAME, DeviceRegistry, SCHEMA_VERSION, deviceIdFromPublicKey } from '../src/index.js';
import { newPeer, tempHome } from './helpers/fixtures.js';

// The schema as pairkit's first release wrote it, typed out here on purpose: this is what
// an old file on a user's disk looks like, independent of today's migration code.
const V1_SQL = `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE devices (
    device_id TEXT PRIMARY KEY, peer_id TEXT NOT NULL UNIQUE, public_key BLOB NOT NULL,
    name TEXT NOT NULL, os TEXT NOT NULL, app_version TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('network','ble','both')),
    paired_at INTEGER NOT NULL, last_seen_at INTEGER, addresses TEXT NOT NULL DEFAULT '[]') STRICT;
  CREATE TABLE session_keys (
    device_id TEXT PRIMARY KEY REFERENCES devices(device_id) ON DELETE CASCADE,
    tx BLOB NOT NULL, rx BLOB NOT NULL, created_at INTEGER NOT NULL) STRICT;
  CREATE TABLE ble_bonds (
    address TEXT PRIMARY KEY, address_type TEXT NOT NULL CHECK (address_type IN ('public','random')),
    device_id TEXT REFERENCES devices(device_id) ON DELETE CASCADE,
    irk BLOB, ltk BLOB, ediv INTEGER, rand BLOB, local_ltk BLOB, local_ediv INTEGER, local_rand BLOB,
    csrk BLOB, link_key BLOB, key_size INTEGER NOT NULL CHECK (key_size BETWEEN 7 AND 16),
    authenticated INTEGER NOT NULL, secure_connections INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;
`;

test('a version 1 database is migrated to the current schema with its data intact', async (t) => {
  const home = tempHome(t);
  const file = path.join(home, DB_FILE_NAME);
  const peer = newPeer();
  const deviceId = deviceIdFromPublicKey(peer.publicKey);
  const old = new Database(file);
  old.exec(V1_SQL);
  old.pragma(`application_id = ${APPLICATION_ID}`);
  old.pragma('user_version = 1');
  old.prepare(`INSERT INTO settings VALUES ('name', 'old box')`).run();
  old.prepare(`INSERT INTO devices VALUES (?, ?, ?, 'phone', 'Android', '0.0.9', 'both', 1600000000000, NULL, '["/ip4/127.0.0.1/tcp/1"]')`)
    .run(deviceId, peer.peerId, Buffer.from(peer.publicKey));
  old.prepare(`INSERT INTO session_keys VALUES (?, ?, ?, 1600000000000)`).run(deviceId, Buffer.alloc(32, 1), Buffer.alloc(32, 2));
  old.prepare(`INSERT INTO ble_bonds (address, address_type, device_id, ltk, key_size, authenticated, secure_connections, created_at)
               VALUES ('C3:00:00:00:00:01', 'random', ?, ?, 16, 1, 1, 1600000000000)`).run(deviceId, Buffer.alloc(16, 3));
  old.close();
  fs.chmodSync(file, 0o600);

  const reg = await DeviceRegistry.open({ home });
  t.after(() => reg.close());
  const d = reg.get(deviceId);
  assert.ok(d, 'device from v1 survives');
  assert.equal(d.name, 'phone');
  assert.deepEqual(d.addresses, ['/ip4/127.0.0.1/tcp/1']);
  assert.deepEqual(d.sessionKeys?.tx, new Uint8Array(32).fill(1));
  assert.equal(d.bond?.address, 'C3:00:00:00:00:01');
  assert.equal(reg.identity().name, 'old box');
  // v2 and v3 features work on the migrated file
  reg.remove(deviceId);
  assert.deepEqual(reg.pendingRevocations().map((r) => r.deviceId), [deviceId]);
  const sessionId = new Uint8Array(32).fill(5);
  reg.savePairing({ peerId: peer.peerId, publicKey: peer.publicKey, name: 'phone', os: 'Android', appVersion: '0.1.0', method: 'network', codeSessionId: sessionId });
  assert.equal(reg.usedCode(sessionId)?.deviceId, deviceId);
  reg.close();

  const check = new Database(file, { readonly: true });
  t.after(() => check.close());
  assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(check.pragma('application_id', { simple: true }), APPLICATION_ID);
  assert.ok(SCHEMA_VERSION >= 3);
});

test('a brand new database gets the latest schema version and our application id', async (t) => {
  const home = tempHome(t);
  (await DeviceRegistry.open({ home })).close();
  const db = new Database(path.join(home, DB_FILE_NAME), { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
});
