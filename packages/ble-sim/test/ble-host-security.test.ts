// Encryption through ble-sim as the independent npm `ble-host` stack sees it: LE Secure
// Connections pairing, then encryption with equal, different and missing LTKs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimAir, SimTransport } from '../src/index.js';
import { advertise, connect, createManager, scanFor, type BleConnection } from './helpers/ble-host.js';

async function linked(air: SimAir, name: string): Promise<{ central: BleConnection; peripheral: BleConnection }> {
  const [pm, cm] = await Promise.all([createManager(new SimTransport(air.createController())), createManager(new SimTransport(air.createController()))]);
  const adv = advertise(pm, name);
  await adv.started;
  const found = await scanFor(cm, name, AbortSignal.timeout(10_000));
  const [central, peripheral] = await Promise.all([connect(cm, found.type, found.address), adv.connected]);
  return { central, peripheral };
}

const encryptEvent = (conn: BleConnection): Promise<number> => new Promise((resolve) => conn.smp.once('encrypt', (status: number) => resolve(status)));
const disconnectReason = (conn: BleConnection): Promise<number> => new Promise((resolve) => conn.once('disconnect', resolve));

test('ble-host LE Secure Connections pairing (no bonding) ends with an encrypted link on both sides', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const { central, peripheral } = await linked(air, 'sec-pair');
  // Without bonding nothing is written to ble-host's bond storage.
  peripheral.smp.on('pairingRequest', (_req: unknown, cb: (rsp: object) => void) => cb({ bondingFlags: 0 }));
  const done = Promise.all([
    new Promise((r, j) => (central.smp.once('pairingComplete', r), central.smp.once('pairingFailed', j))),
    new Promise((r, j) => (peripheral.smp.once('pairingComplete', r), peripheral.smp.once('pairingFailed', j))),
    encryptEvent(central),
    encryptEvent(peripheral),
  ]);
  central.smp.sendPairingRequest({ bondingFlags: 0 });
  const [cRes, , cEnc, pEnc] = (await done) as [{ sc: boolean }, unknown, number, number];
  assert.equal(cRes.sc, true, 'Secure Connections used');
  assert.equal(cEnc, 0);
  assert.equal(pEnc, 0);
  assert.equal(central.smp.isEncrypted, true);
  assert.equal(peripheral.smp.isEncrypted, true);
});

test('ble-host with different LTKs on each side: both links drop with 0x3D', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const { central, peripheral } = await linked(air, 'sec-mismatch');
  const rand = Buffer.alloc(8, 1);
  central.smp.setAvailableLtk(Buffer.alloc(16, 0xaa), rand, 0x1234, false, false);
  peripheral.smp.setAvailableLtk(Buffer.alloc(16, 0xbb), rand, 0x1234, false, false);
  const reasons = Promise.all([disconnectReason(central), disconnectReason(peripheral)]);
  central.smp.startEncryption();
  assert.deepEqual(await reasons, [0x3d, 0x3d]);
});

test('ble-host with the same LTK on both sides: encrypted, and encrypting again is a key refresh', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const { central, peripheral } = await linked(air, 'sec-same');
  const rand = Buffer.alloc(8, 2);
  const ltk = Buffer.alloc(16, 0x5c);
  central.smp.setAvailableLtk(ltk, rand, 7, false, false);
  peripheral.smp.setAvailableLtk(ltk, rand, 7, false, false);
  let both = Promise.all([encryptEvent(central), encryptEvent(peripheral)]);
  central.smp.startEncryption();
  assert.deepEqual(await both, [0, 0]);
  both = Promise.all([encryptEvent(central), encryptEvent(peripheral)]);
  central.smp.startEncryption();
  assert.deepEqual(await both, [0, 0], 'Encryption Key Refresh Complete reported as success');
});

test('ble-host peripheral without a key: the central gets 0x06 (PIN or Key Missing), the link stays', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const { central } = await linked(air, 'sec-nokey');
  central.smp.setAvailableLtk(Buffer.alloc(16, 0x11), Buffer.alloc(8, 3), 9, false, false);
  const status = encryptEvent(central);
  central.smp.startEncryption();
  assert.equal(await status, 0x06);
  assert.equal(central.disconnected, false);
});
