import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DeviceRegistry } from '@pairkit/registry';
import { isRoot, oneJson, pair, tempDir } from './helpers/pair.js';
import { addDevice, bondFor, uniquePrefix } from './helpers/devices.js';

interface Whoami { deviceId: string; peerId: string; name: string; os: string; appVersion: string; bleAddress: string; home: string }
interface ListItem { deviceId: string; peerId: string; name: string; pairedAt: string; method: string; lastSeenAt: string | null; hasBond: boolean }

test('whoami --json: one object with the identity, the same on every run', async (t) => {
  const home = tempDir(t);
  const a = await pair(['--home', home, 'whoami', '--json']);
  assert.equal(a.status, 0, a.stderr);
  const id = oneJson<Whoami>(a);
  assert.match(id.deviceId, /^[a-z2-7]{32}$/);
  assert.match(id.peerId, /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/);
  assert.equal(typeof id.name, 'string');
  assert.ok(id.name.length > 0);
  assert.equal(typeof id.os, 'string');
  assert.equal(id.appVersion, '0.1.0');
  assert.match(id.bleAddress, /^[C-F][0-9A-F](:[0-9A-F]{2}){5}$/);
  assert.equal(id.home, home);
  const b = oneJson<Whoami>(await pair(['whoami', '--json', '--home', home]));
  assert.deepEqual(b, id);
  // human form shows the same ids
  const human = await pair(['--home', home, 'whoami']);
  assert.equal(human.status, 0);
  assert.ok(human.stdout.includes(id.deviceId) && human.stdout.includes(id.peerId));
  // and the registry API agrees
  const reg = await DeviceRegistry.open({ home });
  t.after(() => reg.close());
  assert.equal(reg.identity().deviceId, id.deviceId);
});

test('PAIRKIT_HOME and XDG_DATA_HOME are honoured when --home is not given', async (t) => {
  const dir = tempDir(t);
  const viaEnv = oneJson<Whoami>(await pair(['whoami', '--json'], { env: { PAIRKIT_HOME: path.join(dir, 'p') } }));
  assert.equal(viaEnv.home, path.join(dir, 'p'));
  assert.ok(fs.existsSync(path.join(dir, 'p', 'identity.key')));
  const viaXdg = oneJson<Whoami>(await pair(['whoami', '--json'], { env: { XDG_DATA_HOME: path.join(dir, 'x') } }));
  assert.equal(viaXdg.home, path.join(dir, 'x', 'pairkit'));
  assert.notEqual(viaXdg.deviceId, viaEnv.deviceId);
  // --home wins over the environment
  const viaFlag = oneJson<Whoami>(await pair(['--home', path.join(dir, 'f'), 'whoami', '--json'], { env: { PAIRKIT_HOME: path.join(dir, 'p') } }));
  assert.equal(viaFlag.home, path.join(dir, 'f'));
});

test('list --json: an empty array, then the devices the registry holds', async (t) => {
  const home = tempDir(t);
  const empty = await pair(['--home', home, 'list', '--json']);
  assert.equal(empty.status, 0, empty.stderr);
  assert.deepEqual(oneJson(empty), []);
  const a = await addDevice(home, { name: 'desk', pairedAt: Date.UTC(2026, 0, 2, 3, 4, 5) });
  const b = await addDevice(home, { name: 'phone', method: 'both', bond: bondFor('C1:02:03:04:05:06') });
  const list = oneJson<ListItem[]>(await pair(['--home', home, 'list', '--json']));
  assert.equal(list.length, 2);
  const byId = new Map(list.map((d) => [d.deviceId, d]));
  const da = byId.get(a.deviceId)!;
  assert.equal(da.peerId, a.peerId);
  assert.equal(da.name, 'desk');
  assert.equal(da.pairedAt, '2026-01-02T03:04:05.000Z');
  assert.equal(da.method, 'network');
  assert.equal(da.lastSeenAt, null);
  assert.equal(da.hasBond, false);
  assert.equal(byId.get(b.deviceId)!.hasBond, true);
  assert.equal(byId.get(b.deviceId)!.method, 'both');
  const human = await pair(['--home', home, 'list']);
  assert.match(human.stdout, /desk/);
  assert.match(human.stdout, /phone/);
});

test('show by id prefix and by name, without printing any key', async (t) => {
  const home = tempDir(t);
  const b = bondFor('C2:02:03:04:05:06');
  const d = await addDevice(home, { name: 'tablet', method: 'both', bond: b });
  const prefix = d.deviceId.slice(0, 6);
  const r = await pair(['--home', home, 'show', prefix, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const shown = oneJson<Record<string, any>>(r);
  assert.equal(shown.deviceId, d.deviceId);
  assert.equal(shown.sessionKeys.present, true);
  assert.match(shown.sessionKeys.fingerprint, /^([0-9a-f]{2}:){7}[0-9a-f]{2}$/);
  assert.equal(shown.bond.address, 'C2:02:03:04:05:06');
  assert.equal(shown.bond.hasLtk, true);
  const human = await pair(['--home', home, 'show', 'tablet']);
  assert.equal(human.status, 0);
  assert.match(human.stdout, new RegExp(d.deviceId));
  for (const secret of [d.sessionKeys!.tx, d.sessionKeys!.rx, b.ltk, b.irk]) {
    const hex = Buffer.from(secret).toString('hex');
    assert.ok(!r.stdout.includes(hex) && !human.stdout.includes(hex), 'a key was printed');
    assert.ok(!human.stdout.includes(Buffer.from(secret).toString('base64')), 'a key was printed');
  }
});

test('unknown device: exit 3 with a message, for show and remove', async (t) => {
  const home = tempDir(t);
  await addDevice(home);
  const show = await pair(['--home', home, 'show', 'nosuchdevice']);
  assert.equal(show.status, 3);
  assert.match(show.stderr, /no paired device matches "nosuchdevice"/);
  const rm = await pair(['--home', home, 'remove', 'nosuchdevice', '--yes', '--json']);
  assert.equal(rm.status, 3);
  assert.equal(rm.stdout, '');
  assert.equal(JSON.parse(rm.stderr.trim()).code, 'NOT_FOUND');
});

test('an ambiguous name is a usage error (exit 2) listing the candidates', async (t) => {
  const home = tempDir(t);
  const a = await addDevice(home, { name: 'twin' });
  await addDevice(home, { name: 'twin' });
  const r = await pair(['--home', home, 'show', 'twin']);
  assert.equal(r.status, 2);
  assert.ok(r.stderr.includes(a.deviceId.slice(0, 8)));
});

test('remove by prefix: asks without --yes (refuses with no terminal), removes with --yes', async (t) => {
  const home = tempDir(t);
  const keep = await addDevice(home, { name: 'keep' });
  const gone = await addDevice(home, { name: 'gone', bond: bondFor('C3:02:03:04:05:06'), method: 'both' });
  const prefix = uniquePrefix(gone.deviceId, [keep.deviceId]);
  const noTty = await pair(['--home', home, 'remove', prefix]);
  assert.equal(noTty.status, 2);
  assert.match(noTty.stderr, /--yes/);
  assert.equal(oneJson<ListItem[]>(await pair(['--home', home, 'list', '--json'])).length, 2, 'nothing removed without confirmation');

  const r = await pair(['--home', home, 'remove', prefix, '--yes']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /removed gone/);
  const left = oneJson<ListItem[]>(await pair(['--home', home, 'list', '--json']));
  assert.deepEqual(left.map((d) => d.deviceId), [keep.deviceId]);
  const reg = await DeviceRegistry.open({ home });
  t.after(() => reg.close());
  assert.equal(reg.getBond('C3:02:03:04:05:06'), undefined, 'the bond went with the device');
  assert.deepEqual(reg.pendingRevocations().map((p) => p.deviceId), [gone.deviceId]);
});

test('remove --json needs no prompt and prints one result object', async (t) => {
  const home = tempDir(t);
  const d = await addDevice(home, { name: 'old' });
  const r = await pair(['--home', home, '--json', 'remove', d.deviceId]);
  assert.equal(r.status, 0, r.stderr);
  const out = oneJson<Record<string, unknown>>(r);
  assert.equal(out.removed, true);
  assert.equal(out.deviceId, d.deviceId);
  assert.equal(out.peerNotified, false);
});

test('rename changes the name whoami reports', async (t) => {
  const home = tempDir(t);
  assert.equal((await pair(['--home', home, 'rename', 'studio mac'])).status, 0);
  assert.equal(oneJson<Whoami>(await pair(['--home', home, 'whoami', '--json'])).name, 'studio mac');
  assert.equal((await pair(['--home', home, 'rename', 'bad\u0007name'])).status, 2);
});

test('usage errors exit 2', async (t) => {
  const home = tempDir(t);
  for (const args of [['bogus'], ['show'], ['list', '--no-such-option'], ['remove'], []]) {
    const r = await pair(['--home', home, ...args]);
    assert.equal(r.status, 2, `pair ${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.length > 0, 'says what is wrong');
  }
  const j = await pair(['--home', home, '--json', 'bogus']);
  assert.equal(j.status, 2);
  assert.equal(JSON.parse(j.stderr.trim().split('\n').pop()!).exitCode, 2);
});

test('--help works on the program and on every command it lists, and --version', async () => {
  const top = await pair(['--help']);
  assert.equal(top.status, 0);
  const section = top.stdout.split(/^Commands:$/m)[1] ?? '';
  const names = [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  for (const required of ['whoami', 'list', 'show', 'remove']) assert.ok(names.includes(required), `${required} listed`);
  for (const name of names) {
    const r = await pair([name, '--help']);
    assert.equal(r.status, 0, `pair ${name} --help`);
    assert.match(r.stdout, new RegExp(`^Usage: pair ${name}`, 'm'));
  }
  const v = await pair(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), '0.1.0');
});

test('a corrupt registry: exit 6, a clear message, and the file unchanged', async (t) => {
  const home = tempDir(t);
  await addDevice(home);
  const file = path.join(home, 'registry.db');
  const bytes = Buffer.from(fs.readFileSync(file));
  bytes.fill(0x5a, 0, 16); // destroy the header
  fs.writeFileSync(file, bytes);
  for (const cmd of [['list'], ['whoami', '--json']]) {
    const r = await pair(['--home', home, ...cmd]);
    assert.equal(r.status, 6, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(file), 'names the file');
    assert.ok(/corrupt/i.test(r.stderr), r.stderr);
  }
  assert.deepEqual(fs.readFileSync(file), bytes);
});

test('a key file readable by others: exit 6 with the chmod fix', async (t) => {
  const home = tempDir(t);
  assert.equal((await pair(['--home', home, 'whoami'])).status, 0);
  fs.chmodSync(path.join(home, 'identity.key'), 0o640);
  const r = await pair(['--home', home, 'whoami']);
  assert.equal(r.status, 6);
  assert.match(r.stderr, /hint: chmod 600/);
});

test('a home that is a file: exit 6', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, 'x');
  const r = await pair(['--home', file, 'list', '--json']);
  assert.equal(r.status, 6);
  assert.equal(JSON.parse(r.stderr.trim()).code, 'HOME_NOT_DIRECTORY');
});

test('a read-only home: exit 6 with HOME_NOT_WRITABLE, registry kept', async (t) => {
  const dir = tempDir(t);
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { mode: 0o700 });
  if (isRoot) {
    fs.chownSync(dir, 65534, 65534);
    fs.chownSync(home, 65534, 65534);
  }
  const first = await pair(['--home', home, 'whoami', '--json'], { asOther: true });
  assert.equal(first.status, 0, first.stderr);
  const db = path.join(home, 'registry.db');
  const before = fs.readFileSync(db);
  fs.chmodSync(home, 0o500);
  let r;
  try {
    r = await pair(['--home', home, '--json', 'list'], { asOther: true });
  } finally {
    fs.chmodSync(home, 0o700);
  }
  assert.equal(r.status, 6);
  assert.equal(JSON.parse(r.stderr.trim()).code, 'HOME_NOT_WRITABLE');
  assert.deepEqual(fs.readFileSync(db), before);
});

test('-v turns on pairkit debug logging on stderr; without it stderr stays quiet', async (t) => {
  const home = tempDir(t);
  const loud = await pair(['-v', '--home', home, 'whoami', '--json']);
  assert.equal(loud.status, 0);
  assert.match(loud.stderr, /pairkit:registry/);
  oneJson(loud); // stdout still one clean JSON line
  const quiet = await pair(['--home', home, 'whoami', '--json']);
  assert.equal(quiet.stderr, '');
});
