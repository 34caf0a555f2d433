import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DB_FILE_NAME, DeviceRegistry, KEY_FILE_NAME, homePath, resolveHome } from '../src/index.js';
import { newPeer, record, tempHome } from './helpers/fixtures.js';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('home 0700 and key, db, -wal, -shm files 0600 even with umask 000', async (t) => {
  const dir = tempHome(t);
  const home = path.join(dir, 'home');
  const old = process.umask(0);
  t.after(() => process.umask(old));
  const reg = await DeviceRegistry.open({ home });
  t.after(() => reg.close());
  reg.savePairing(record(newPeer()));
  const db = path.join(home, DB_FILE_NAME);
  assert.equal(mode(home), 0o700);
  assert.equal(mode(path.join(home, KEY_FILE_NAME)), 0o600);
  assert.equal(mode(db), 0o600);
  assert.ok(fs.existsSync(`${db}-wal`), 'WAL file exists while open');
  assert.equal(mode(`${db}-wal`), 0o600);
  assert.equal(mode(`${db}-shm`), 0o600);
  // nothing else (no leftover temp key files)
  assert.deepEqual(fs.readdirSync(home).sort(), [KEY_FILE_NAME, DB_FILE_NAME, `${DB_FILE_NAME}-shm`, `${DB_FILE_NAME}-wal`].sort());
});

test('an existing home with loose permissions is tightened to 0700', async (t) => {
  const home = tempHome(t);
  fs.chmodSync(home, 0o755);
  assert.equal(resolveHome({ home }), home);
  assert.equal(mode(home), 0o700);
});

test('home resolution: --home, then PAIRKIT_HOME, then XDG_DATA_HOME, then ~/.local/share', () => {
  const env = { PAIRKIT_HOME: '/p/home', XDG_DATA_HOME: '/xdg', HOME: '/users/me' };
  assert.equal(homePath({ home: '/explicit', env }), '/explicit');
  assert.equal(homePath({ env }), '/p/home');
  assert.equal(homePath({ env: { XDG_DATA_HOME: '/xdg', HOME: '/users/me' } }), '/xdg/pairkit');
  assert.equal(homePath({ env: { HOME: '/users/me' } }), '/users/me/.local/share/pairkit');
  // a relative XDG_DATA_HOME is invalid per the XDG spec and ignored
  assert.equal(homePath({ env: { XDG_DATA_HOME: 'rel', HOME: '/users/me' } }), '/users/me/.local/share/pairkit');
  assert.equal(homePath({ home: 'rel/dir', env }), path.resolve('rel/dir'));
});

test('the key file holds the identity; the name lives in the database and survives reopen', async (t) => {
  const home = tempHome(t);
  const a = await DeviceRegistry.open({ home, env: {} });
  assert.equal(a.identity().name, os.hostname());
  a.setName('kitchen tablet');
  assert.throws(() => a.setName('   '), { code: 'INVALID_INPUT' });
  assert.throws(() => a.setName('bad\nname'), { code: 'INVALID_INPUT' });
  a.close();
  const b = await DeviceRegistry.open({ home });
  t.after(() => b.close());
  assert.equal(b.identity().name, 'kitchen tablet');
  const key = JSON.parse(fs.readFileSync(path.join(home, KEY_FILE_NAME), 'utf8')) as Record<string, unknown>;
  assert.equal(key.format, 'pairkit-identity');
  assert.equal(Buffer.from(b.identity().privateKey).toString('hex'), key.ed25519Seed);
});
