import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BleHandoverInitiator, BleHandoverJoiner, BootstrapError, createLocalOob, encodeOobText, parseOobText } from '../src/index.js';
import { devicesOnAir } from './helpers/device.js';
import { advertisingAgain } from './helpers/flow.js';

test('in-process: scan, connect, Numeric Comparison, sealed handover, network pairing; one entry each with the bond', async (t) => {
  const [a, b] = await devicesOnAir(t, 'alpha', 'beta');

  const shown: Record<string, string> = {};
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: async (v) => ((shown.a = v), true) });
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: async (v) => ((shown.b = v), true) });
  const stages: string[] = [];
  for (const ev of ['scanning', 'connected', 'compare', 'ble-paired', 'handover', 'paired'] as const) joi.on(ev, () => stages.push(ev));
  const [ra, rb] = await Promise.all([ini.run(), joi.run()]);
  assert.deepEqual(stages, ['scanning', 'connected', 'compare', 'ble-paired', 'handover', 'paired']);
  assert.match(shown.a, /^\d{6}$/);
  assert.equal(shown.a, shown.b, 'both sides showed the same 6 digits');
  assert.equal(ra.peerId, b.node.peerId.toString());
  assert.equal(rb.peerId, a.node.peerId.toString());
  assert.equal(ra.verification, rb.verification);

  const ea = a.registry.list();
  const eb = b.registry.list();
  assert.equal(ea.length, 1);
  assert.equal(eb.length, 1);
  assert.equal(ea[0].method, 'both');
  assert.equal(eb[0].method, 'both');
  assert.equal(ea[0].bond?.address, b.registry.identity().bleIdentityAddress);
  assert.equal(eb[0].bond?.address, a.registry.identity().bleIdentityAddress);
  assert.deepEqual(ea[0].bond?.ltk, eb[0].bond?.ltk, 'the same SC LTK on both sides');
  assert.equal(ea[0].bond?.authenticated, true);
  assert.deepEqual(ea[0].sessionKeys?.tx, eb[0].sessionKeys?.rx);
  assert.equal(a.registry.listBonds().length, 1);
});

test('in-process: the local user rejecting the comparison ends the initiator\'s run (no further attempt); both fail, nothing stored', async (t) => {
  const [a, b] = await devicesOnAir(t, 'alpha', 'beta');
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: async () => false });
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: async () => true, timeouts: { smp: 10_000 } });
  const seen: string[] = [];
  ini.on('advertising', (e) => seen.push(`advertising:${e.attempt}`));
  ini.on('attempt-failed', (e) => seen.push(`attempt-failed:${e.code}`));
  ini.on('failed', (e) => seen.push(`failed:${e.code}`));
  t.after(() => ini.close());
  // Advertising again would mean the run goes on: that is a failure here, not something to wait out.
  const again = new Promise<never>((_, reject) => ini.on('advertising', (e) => e.attempt > 1 && reject(new Error('advertised again after the local rejection'))));
  const [ra, rb] = await Promise.allSettled([Promise.race([ini.run(), again]), joi.run()]);
  assert.equal(ra.status, 'rejected');
  assert.equal(rb.status, 'rejected');
  assert.equal(((ra as PromiseRejectedResult).reason as BootstrapError).code, 'COMPARISON_REJECTED');
  assert.equal(((rb as PromiseRejectedResult).reason as BootstrapError).code, 'COMPARISON_REJECTED', 'the joiner learns why');
  assert.deepEqual(seen, ['advertising:1', 'failed:COMPARISON_REJECTED']);
  assert.equal(a.registry.list().length + b.registry.list().length, 0);
  assert.equal(a.registry.listBonds().length + b.registry.listBonds().length, 0);
});

test('in-process: LE SC OOB (one-sided) pairs with no comparison; forged OOB data fails with CONFIRM_VALUE_FAILED, stores nothing, and the initiator waits for the next joiner', async (t) => {
  const [a, b] = await devicesOnAir(t, 'alpha', 'beta');
  const noCompare = async (): Promise<boolean> => {
    throw new Error('no comparison expected with OOB');
  };

  // Forged: a valid text form whose C does not belong to the initiator's key. The joiner that
  // uses it fails; the initiator forgets that link and pairs with a joiner holding the real data.
  const local = createLocalOob({ address: a.radio.address, now: Date.now() });
  const forged = parseOobText(encodeOobText({ ...local.data, c: Uint8Array.from(local.data.c, (x, i) => (i === 0 ? x ^ 1 : x)) }), { now: Date.now() });
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: noCompare, oob: { local: local.sc } });
  const attempts: string[] = [];
  ini.on('attempt-failed', (e) => attempts.push(e.code));
  const ra = ini.run();
  ra.catch(() => {});
  t.after(() => ini.close());
  const again = advertisingAgain(ini, 2, ra);
  again.catch(() => {});
  const bad = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: noCompare, target: forged.address, oob: { peer: forged } });
  const [rbad] = await Promise.allSettled([bad.run()]);
  assert.equal(rbad.status, 'rejected');
  assert.equal(((rbad as PromiseRejectedResult).reason as BootstrapError).code, 'CONFIRM_VALUE_FAILED');
  await again;
  assert.deepEqual(attempts, ['CONFIRM_VALUE_FAILED']);
  assert.equal(a.registry.list().length + b.registry.list().length + a.registry.listBonds().length + b.registry.listBonds().length, 0);

  const peer = parseOobText(encodeOobText(local.data), { now: Date.now() });
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: noCompare, target: peer.address, oob: { peer } });
  const compares: string[] = [];
  joi.on('compare', (e) => compares.push(e.value));
  ini.on('compare', (e) => compares.push(e.value));
  const models: string[] = [];
  joi.on('ble-paired', (e) => models.push(e.model));
  const [rb, rgood] = await Promise.all([joi.run(), ra]);
  assert.deepEqual(compares, []);
  assert.deepEqual(models, ['OOB']);
  assert.equal(rgood.method, 'both');
  assert.equal(rb.method, 'both');
  assert.equal(a.registry.list().length, 1);
  assert.equal(b.registry.list()[0].bond?.address, a.registry.identity().bleIdentityAddress);
  assert.deepEqual(attempts, ['CONFIRM_VALUE_FAILED']);
});

test('in-process: two initiators nearby; the joiner is shown both and pairs with the one chosen', async (t) => {
  const [a1, a2, b] = await devicesOnAir(t, 'kitchen', 'office', 'phone');
  const i1 = new BleHandoverInitiator({ radio: a1.radio, node: a1.node, registry: a1.registry, confirm: async () => true });
  const i2 = new BleHandoverInitiator({ radio: a2.radio, node: a2.node, registry: a2.registry, confirm: async () => true });
  const r1 = i1.run();
  r1.catch(() => {});
  const r2 = i2.run();
  await Promise.all([new Promise((r) => i1.once('advertising', r)), new Promise((r) => i2.once('advertising', r))]);
  const offered: string[][] = [];
  const joi = new BleHandoverJoiner({
    radio: b.radio,
    node: b.node,
    registry: b.registry,
    confirm: async () => true,
    settleMs: 500,
    choose: (seen) => {
      offered.push(seen.map((s) => s.name).sort());
      return seen.find((s) => s.name === 'office');
    },
  });
  const rb = await joi.run();
  await r2;
  assert.deepEqual(offered[0], ['kitchen', 'office'], 'both initiators were listed before choosing');
  assert.equal(rb.name, 'office');
  assert.equal(b.registry.list().length, 1);
  await i1.close(); // the kitchen device stops advertising: close() ends its flow
  await assert.rejects(r1, (e: unknown) => e instanceof BootstrapError && e.code === 'ABORTED');
  assert.deepEqual(a1.registry.list(), []);
});
