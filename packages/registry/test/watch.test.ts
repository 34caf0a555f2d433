import test from 'node:test';
import assert from 'node:assert/strict';
import { DeviceRegistry, type RegistryChange } from '../src/index.js';
import { bond, newPeer, record, tempHome } from './helpers/fixtures.js';
import { runChild } from './helpers/proc.js';

/** Waits for `n` change events (the test runner's timeout bounds the wait). */
function collect(reg: DeviceRegistry, n: number): Promise<RegistryChange[]> {
  const got: RegistryChange[] = [];
  // the registry's poll timer is unref'd (it never keeps an app alive): hold the loop open here
  const keepAlive = setInterval(() => {}, 1000);
  return new Promise((resolve) => {
    const on = (c: RegistryChange) => {
      got.push(c);
      if (got.length < n) return;
      reg.off('change', on);
      clearInterval(keepAlive);
      resolve(got);
    };
    reg.on('change', on);
  });
}

test('watch(): writes by another process are reported as change events', { timeout: 30_000 }, async (t) => {
  const home = tempHome(t);
  const reg = await DeviceRegistry.open({ home });
  t.after(() => reg.close());
  reg.watch({ intervalMs: 20 });
  const events = collect(reg, 3);
  const child = await runChild(['write', home, '3']);
  assert.equal(child.out.ok, true, child.out.message);
  const got = await events;
  assert.deepEqual(got.map((e) => e.type), ['added', 'added', 'added']);
  assert.deepEqual(
    new Set(got.map((e) => (e.type === 'added' ? e.device.deviceId : ''))),
    new Set(reg.list().map((d) => d.deviceId)),
  );
});

test('watch(): another instance\'s remove and bond changes are seen; our own writes are not reported twice', { timeout: 30_000 }, async (t) => {
  const home = tempHome(t);
  const app = await DeviceRegistry.open({ home });
  const cli = await DeviceRegistry.open({ home });
  t.after(() => {
    app.close();
    cli.close();
  });
  const mine = app.savePairing(record(newPeer(), { name: 'mine' }));
  const theirs = cli.savePairing(record(newPeer(), { name: 'theirs' }));
  app.watch({ intervalMs: 20 });
  const seen: RegistryChange[] = [];
  app.on('change', (c) => seen.push(c));

  cli.remove(theirs.deviceId);
  cli.saveBond(bond('C7:00:00:00:00:01'));
  await collect(app, 2);
  assert.deepEqual(seen.map((e) => e.type), ['removed', 'bond-saved']);

  // our own write after theirs: theirs is reported first, ours once
  seen.length = 0;
  cli.removeBond('C7:00:00:00:00:01');
  app.touch(mine.deviceId, { lastSeenAt: 42 });
  assert.deepEqual(seen.map((e) => e.type), ['bond-removed', 'updated']);
  await new Promise((r) => setTimeout(r, 100)); // several polls: nothing more may arrive
  assert.deepEqual(seen.map((e) => e.type), ['bond-removed', 'updated']);

  app.unwatch();
  cli.savePairing(record(newPeer()));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(seen.length, 2, 'no events after unwatch()');
});
