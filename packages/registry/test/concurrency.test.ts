import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DeviceRegistry } from '../src/index.js';
import { tempHome } from './helpers/fixtures.js';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHILD, runChild } from './helpers/proc.js';

test('two processes writing 200 pairings each at once into a fresh home: all 400 are kept', async (t) => {
  const home = tempHome(t);
  const barrier = path.join(tempHome(t), 'barrier');
  fs.mkdirSync(barrier);
  // Both start on an empty folder, so they also race to create the identity and the schema.
  // SQLite's busy handler is not a fair queue: one writer can hold off the other for its whole
  // run of 200 fsync'd transactions, which took over the default 10 s on loaded CI cores. What
  // is tested here is that nothing is lost, so the wait is only a hang detector: 60 s.
  const env = { BUSY_MS: '60000' };
  const [a, b] = await Promise.all([runChild(['write', home, '200', barrier, '2'], { env }), runChild(['write', home, '200', barrier, '2'], { env })]);
  assert.equal(a.out.ok, true, `${a.out.code}: ${a.out.message} ${a.stderr}`);
  assert.equal(b.out.ok, true, `${b.out.code}: ${b.out.message} ${b.stderr}`);
  assert.equal(a.out.written, 200);
  assert.equal(b.out.written, 200);
  assert.equal(a.out.deviceId, b.out.deviceId, 'both processes must end up with the same identity');

  const reg = await DeviceRegistry.open({ home });
  t.after(() => reg.close());
  const devices = reg.list();
  assert.equal(devices.length, 400);
  assert.equal(new Set(devices.map((d) => d.deviceId)).size, 400);
  assert.ok(devices.every((d) => d.sessionKeys !== undefined));
  assert.equal(reg.identity().deviceId, a.out.deviceId);
});

test('a writer killed with SIGKILL mid-stream leaves only complete entries and a sound database', async (t) => {
  const home = tempHome(t);
  const reader = await DeviceRegistry.open({ home });
  t.after(() => reader.close());
  let total = 0;
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, [CHILD, 'write-forever', home], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    t.after(() => child.kill('SIGKILL'));
    // let it get well into its stream of writes, then pull the plug at an arbitrary point
    while (reader.list().length < total + 25) await sleep(10);
    child.kill('SIGKILL');
    await exited;
    total = reader.list().length;
  }
  reader.close();
  const reg = await DeviceRegistry.open({ home }); // runs quick_check: refuses a damaged file
  t.after(() => reg.close());
  const devices = reg.list();
  assert.ok(devices.length >= 75);
  for (const d of devices) {
    assert.ok(d.sessionKeys, `device ${d.deviceId} lost its session keys`);
    assert.ok(d.bond, `device ${d.deviceId} lost its bond`);
    assert.equal(d.method, 'both');
  }
  assert.equal(reg.listBonds().length, devices.length, 'no bond without its device');
});
