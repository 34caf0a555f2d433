import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimAir } from '@pairkit/ble-sim';
import { BleHandoverInitiator, BleHandoverJoiner, BootstrapError } from '../src/index.js';
import { makeDevice, type TestDevice } from './helpers/device.js';

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

async function pairOfDevices(t: { after: (fn: () => unknown) => void }): Promise<[TestDevice, TestDevice]> {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await makeDevice(air, 'alpha');
  const b = await makeDevice(air, 'beta');
  t.after(() => Promise.all([a.stop(), b.stop()]));
  return [a, b];
}

test('the BLE link dropping before the handover arrives: LINK_LOST on both sides, nothing stored', async (t) => {
  const [a, b] = await pairOfDevices(t);
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: yes });
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: yes });
  // The initiator's side of the link goes down right after SMP, before it can send the handover.
  ini.on('ble-paired', () => {
    for (const c of a.radio.host.connections.values()) void c.disconnect();
  });
  const [ra, rb] = await Promise.allSettled([ini.run(), joi.run()]);
  assert.equal(codeOf(ra), 'LINK_LOST');
  assert.equal(codeOf(rb), 'LINK_LOST');
  nothingStored(a, b);
});

test('the network part failing after BLE succeeded: both fail, the BLE bond is rolled back (not stored)', async (t) => {
  const [a, b] = await pairOfDevices(t);
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: yes, timeouts: { network: 4000 } });
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: yes, timeouts: { network: 4000 } });
  // The initiator's libp2p node goes away after the handover: the joiner cannot dial it.
  ini.on('handover', () => void a.node.stop());
  const stages: string[] = [];
  joi.on('ble-paired', () => stages.push('ble-paired'));
  joi.on('handover', () => stages.push('handover'));
  const [ra, rb] = await Promise.allSettled([ini.run(), joi.run()]);
  assert.deepEqual(stages, ['ble-paired', 'handover'], 'BLE pairing and the handover did succeed');
  assert.ok(['NETWORK_FAILED', 'TIMEOUT'].includes(codeOf(ra)), codeOf(ra));
  assert.ok(['NETWORK_FAILED', 'TIMEOUT'].includes(codeOf(rb)), codeOf(rb));
  nothingStored(a, b);
});

test('timeouts: nobody advertising (joiner) and nobody connecting (initiator) fail cleanly', async (t) => {
  const [a, b] = await pairOfDevices(t);
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
  const [a, b] = await pairOfDevices(t);
  const never = (_v: string, signal: AbortSignal): Promise<boolean> => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: never, timeouts: { smp: 1500 } });
  const ac = new AbortController();
  const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: yes, signal: ac.signal });
  joi.on('ble-paired', () => assert.fail('must not pair'));
  const [ra, rb] = await Promise.allSettled([ini.run(), joi.run()]);
  assert.equal(codeOf(ra), 'TIMEOUT');
  assert.ok(['LINK_LOST', 'BLE_PAIRING_FAILED'].includes(codeOf(rb)), codeOf(rb));
  nothingStored(a, b);

  const joi2 = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: yes, signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  assert.equal(codeOf((await Promise.allSettled([joi2.run()]))[0]), 'ABORTED');
});
