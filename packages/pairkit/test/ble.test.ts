import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SimAir, SimTransport } from '@pairkit/ble-sim';
import { HciHost, fromPacketPort } from '@pairkit/hci';
import { PairkitError, type PairingProgress } from '../src/index.js';
import { openDevice, tempRoot } from './helpers/devices.js';

/** Two devices with their own homes, and one simulated air for their radios. */
async function twoDevices(t: TestContext) {
  const root = await tempRoot();
  t.after(root.cleanup);
  const air = new SimAir();
  t.after(() => air.close());
  const a = await openDevice(root.root, 'kiosk');
  t.after(() => a.close());
  const b = await openDevice(root.root, 'badge');
  t.after(() => b.close());
  return { air, a, b };
}

test('BLE proximity pairing through the facade (ble-sim controllers): one confirmation, no words, a bonded entry on both sides', { timeout: 120_000 }, async (t) => {
  const { air, a, b } = await twoDevices(t);

  const shown: string[] = [];
  const progress: PairingProgress[] = [];
  const confirm = async (digits: string): Promise<boolean> => {
    shown.push(digits);
    return true;
  };
  const [ra, rb] = await Promise.all([
    a.initiateBlePairing({ hci: fromPacketPort(new SimTransport(air.createController())), confirm, signal: AbortSignal.timeout(60_000) }),
    b.joinBlePairing({ hci: fromPacketPort(new SimTransport(air.createController())), confirm, onProgress: (p) => progress.push(p), signal: AbortSignal.timeout(60_000) }),
  ]);
  assert.equal(shown.length, 2);
  assert.equal(shown[0], shown[1], 'both devices showed the same digits');
  assert.equal(ra.device.deviceId, b.identity.deviceId);
  assert.equal(rb.device.deviceId, a.identity.deviceId);
  assert.equal(ra.verification, rb.verification);
  assert.deepEqual(
    progress.map((p) => p.stage),
    ['ble-scanning', 'ble-nearby', 'ble-connected', 'ble-compare', 'ble-paired', 'handover', 'paired'].filter((s) => progress.some((p) => p.stage === s)),
  );
  for (const s of ['ble-scanning', 'ble-connected', 'ble-compare', 'ble-paired', 'paired']) assert.ok(progress.some((p) => p.stage === s), s);
  const onA = a.devices()[0]!;
  assert.equal(onA.method, 'both');
  assert.ok(onA.bond !== undefined);
  assert.deepEqual(Buffer.from(a.sessionKeys(onA.deviceId).tx), Buffer.from(b.sessionKeys(a.identity.deviceId).rx));

  // channels work as with any paired device, and network pairing is available again afterwards
  await a.handle('/test/ping/1.0.0', async (ch) => {
    await ch.write(Buffer.from('pong'));
  });
  const ch = await b.openChannel(a.identity.deviceId, '/test/ping/1.0.0');
  for await (const bytes of ch) {
    assert.equal(Buffer.from(bytes).toString(), 'pong');
    break;
  }
  const inv = a.initiatePairing();
  // one pairing at a time: BLE waits for the network pairing
  await assert.rejects(
    a.initiateBlePairing({ hci: fromPacketPort(new SimTransport(air.createController())), confirm }),
    (e: PairkitError) => e.code === 'BUSY',
  );
  inv.cancel();
  await assert.rejects(inv.paired, (e: PairkitError) => e.code === 'ABORTED');
});

test('BLE initiator through the facade: a stranger that connects and hangs up is an attempt-failed, then the real joiner pairs', { timeout: 120_000 }, async (t) => {
  const { air, a, b } = await twoDevices(t);
  const confirm = async (): Promise<boolean> => true;

  const progress: PairingProgress[] = [];
  let advertised!: (address: string) => void;
  const firstAdvertising = new Promise<string>((r) => (advertised = r));
  let failedAttempt!: () => void;
  const attemptFailed = new Promise<void>((r) => (failedAttempt = r));
  const initiated = a.initiateBlePairing({
    hci: fromPacketPort(new SimTransport(air.createController())),
    confirm,
    maxAttempts: 2,
    signal: AbortSignal.timeout(90_000),
    onProgress: (p) => {
      progress.push(p);
      if (p.stage === 'ble-advertising') advertised(p.address);
      if (p.stage === 'attempt-failed') failedAttempt();
    },
  });
  initiated.catch(() => {});

  // A stranger: a bare host (no SMP, no handover) connects and leaves at once.
  const stranger = new HciHost(fromPacketPort(new SimTransport(air.createController())));
  t.after(() => stranger.close());
  await stranger.init();
  const conn = await stranger.connect(await firstAdvertising, { timeoutMs: 30_000 });
  await conn.disconnect();
  await attemptFailed;

  const rb = await b.joinBlePairing({ hci: fromPacketPort(new SimTransport(air.createController())), confirm, signal: AbortSignal.timeout(60_000) });
  const ra = await initiated;
  assert.equal(ra.device.deviceId, b.identity.deviceId);
  assert.equal(rb.device.deviceId, a.identity.deviceId);
  const failed = progress.filter((p) => p.stage === 'attempt-failed');
  assert.equal(failed.length, 1);
  assert.deepEqual(
    { address: failed[0]!.address, attempt: failed[0]!.attempt, maxAttempts: failed[0]!.maxAttempts },
    { address: stranger.address, attempt: 1, maxAttempts: 2 },
  );
  assert.equal(progress.filter((p) => p.stage === 'ble-advertising').length, 2, 'advertised again after the stranger');
  assert.deepEqual(a.devices().map((d) => d.deviceId), [b.identity.deviceId], 'only the real joiner is stored');
});
