// Bonds on ble-sim: reconnect and encrypt with the stored keys (SC and legacy), an RPA of a
// bonded peer resolved through its IRK, the Security Request answer, failures storing nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateScOobData, IoCapability as Io, type EncryptInfo, type PairingResult } from '../src/index.js';
import { simAir, simNode, link, playUsers, managerFor, type SimNode } from './helpers/sim.js';

async function pairOnce(a: SimNode, b: SimNode, sc: boolean) {
  const cm = managerFor(a, { ioCapability: Io.KeyboardDisplay, mitm: true, secureConnections: sc });
  const pm = managerFor(b, { ioCapability: Io.DisplayYesNo, mitm: true, secureConnections: sc });
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const psm = pm.attach(pl);
  playUsers(csm, psm);
  const peripheralDone = new Promise((resolve) => psm.once('pairingComplete', resolve));
  const r = await csm.pair(AbortSignal.timeout(10_000));
  await peripheralDone; // its bond is stored once the central's keys arrive
  await cl.disconnect();
  return { cm, pm, r };
}

for (const sc of [true, false]) {
  test(`reconnect and encrypt with the bond (${sc ? 'SC' : 'legacy'}), no pairing the second time`, async (t) => {
    const air = await simAir(t);
    const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
    const { cm, pm, r } = await pairOnce(a, b, sc);
    assert.equal(r.securityLevel, sc ? 4 : 3);
    const [cl, pl] = await link(a, b);
    const csm = cm.attach(cl);
    const psm = pm.attach(pl);
    let paired = false;
    psm.on('pairingRequest', () => (paired = true));
    const peripheralEncrypted = new Promise<EncryptInfo>((resolve) => psm.once('encrypt', resolve));
    const info = await csm.encrypt(AbortSignal.timeout(5000));
    const pinfo = await peripheralEncrypted;
    assert.ok(cl.encrypted && pl.encrypted);
    assert.equal(info.fromBond, true);
    assert.equal(info.securityLevel, sc ? 4 : 3);
    assert.equal(pinfo.securityLevel, sc ? 4 : 3);
    assert.equal(psm.securityLevel, sc ? 4 : 3);
    assert.equal(paired, false, 'no second pairing');
    cm.close();
    pm.close();
  });
}

test('a bond removed on the peripheral: the central\'s encryption is refused (key missing)', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const { cm, pm } = await pairOnce(a, b, true);
  assert.equal(pm.removePairing(a.registry.identity().bleIdentityAddress), true);
  assert.equal(pm.pairedDevices().length, 0);
  const [cl, pl] = await link(a, b);
  pm.attach(pl);
  await assert.rejects(cm.attach(cl).encrypt(AbortSignal.timeout(5000)));
  assert.equal(cl.encrypted, false);
  cm.close();
  pm.close();
});

test('a bonded peer on a resolvable private address is recognised through its IRK', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const { cm, pm } = await pairOnce(a, b, true);
  const rpa = await b.host.usePrivateAddress(b.registry.identity().bleIrk);
  assert.equal(parseInt(rpa.slice(0, 2), 16) >> 6, 1, 'an RPA');
  assert.ok(cm.isPaired(rpa));
  assert.deepEqual(cm.resolveIdentity(rpa), { type: 'random', address: b.registry.identity().bleIdentityAddress });
  const [cl, pl] = await link(a, b);
  assert.equal(cl.info.peerAddress, rpa);
  pm.attach(pl);
  const info = await cm.attach(cl).encrypt(AbortSignal.timeout(5000));
  assert.equal(info.securityLevel, 4);
  assert.ok(pl.encrypted);
  cm.close();
  pm.close();
});

test('Security Request: the central encrypts with a good bond, pairs without one', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  // No bond yet: the peripheral's request makes the central pair.
  const cm = managerFor(a, { ioCapability: Io.NoInputNoOutput });
  const pm = managerFor(b, { ioCapability: Io.NoInputNoOutput });
  let [cl, pl] = await link(a, b);
  cm.attach(cl);
  const first = await pm.initiatePairing(pl, AbortSignal.timeout(5000));
  assert.equal(first.model, 'JustWorks');
  assert.ok(cl.encrypted);
  await cl.disconnect();
  // Bond present: the same request is answered by encryption alone.
  [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const psm = pm.attach(pl);
  let pairedAgain = false;
  csm.on('pairingComplete', () => (pairedAgain = true));
  const encrypted = new Promise<EncryptInfo>((resolve) => psm.once('encrypt', resolve));
  psm.pair().catch(() => {});
  const info = await encrypted;
  assert.equal(info.fromBond, true);
  assert.equal(pairedAgain, false);
  cm.close();
  pm.close();
});

test('failures store nothing: wrong passkey and rejected comparison on ble-sim', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  for (const [ci, pi, how] of [[Io.KeyboardOnly, Io.DisplayOnly, 'wrong'], [Io.DisplayYesNo, Io.DisplayYesNo, 'reject']] as const) {
    const cm = managerFor(a, { ioCapability: ci, mitm: true });
    const pm = managerFor(b, { ioCapability: pi, mitm: true });
    const [cl, pl] = await link(a, b);
    const csm = cm.attach(cl);
    const psm = pm.attach(pl);
    playUsers(csm, psm, how === 'wrong' ? { wrongPasskey: true } : { reject: psm });
    const pFailed = new Promise<Error>((resolve) => psm.once('pairingFailed', resolve));
    await assert.rejects(csm.pair(AbortSignal.timeout(5000)), (e: unknown) => (e as { code: string }).code === (how === 'wrong' ? 'CONFIRM_VALUE_FAILED' : 'NUMERIC_COMPARISON_FAILED'));
    assert.equal(((await pFailed) as { code?: string }).code, how === 'wrong' ? 'CONFIRM_VALUE_FAILED' : 'NUMERIC_COMPARISON_FAILED');
    assert.equal(a.registry.listBonds().length, 0);
    assert.equal(b.registry.listBonds().length, 0);
    assert.equal(cl.encrypted, false);
    await cl.disconnect();
    cm.close();
    pm.close();
  }
});

test('timeout on ble-sim: a silent peer ends the pairing after the SMP timeout, no bond', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const cm = managerFor(a, { ioCapability: Io.KeyboardOnly, mitm: true, timeoutMs: 300 });
  const pm = managerFor(b, { ioCapability: Io.DisplayOnly, mitm: true });
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  pm.attach(pl);
  // Nobody types on the central: after the timeout no more SMP on this link.
  csm.on('passkeyExchange', () => {});
  const timedOut = new Promise<void>((resolve) => csm.once('timeout', resolve));
  await assert.rejects(csm.pair(), (e: unknown) => (e as { code: string }).code === 'SMP_TIMEOUT');
  await timedOut;
  assert.equal(csm.core.state, 'timedOut');
  assert.throws(() => csm.pair(), (e: unknown) => (e as { code: string }).code === 'SMP_TIMED_OUT');
  assert.equal(a.registry.listBonds().length, 0);
  cm.close();
  pm.close();
});

test('keypress notifications over HCI: the typing peripheral sends, the central hears them', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const cm = managerFor(a, { ioCapability: Io.DisplayOnly, mitm: true, keypress: true });
  const pm = managerFor(b, { ioCapability: Io.KeyboardOnly, keypress: true });
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const psm = pm.attach(pl);
  const heard: number[] = [];
  csm.on('keypress', (k) => heard.push(k));
  let shown: string | undefined;
  let typeIt: (() => void) | undefined;
  csm.on('passkeyExchange', (x) => {
    shown = x.passkey;
    typeIt?.();
  });
  psm.on('passkeyExchange', (x) => {
    typeIt = () => {
      psm.sendKeypress(0);
      for (let i = 0; i < 6; i++) psm.sendKeypress(1);
      psm.sendKeypress(4);
      x.respond(Number(shown));
    };
    if (shown) typeIt();
  });
  const r = await csm.pair(AbortSignal.timeout(5000));
  assert.equal(r.model, 'PasskeyEntry');
  assert.deepEqual(heard, [0, 1, 1, 1, 1, 1, 1, 4]);
  cm.close();
  pm.close();
});

test('pairingRequest with manualAccept: the peripheral app refuses, then accepts', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const cm = managerFor(a, { ioCapability: Io.NoInputNoOutput });
  const pm = managerFor(b, { ioCapability: Io.NoInputNoOutput, manualAccept: true });
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const psm = pm.attach(pl);
  let answer: 'no' | 'yes' = 'no';
  const asked: number[] = [];
  psm.on('pairingRequest', (features, decision) => {
    asked.push(features.ioCapability);
    if (answer === 'no') decision.reject();
    else decision.accept();
  });
  await assert.rejects(csm.pair(AbortSignal.timeout(5000)), (e: unknown) => (e as { code: string }).code === 'PAIRING_NOT_SUPPORTED');
  assert.equal(b.registry.listBonds().length, 0);
  answer = 'yes';
  const peripheralDone = new Promise((resolve) => psm.once('pairingComplete', resolve));
  const r = await csm.pair(AbortSignal.timeout(5000));
  await peripheralDone; // the peripheral finishes once the central's keys are in
  assert.equal(r.model, 'JustWorks');
  assert.deepEqual(asked, [Io.NoInputNoOutput, Io.NoInputNoOutput]);
  assert.equal(b.registry.listBonds().length, 1);
  cm.close();
  pm.close();
});

test('CTKD over HCI: both ask for the link key, both registries store the same derived key', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const cm = managerFor(a, { ioCapability: Io.NoInputNoOutput, linkKey: true });
  const pm = managerFor(b, { ioCapability: Io.NoInputNoOutput, linkKey: true });
  const [cl, pl] = await link(a, b);
  const psm = pm.attach(pl);
  const done = new Promise((resolve) => psm.once('pairingComplete', resolve));
  const r = await cm.attach(cl).pair(AbortSignal.timeout(5000));
  await done;
  const cb = a.registry.getBond(b.registry.identity().bleIdentityAddress)!;
  const pb = b.registry.getBond(a.registry.identity().bleIdentityAddress)!;
  assert.ok(r.linkKey && cb.linkKey && pb.linkKey);
  assert.deepEqual(cb.linkKey, pb.linkKey);
  assert.deepEqual(cb.linkKey, r.linkKey);
  cm.close();
  pm.close();
});

test('pairing again on an encrypted link: new keys, the controller refreshes the encryption', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const cm = managerFor(a, { ioCapability: Io.NoInputNoOutput });
  const pm = managerFor(b, { ioCapability: Io.NoInputNoOutput });
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  pm.attach(pl);
  const r1 = await csm.pair(AbortSignal.timeout(5000));
  assert.ok(cl.encrypted);
  const r2 = await csm.pair(AbortSignal.timeout(5000));
  assert.notDeepEqual(r1.ltk, r2.ltk, 'fresh keys');
  assert.ok(cl.encrypted && pl.encrypted);
  assert.deepEqual(a.registry.getBond(b.registry.identity().bleIdentityAddress)!.ltk, r2.ltk, 'the bond holds the new LTK');
  cm.close();
  pm.close();
});

test('LE SC OOB over HCI: the central holds the peripheral\'s r and C (one-sided), no user step', async (t) => {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const oob = generateScOobData();
  const cm = managerFor(a, { ioCapability: Io.NoInputNoOutput, oob: { peer: { r: oob.r, c: oob.c } } });
  const pm = managerFor(b, { ioCapability: Io.NoInputNoOutput, oob: { local: oob } });
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const psm = pm.attach(pl);
  let asked = false;
  for (const sm of [csm, psm]) sm.on('passkeyExchange', () => (asked = true));
  const done = new Promise<PairingResult>((resolve) => psm.once('pairingComplete', resolve));
  const r = await csm.pair(AbortSignal.timeout(5000));
  assert.equal(r.model, 'OOB');
  assert.equal(r.securityLevel, 4);
  assert.equal((await done).model, 'OOB');
  assert.equal(asked, false);
  cm.close();
  pm.close();
});
