import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { DB_FILE_NAME, DeviceRegistry, KEY_FILE_NAME, RegistryError, SCHEMA_VERSION, type RegistryErrorCode } from '../src/index.js';
import { newPeer, record, tempHome } from './helpers/fixtures.js';
import { giveToOther, runChild } from './helpers/proc.js';

const refused = (code: RegistryErrorCode) => (e: unknown) => {
  assert.ok(e instanceof RegistryError, `expected RegistryError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

/** A home with one paired device in it, closed again. */
async function populatedHome(t: Parameters<typeof tempHome>[0]): Promise<{ home: string; file: string; deviceId: string }> {
  const home = tempHome(t);
  const reg = await DeviceRegistry.open({ home });
  const { deviceId } = reg.savePairing(record(newPeer()));
  reg.close();
  return { home, file: path.join(home, DB_FILE_NAME), deviceId };
}

test('a newer schema version is refused and the file is not touched', async (t) => {
  const { home, file, deviceId } = await populatedHome(t);
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  const before = fs.readFileSync(file);
  await assert.rejects(DeviceRegistry.open({ home }), (e: unknown) => {
    refused('SCHEMA_TOO_NEW')(e);
    assert.match((e as Error).message, /newer/);
    return true;
  });
  assert.deepEqual(fs.readFileSync(file), before);
  // still readable by the newer version it belongs to
  const raw = new Database(file, { readonly: true });
  t.after(() => raw.close());
  assert.equal((raw.prepare('SELECT device_id FROM devices').get() as { device_id: string }).device_id, deviceId);
});

test('a file of random bytes is refused as corrupt and left as it was', async (t) => {
  const home = tempHome(t);
  const file = path.join(home, DB_FILE_NAME);
  const junk = randomBytes(8192);
  fs.writeFileSync(file, junk, { mode: 0o600 });
  await assert.rejects(DeviceRegistry.open({ home }), refused('CORRUPT_DATABASE'));
  assert.deepEqual(fs.readFileSync(file), junk);
  assert.equal(fs.existsSync(`${file}-wal`), false);
});

test('a registry with damaged pages is refused as corrupt and left as it was', async (t) => {
  const home = tempHome(t);
  const reg = await DeviceRegistry.open({ home });
  for (let i = 0; i < 60; i++) reg.savePairing(record(newPeer(), { name: `device ${i} `.repeat(8) }));
  reg.close();
  const file = path.join(home, DB_FILE_NAME);
  const bytes = fs.readFileSync(file);
  assert.ok(bytes.length > 4096 * 4);
  // keep the header page, scribble over the rest of the b-tree pages
  randomBytes(bytes.length - 4096).copy(bytes, 4096);
  fs.writeFileSync(file, bytes);
  await assert.rejects(DeviceRegistry.open({ home }), refused('CORRUPT_DATABASE'));
  assert.deepEqual(fs.readFileSync(file), bytes);
});

test('an SQLite database of another application is refused and left as it was', async (t) => {
  const home = tempHome(t);
  const file = path.join(home, DB_FILE_NAME);
  const other = new Database(file);
  other.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');`);
  other.close();
  const before = fs.readFileSync(file);
  await assert.rejects(DeviceRegistry.open({ home }), refused('FOREIGN_DATABASE'));
  assert.deepEqual(fs.readFileSync(file), before);
  // even one that happens to use user_version but not our application id
  const db2 = new Database(file);
  db2.pragma('user_version = 1');
  db2.close();
  const before2 = fs.readFileSync(file);
  await assert.rejects(DeviceRegistry.open({ home }), refused('FOREIGN_DATABASE'));
  assert.deepEqual(fs.readFileSync(file), before2);
});

test('a key file readable by others is refused with a chmod hint, and not changed', async (t) => {
  const home = tempHome(t);
  (await DeviceRegistry.open({ home })).close();
  const key = path.join(home, KEY_FILE_NAME);
  const before = fs.readFileSync(key);
  fs.chmodSync(key, 0o644);
  await assert.rejects(DeviceRegistry.open({ home }), (e: unknown) => {
    refused('KEY_FILE_PERMISSIONS')(e);
    assert.match((e as RegistryError).hint ?? '', /chmod 600/);
    return true;
  });
  assert.equal(fs.statSync(key).mode & 0o777, 0o644);
  assert.deepEqual(fs.readFileSync(key), before);
  fs.chmodSync(key, 0o600); // the fix from the hint works
  (await DeviceRegistry.open({ home })).close();
});

test('a damaged key file is refused, never replaced by a new identity', async (t) => {
  const home = tempHome(t);
  (await DeviceRegistry.open({ home })).close();
  const key = path.join(home, KEY_FILE_NAME);
  fs.writeFileSync(key, '{"format":"pairkit-identity","version":1,"ed25519Seed":"zz"}', { mode: 0o600 });
  const before = fs.readFileSync(key);
  await assert.rejects(DeviceRegistry.open({ home }), refused('CORRUPT_KEY_FILE'));
  assert.deepEqual(fs.readFileSync(key), before);
});

test('a home that is a file, or under a file, is refused', async (t) => {
  const dir = tempHome(t);
  const file = path.join(dir, 'not-a-folder');
  fs.writeFileSync(file, 'x');
  await assert.rejects(DeviceRegistry.open({ home: file }), refused('HOME_NOT_DIRECTORY'));
  await assert.rejects(DeviceRegistry.open({ home: path.join(file, 'sub') }), refused('HOME_NOT_DIRECTORY'));
  assert.equal(fs.readFileSync(file, 'utf8'), 'x');
});

test('a missing home is created, parents included, 0700', async (t) => {
  const dir = tempHome(t);
  const home = path.join(dir, 'a', 'b', 'pairkit');
  const reg = await DeviceRegistry.open({ home });
  reg.close();
  assert.equal(fs.statSync(home).mode & 0o777, 0o700);
});

test('a read-only home is refused with HOME_NOT_WRITABLE and its registry is kept', async (t) => {
  const dir = tempHome(t);
  const home = path.join(dir, 'home');
  giveToOther(dir);
  const first = await runChild(['write', home, '3'], { asOther: true });
  assert.equal(first.out.ok, true, first.out.message);
  const file = path.join(home, DB_FILE_NAME);
  const before = fs.readFileSync(file);
  fs.chmodSync(home, 0o500);
  let second;
  try {
    second = await runChild(['open', home], { asOther: true });
  } finally {
    fs.chmodSync(home, 0o700); // so the temp folder can be cleaned up
  }
  assert.equal(second.out.ok, false);
  assert.equal(second.out.code, 'HOME_NOT_WRITABLE', second.out.message);
  assert.match(second.out.hint ?? '', /--home|PAIRKIT_HOME|permissions/);
  assert.deepEqual(fs.readFileSync(file), before);
});

test('a home we cannot create (parent not writable) is refused', async (t) => {
  const dir = tempHome(t);
  const parent = path.join(dir, 'locked');
  fs.mkdirSync(parent, { mode: 0o500 });
  giveToOther(dir);
  const r = await runChild(['open', path.join(parent, 'pairkit')], { asOther: true });
  assert.equal(r.out.ok, false);
  assert.equal(r.out.code, 'HOME_NOT_WRITABLE', r.out.message);
  assert.equal(fs.existsSync(path.join(parent, 'pairkit')), false);
});

// Regression: a caller whose own recursion ran the stack out inside a registry call got
// "STORAGE: registry storage error ...: Maximum call stack size exceeded", which pointed at
// the database instead of the caller's recursion (seen from CLI children in bootstrap e2e).
test("a caller's own stack overflow inside a registry call comes back as its RangeError, not a STORAGE error", async (t) => {
  const home = tempHome(t);
  const reg = await DeviceRegistry.open({ home });
  t.after(() => reg.close());
  const { deviceId } = reg.savePairing(record(newPeer()));
  // An id whose toString() recurses: the overflow happens inside the registry's read and
  // write wrappers (get and touch stringify the id there), with room left to map the error.
  const runaway = { toString(): string { return `${String(this)}`; } } as unknown as string;
  for (const call of [() => reg.get(runaway), () => reg.touch(runaway), () => reg.isRevoked(runaway), () => reg.markRevocationNotified(runaway)]) {
    assert.throws(call, (e: unknown) => {
      assert.ok(!(e instanceof RegistryError), `got ${String(e)}`);
      assert.ok(e instanceof RangeError, `expected the caller's RangeError, got ${String(e)}`);
      return true;
    });
  }
  // nothing half-written, and the registry still works
  assert.equal(reg.list().length, 1);
  assert.equal(reg.touch(deviceId, { lastSeenAt: 5 }).lastSeenAt, 5);
});

test('SQLite failures are still typed registry errors', async (t) => {
  const home = tempHome(t);
  const reg = await DeviceRegistry.open({ home });
  const { deviceId } = reg.savePairing(record(newPeer()));
  reg.close();
  // a second connection holds the write lock: our write is BUSY, typed, and loses nothing
  const again = await DeviceRegistry.open({ home, busyTimeoutMs: 50 });
  t.after(() => again.close());
  const other = new Database(path.join(home, DB_FILE_NAME));
  t.after(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  assert.throws(() => again.setName('x'), refused('BUSY'));
  other.exec('ROLLBACK');
  assert.equal(again.get(deviceId)?.deviceId, deviceId);
});
