// Interop with the independent npm `ble-host` stack through ble-sim, in both roles: SC Just
// Works, Numeric Comparison, Passkey Entry with either side typing; then reconnect and encrypt
// with the bond. ble-host sends an all-zero IRK and no CSRK: we store no IRK then.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimTransport } from '@pairkit/ble-sim';
import { IoCapability as Io, type IoCapabilityValue, type PairingResult, type SecurityManager } from '../src/index.js';
import { simAir, simNode, managerFor, type SimNode } from './helpers/sim.js';
import { createManager, advertise, connect, outcome, encrypted, NodeBleHost, type BleConnection } from './helpers/ble-host.js';

// ble-host keeps its bonds in ./NodeBleLib-storage-dir: give it a temp working folder.
const cwd = process.cwd();
const scratch = mkdtempSync(join(tmpdir(), 'pairkit-smp-blehost-'));
before(() => process.chdir(scratch));
after(() => {
  process.chdir(cwd);
  rmSync(scratch, { recursive: true, force: true });
});

const AM = NodeBleHost.AssociationModels;

interface Case {
  name: string;
  ours: IoCapabilityValue;
  theirs: number;
  mitm: boolean;
  model: PairingResult['model'];
  /** We offer SC (default true); false makes the pairing legacy. */
  sc?: boolean;
}
const CASES: Case[] = [
  { name: 'SC Just Works', ours: Io.NoInputNoOutput, theirs: Io.NoInputNoOutput, mitm: false, model: 'JustWorks' },
  { name: 'Numeric Comparison', ours: Io.DisplayYesNo, theirs: Io.DisplayYesNo, mitm: true, model: 'NumericComparison' },
  { name: 'Passkey, we type', ours: Io.KeyboardOnly, theirs: Io.DisplayOnly, mitm: true, model: 'PasskeyEntry' },
  { name: 'Passkey, ble-host types', ours: Io.DisplayOnly, theirs: Io.KeyboardOnly, mitm: true, model: 'PasskeyEntry' },
  { name: 'legacy Passkey (we offer no SC)', ours: Io.KeyboardDisplay, theirs: Io.DisplayOnly, mitm: true, model: 'PasskeyEntry', sc: false },
];

/** Both users: displays go to a shared slot, typing takes from it, comparisons are compared. */
function users(ours: SecurityManager, theirs: BleConnection) {
  let shownByUs: string | undefined;
  let shownByThem: string | undefined;
  const compared: string[] = [];
  let theirInput: ((v: number) => void) | undefined;
  let ourInput: ((v: number) => void) | undefined;
  ours.on('passkeyExchange', (x) => {
    if (x.model === 'NumericComparison') {
      compared.push(x.passkey!);
      x.respond(true);
    } else if (x.input) {
      if (shownByThem) x.respond(Number(shownByThem));
      else ourInput = (v) => x.respond(v);
    } else {
      shownByUs = x.passkey;
      theirInput?.(Number(shownByUs));
    }
  });
  theirs.smp.on('passkeyExchange', (model: number, passkey: string | null, cb: (v?: number) => void) => {
    if (model === AM.NUMERIC_COMPARISON) {
      compared.push(passkey!);
      cb();
    } else if (passkey !== null) {
      shownByThem = passkey;
      ourInput?.(Number(passkey));
    } else if (shownByUs) cb(Number(shownByUs));
    else theirInput = (v) => cb(v);
  });
  return { compared };
}

async function setup(t: import('node:test').TestContext): Promise<{ us: SimNode; transport: SimTransport; them: any }> {
  const air = await simAir(t);
  const us = await simNode(t, air, 'us');
  const transport = new SimTransport(air.createController());
  const them = await createManager(transport);
  return { us, transport, them };
}

for (const c of CASES) {
  test(`ble-host peripheral, we are central: ${c.name}, then reconnect and encrypt with the bond`, async (t) => {
    const { us, transport, them } = await setup(t);
    const theirAddress = transport.controller.address;
    const mgr = managerFor(us, { ioCapability: c.ours, mitm: c.mitm, secureConnections: c.sc ?? true });
    t.after(() => mgr.close());
    const theirConnP = advertise(them);
    const ourLink = await us.host.connect(theirAddress, { addressType: 0, timeoutMs: 5000 });
    const theirConn = await theirConnP;
    theirConn.smp.on('pairingRequest', (_req: unknown, cb: (f: object) => void) => cb({ ioCap: c.theirs, bondingFlags: 1, mitm: c.mitm, sc: true }));
    const sm = mgr.attach(ourLink);
    const { compared } = users(sm, theirConn);
    const theirs = outcome(theirConn);
    const r = await sm.pair(AbortSignal.timeout(10_000));
    const o = await theirs;
    assert.ok(o.ok, `ble-host pairing failed: ${JSON.stringify(o)}`);
    assert.equal(r.model, c.model);
    assert.equal(r.secureConnections, c.sc ?? true);
    assert.equal(r.authenticated, c.mitm);
    if (c.model === 'NumericComparison') {
      assert.equal(compared.length, 2);
      assert.equal(compared[0], compared[1], 'both sides showed the same six digits');
    }
    assert.ok(ourLink.encrypted && theirConn.smp.isEncrypted);
    const bond = us.registry.getBond(theirAddress)!;
    assert.ok(bond, 'bond stored under ble-host\'s identity address');
    assert.equal(bond.irk, undefined, 'all-zero IRK not stored');
    assert.equal(bond.csrk, undefined);
    assert.equal(bond.authenticated, c.mitm);
    // Reconnect: encrypt with the stored LTK, ble-host answers from its own bond storage.
    await ourLink.disconnect();
    const again = advertise(them);
    const link2 = await us.host.connect(theirAddress, { addressType: 0, timeoutMs: 5000 });
    const theirConn2 = await again;
    const theirEnc = encrypted(theirConn2);
    const info = await mgr.attach(link2).encrypt(AbortSignal.timeout(5000));
    assert.equal((await theirEnc).status, 0);
    assert.equal(info.securityLevel, c.mitm ? (c.sc === false ? 3 : 4) : 2);
    assert.ok(link2.encrypted);
    await link2.disconnect();
  });

  test(`ble-host central, we are peripheral: ${c.name}, then reconnect and encrypt with the bond`, async (t) => {
    const { us, transport, them } = await setup(t);
    const mgr = managerFor(us, { ioCapability: c.ours, mitm: c.mitm, secureConnections: c.sc ?? true });
    t.after(() => mgr.close());
    let sm: SecurityManager | undefined;
    const smReady = new Promise<SecurityManager>((resolve) => us.host.once('connection', (l) => resolve((sm = mgr.attach(l)))));
    await us.host.startAdvertising({});
    const theirConn = await connect(them, 'random', us.host.address);
    await smReady;
    const { compared } = users(sm!, theirConn);
    const ours = new Promise<PairingResult>((resolve, reject) => {
      sm!.once('pairingComplete', resolve);
      sm!.once('pairingFailed', reject);
    });
    const theirs = outcome(theirConn);
    theirConn.smp.sendPairingRequest({ ioCap: c.theirs, bondingFlags: 1, mitm: c.mitm, sc: true });
    const o = await theirs;
    assert.ok(o.ok, `ble-host pairing failed: ${JSON.stringify(o)}`);
    const r = await ours;
    assert.equal(r.model, c.model);
    assert.equal(r.authenticated, c.mitm);
    if (c.model === 'NumericComparison') assert.equal(compared[0], compared[1]);
    const bond = us.registry.getBond(transport.controller.address)!;
    assert.ok(bond);
    assert.equal(bond.irk, undefined);
    // Reconnect: ble-host (central) encrypts with its bond; we answer the LTK Request from ours.
    await new Promise<void>((resolve) => {
      theirConn.once('disconnect', () => resolve());
      theirConn.disconnect();
    });
    const enc = new Promise<number>((resolve) => us.host.once('connection', (l) => mgr.attach(l).once('encrypt', (i) => resolve(i.securityLevel))));
    await us.host.startAdvertising({});
    const theirConn2 = await connect(them, 'random', us.host.address);
    assert.equal(theirConn2.smp.hasLtk, true, 'ble-host kept its bond with us');
    const theirEnc = encrypted(theirConn2);
    theirConn2.smp.startEncryption();
    assert.equal((await theirEnc).status, 0);
    assert.equal(await enc, c.mitm ? (c.sc === false ? 3 : 4) : 2);
  });
}

test('ble-host: a wrong passkey fails on both stacks with CONFIRM_VALUE_FAILED and nothing is stored', async (t) => {
  const { us, transport, them } = await setup(t);
  const mgr = managerFor(us, { ioCapability: Io.KeyboardOnly, mitm: true });
  t.after(() => mgr.close());
  const theirConnP = advertise(them);
  const ourLink = await us.host.connect(transport.controller.address, { addressType: 0, timeoutMs: 5000 });
  const theirConn = await theirConnP;
  theirConn.smp.on('pairingRequest', (_req: unknown, cb: (f: object) => void) => cb({ ioCap: Io.DisplayOnly, bondingFlags: 1, mitm: true, sc: true }));
  const sm = mgr.attach(ourLink);
  let shown: string | undefined;
  let type: ((v: number) => void) | undefined;
  theirConn.smp.on('passkeyExchange', (_m: number, passkey: string | null) => {
    shown = passkey ?? undefined;
    type?.((Number(shown) + 1) % 1_000_000);
  });
  sm.on('passkeyExchange', (x) => {
    if (shown) x.respond((Number(shown) + 1) % 1_000_000);
    else type = (v) => x.respond(v);
  });
  const theirs = outcome(theirConn);
  await assert.rejects(sm.pair(AbortSignal.timeout(10_000)), (e: unknown) => (e as { code: string }).code === 'CONFIRM_VALUE_FAILED');
  const o = await theirs;
  assert.equal(o.ok, false);
  assert.equal((o as { reason: number }).reason, 0x04);
  assert.equal(us.registry.listBonds().length, 0);
  assert.equal(ourLink.encrypted, false);
});

test('ble-host central answers our Security Request by encrypting with its bond; asked for MITM with that Just Works bond, it pairs', async (t) => {
  const { us, transport, them } = await setup(t);
  const mgr = managerFor(us, { ioCapability: Io.NoInputNoOutput });
  t.after(() => mgr.close());
  /** ble-host connects to us; resolves with both ends once our SecurityManager is attached. */
  const reconnect = async (m = mgr): Promise<{ sm: SecurityManager; theirConn: BleConnection }> => {
    const ready = new Promise<SecurityManager>((resolve) => us.host.once('connection', (l) => resolve(m.attach(l))));
    await us.host.startAdvertising({});
    const theirConn = await connect(them, 'random', us.host.address);
    return { sm: await ready, theirConn };
  };
  const hangUp = (conn: BleConnection) => new Promise<void>((resolve) => (conn.once('disconnect', () => resolve()), conn.disconnect()));

  // Bond: ble-host pairs with us (SC Just Works).
  const first = await reconnect();
  const ours = new Promise<PairingResult>((resolve, reject) => (first.sm.once('pairingComplete', resolve), first.sm.once('pairingFailed', reject)));
  const theirs = outcome(first.theirConn);
  first.theirConn.smp.sendPairingRequest({ ioCap: Io.NoInputNoOutput, bondingFlags: 1, mitm: false, sc: true });
  assert.ok((await theirs).ok);
  assert.equal((await ours).authenticated, false);
  await hangUp(first.theirConn);

  // Reconnect: our Security Request (no MITM asked) is answered with ble-host's stored LTK.
  const second = await reconnect();
  const theirEnc = encrypted(second.theirConn);
  let theyPaired = false;
  second.theirConn.smp.on('pairingComplete', () => (theyPaired = true));
  const o = await second.sm.requestSecurity(AbortSignal.timeout(20_000));
  assert.deepEqual(o, { type: 'encrypted', encryption: { securityLevel: 2, keySize: 16, authenticated: false, secureConnections: true, fromBond: true } });
  assert.equal((await theirEnc).status, 0);
  assert.equal(second.theirConn.smp.isEncrypted, true);
  assert.equal(theyPaired, false);
  await hangUp(second.theirConn);

  // We now require MITM: ble-host sees the MITM bit, finds its bond too weak and pairs (we show a passkey, it types).
  const strict = managerFor(us, { ioCapability: Io.DisplayOnly, mitm: true, mitmRequired: true });
  t.after(() => strict.close());
  const third = await reconnect(strict);
  third.theirConn.smp.on('pairingRequest', (_req: unknown, cb: (f: object) => void) => cb({ ioCap: Io.KeyboardOnly, bondingFlags: 1, mitm: true, sc: true }));
  users(third.sm, third.theirConn);
  const theirs3 = outcome(third.theirConn);
  const o3 = await third.sm.requestSecurity(AbortSignal.timeout(20_000));
  assert.ok((await theirs3).ok);
  assert.equal(o3.type, 'paired');
  assert.equal(o3.type === 'paired' && o3.result.model, 'PasskeyEntry');
  assert.equal(o3.type === 'paired' && o3.result.securityLevel, 4);
  assert.equal(us.registry.getBond(transport.controller.address)?.authenticated, true);
  await hangUp(third.theirConn);
});
