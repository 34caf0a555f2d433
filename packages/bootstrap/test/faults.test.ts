import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BleHandoverInitiator, BleHandoverJoiner, BootstrapError, type HandoverEvents } from '../src/index.js';
import { devicesOnAir, type TestDevice } from './helpers/device.js';
import { advertisingAgain } from './helpers/flow.js';

const yes = async (): Promise<boolean> => true;

function codeOf(r: PromiseSettledResult<unknown>): string {
  assert.equal(r.status, 'rejected');
  const e = (r as PromiseRejectedResult).reason;
  assert.ok(e instanceof BootstrapError, `not a BootstrapError: ${String(e)}`);
  return e.code;
}

function nothingStored(...devices: TestDevice[]): void {
  for (const d of devices) {
    assert.deepEqual(d.registry.list(), [], 'no device entry');
    assert.deepEqual(d.registry.listBonds(), [], 'no bond');
  }
}

/** A joiner whose BLE link drops while the comparison is shown: pairing never completes. */
function dropsDuringPairing(d: TestDevice): BleHandoverJoiner {
  return new BleHandoverJoiner({
    radio: d.radio,
    node: d.node,
    registry: d.registry,
    confirm: (_value, signal) => {
      for (const c of d.radio.host.connections.values()) void c.disconnect();
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    },
  });
}

test('a joiner whose link drops during pairing is forgotten: the initiator advertises again and the next joiner pairs end to end', async (t) => {
  const [a, b, c] = await devicesOnAir(t, 'alpha', 'stranger', 'beta');
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: yes });
  const attempts: HandoverEvents['attempt-failed'][0][] = [];
  const advertised: number[] = [];
  ini.on('attempt-failed', (e) => attempts.push(e));
  ini.on('advertising', (e) => advertised.push(e.attempt));
  const ra = ini.run();
  ra.catch(() => {});
  t.after(() => ini.close());
  const again = advertisingAgain(ini, 2, ra);
  again.catch(() => {});

  const [rb] = await Promise.allSettled([dropsDuringPairing(b).run()]);
  assert.equal(codeOf(rb), 'LINK_LOST');
  await again;
  assert.deepEqual(attempts.map((e) => [e.attempt, e.maxAttempts, e.code, e.address]), [[1, 5, 'LINK_LOST', b.radio.address.address]]);
  assert.ok(['connected', 'compare'].includes(attempts[0].stage), attempts[0].stage);
  nothingStored(a, b);

  // The same run, the same network pairing session: the next joiner pairs.
  const rc = await new BleHandoverJoiner({ radio: c.radio, node: c.node, registry: c.registry, confirm: yes }).run();
  const outcome = await ra;
  assert.equal(outcome.peerId, c.node.peerId.toString());
  assert.equal(rc.peerId, a.node.peerId.toString());
  assert.equal(outcome.verification, rc.verification);
  const [entry] = a.registry.list();
  assert.equal(a.registry.list().length, 1);
  assert.equal(entry.method, 'both');
  assert.equal(entry.bond?.address, c.registry.identity().bleIdentityAddress);
  assert.deepEqual(a.registry.listBonds().map((x) => x.address), [c.registry.identity().bleIdentityAddress], 'no bond for the dropped link');
  assert.equal(c.registry.list()[0].bond?.address, a.registry.identity().bleIdentityAddress);
  assert.deepEqual(advertised, [1, 2]);
  assert.equal(attempts.length, 1);
  nothingStored(b);
});

test('the attempts cap: a dropped link and a peer that rejects the comparison use up maxAttempts 2; TOO_MANY_ATTEMPTS, nothing stored', async (t) => {
  const [a, b] = await devicesOnAir(t, 'alpha', 'beta');
  const zero = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: yes, maxAttempts: 0 });
  zero.on('advertising', () => assert.fail('a bad cap must not start advertising'));
  assert.equal(codeOf((await Promise.allSettled([zero.run()]))[0]), 'INVALID_INPUT');
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: yes, maxAttempts: 2 });
  const attempts: HandoverEvents['attempt-failed'][0][] = [];
  const advertised: number[] = [];
  const failed: string[] = [];
  ini.on('attempt-failed', (e) => attempts.push(e));
  ini.on('advertising', (e) => advertised.push(e.attempt));
  ini.on('failed', (e) => failed.push(e.code));
  ini.on('handover', () => assert.fail('nobody got the handover'));
  const ra = ini.run();
  ra.catch(() => {});
  t.after(() => ini.close());
  const again = advertisingAgain(ini, 2, ra);
  again.catch(() => {});

  assert.equal(codeOf((await Promise.allSettled([dropsDuringPairing(b).run()]))[0]), 'LINK_LOST');
  await again;
  // The second device's user says the digits differ: the peer's decision, not ours.
  const rejecter = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: async () => false });
  // Past the cap the run ends; a third round of advertising would be a failure, not a wait.
  const third = new Promise<never>((_, reject) => ini.on('advertising', (e) => e.attempt === 3 && reject(new Error('advertised a third time'))));
  const [rb, r] = await Promise.allSettled([rejecter.run(), Promise.race([ra, third])]);
  assert.equal(codeOf(rb), 'COMPARISON_REJECTED');
  assert.equal(codeOf(r), 'TOO_MANY_ATTEMPTS');
  assert.deepEqual(attempts.map((e) => [e.attempt, e.maxAttempts, e.code]), [[1, 2, 'LINK_LOST'], [2, 2, 'COMPARISON_REJECTED']]);
  assert.deepEqual(advertised, [1, 2], 'no third round of advertising');
  assert.deepEqual(failed, ['TOO_MANY_ATTEMPTS']);
  assert.ok(((r as PromiseRejectedResult).reason as BootstrapError).message.includes('COMPARISON_REJECTED'));
  nothingStored(a, b);
  assert.equal(a.radio.host.connections.size, 0, 'no connection left open');
});

test('the network part failing after BLE succeeded: both fail, the BLE bond is rolled back (not stored)', async (t) => {
  const [a, b] = await devicesOnAir(t, 'alpha', 'beta');
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: yes, timeouts: { network: 4000 } });
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: yes, timeouts: { network: 4000 } });
  // The initiator's libp2p node goes away after the handover: the joiner cannot dial it.
  ini.on('handover', () => void a.node.stop());
  const stages: string[] = [];
  joi.on('ble-paired', () => stages.push('ble-paired'));
  joi.on('handover', () => stages.push('handover'));
  // The code went out on that link: the initiator must not go on to another joiner.
  ini.on('attempt-failed', () => stages.push('attempt-failed'));
  const [ra, rb] = await Promise.allSettled([ini.run(), joi.run()]);
  assert.deepEqual(stages, ['ble-paired', 'handover'], 'BLE pairing and the handover did succeed; no second attempt');
  assert.ok(['NETWORK_FAILED', 'TIMEOUT'].includes(codeOf(ra)), codeOf(ra));
  assert.ok(['NETWORK_FAILED', 'TIMEOUT'].includes(codeOf(rb)), codeOf(rb));
  nothingStored(a, b);
});

test('timeouts: nobody advertising (joiner) and nobody connecting (initiator) fail cleanly', async (t) => {
  const [a, b] = await devicesOnAir(t, 'alpha', 'beta');
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: yes, timeouts: { scan: 600 } });
  assert.equal(codeOf((await Promise.allSettled([joi.run()]))[0]), 'TIMEOUT');
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: yes, timeouts: { advertise: 600 } });
  const failed: string[] = [];
  ini.on('failed', (e) => failed.push(`${e.stage}:${e.code}`));
  assert.equal(codeOf((await Promise.allSettled([ini.run()]))[0]), 'TIMEOUT');
  assert.deepEqual(failed, ['advertising:TIMEOUT']);
  nothingStored(a, b);
});

test('a comparison nobody answers times out on both sides; an abort ends the flow with ABORTED', async (t) => {
  const [a, b] = await devicesOnAir(t, 'alpha', 'beta');
  const never = (_v: string, signal: AbortSignal): Promise<boolean> => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: never, timeouts: { smp: 1500 } });
  const ac = new AbortController();
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: yes, signal: ac.signal });
  // Recorded, not thrown: a throw in the listener would end the run as BLE_PAIRING_FAILED, which passes below.
  let paired = false;
  joi.on('ble-paired', () => (paired = true));
  const [ra, rb] = await Promise.allSettled([ini.run(), joi.run()]);
  assert.equal(paired, false, 'must not pair');
  assert.equal(codeOf(ra), 'TIMEOUT');
  assert.ok(['LINK_LOST', 'BLE_PAIRING_FAILED'].includes(codeOf(rb)), codeOf(rb));
  nothingStored(a, b);

  const joi2 = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: yes, signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  assert.equal(codeOf((await Promise.allSettled([joi2.run()]))[0]), 'ABORTED');
});
