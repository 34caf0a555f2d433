// The peripheral's Security Request (2.4.6) settles with the central's answer, between two of our
// hosts on ble-sim: encryption with the existing bond (SC and legacy), a bond below our
// requirements, a central that pairs instead, a key the peripheral no longer has, Pairing Failed
// as the answer, a hang-up, no answer (SMP timeout) and an abort. The sans-IO timer rules are
// checked on the core alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IoCapability as Io, SmpCore, SmpError, SmpSecurityError, SmpUsageError, decodePdu,
  type EncryptInfo, type SecurityManager, type SmpManager, type SmpManagerOptions,
} from '../src/index.js';
import { simAir, simNode, link, playUsers, managerFor, type SimNode } from './helpers/sim.js';

type Opts = Omit<SmpManagerOptions, 'registry'>;

/** Two hosts on one air with managers; `bond` pairs them once (central a, peripheral b) and disconnects. */
async function setup(t: import('node:test').TestContext, central: Opts, peripheral: Opts) {
  const air = await simAir(t);
  const [a, b] = await Promise.all([simNode(t, air, 'a'), simNode(t, air, 'b')]);
  const cm = managerFor(a, central);
  const pm = managerFor(b, peripheral);
  t.after(() => (cm.close(), pm.close()));
  return { a, b, cm, pm };
}

async function bond(a: SimNode, b: SimNode, cm: SmpManager, pm: SmpManager): Promise<void> {
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const psm = pm.attach(pl);
  playUsers(csm, psm);
  const peripheralDone = new Promise((resolve, reject) => (psm.once('pairingComplete', resolve), psm.once('pairingFailed', reject)));
  await csm.pair(AbortSignal.timeout(10_000));
  await peripheralDone; // the peripheral's bond is stored once the central's keys are in
  await cl.disconnect();
  assert.equal(a.registry.listBonds().length, 1);
  assert.equal(b.registry.listBonds().length, 1);
}

/** Counts what a SecurityManager does: pairings started/finished, Security Requests heard. */
function watch(sm: SecurityManager) {
  const seen = { pairingRequests: 0, securityRequests: 0, completed: 0, encrypts: [] as EncryptInfo[] };
  sm.on('pairingRequest', () => seen.pairingRequests++);
  sm.on('securityRequest', () => seen.securityRequests++);
  sm.on('pairingComplete', () => seen.completed++);
  sm.on('encrypt', (i) => seen.encrypts.push(i));
  return seen;
}

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

for (const mitm of [false, true]) {
  test(`Security Request on a bonded link: the central encrypts with the bond, the peripheral's call resolves with its level (${mitm ? 'MITM' : 'Just Works'} bond)`, async (t) => {
    const { a, b, cm, pm } = await setup(t, { ioCapability: Io.DisplayYesNo, mitm }, { ioCapability: Io.DisplayYesNo, mitm, mitmRequired: mitm });
    await bond(a, b, cm, pm);
    const [cl, pl] = await link(a, b);
    const central = watch(cm.attach(cl));
    const psm = pm.attach(pl);
    const peripheral = watch(psm);
    const outcome = await pm.requestSecurity(pl, AbortSignal.timeout(20_000));
    assert.equal(outcome.type, 'encrypted');
    assert.deepEqual(outcome.type === 'encrypted' && outcome.encryption, {
      securityLevel: mitm ? 4 : 2, keySize: 16, authenticated: mitm, secureConnections: true, fromBond: true,
    });
    assert.ok(pl.encrypted && cl.encrypted);
    assert.equal(psm.securityLevel, mitm ? 4 : 2);
    assert.equal(central.securityRequests, 1);
    assert.equal(central.completed + peripheral.completed + peripheral.pairingRequests, 0, 'no pairing');
    assert.equal(peripheral.encrypts.length, 1);
    // The central answered: the SMP timer is off and the link can ask again.
    assert.equal(psm.core.securityRequested, false);
    assert.equal(psm.core.deadline, undefined);
    assert.equal(psm.core.state, 'idle');
    // Asked again on the encrypted link: nothing to request, same answer at once.
    assert.deepEqual(await psm.requestSecurity(), outcome);
    assert.equal(psm.core.securityRequested, false, 'no second Security Request sent');
  });
}

test('pair() as peripheral on a bonded link settles too: ENCRYPTED_WITH_BOND with the level reached', async (t) => {
  const { a, b, cm, pm } = await setup(t, { ioCapability: Io.NoInputNoOutput }, { ioCapability: Io.NoInputNoOutput });
  await bond(a, b, cm, pm);
  const [cl, pl] = await link(a, b);
  cm.attach(cl);
  const err = await pm.initiatePairing(pl, AbortSignal.timeout(20_000)).then(
    () => assert.fail('pair() resolved although the central did not pair'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SmpSecurityError);
  assert.equal(err.code, 'ENCRYPTED_WITH_BOND');
  assert.equal(err.encryption?.securityLevel, 2);
  assert.equal(err.encryption?.fromBond, true);
  assert.ok(pl.encrypted);
});

test('a central that encrypts with a bond below our requirements: INSUFFICIENT_SECURITY, link left encrypted; asking again, it pairs', async (t) => {
  // The central's app answers every Security Request with its bond, whatever the request asks.
  const { a, b, cm, pm } = await setup(t, { ioCapability: Io.DisplayYesNo, autoSecurityRequest: false }, { ioCapability: Io.DisplayYesNo });
  await bond(a, b, cm, pm); // Just Works: unauthenticated
  assert.equal(b.registry.listBonds()[0].authenticated, false);
  const strict = managerFor(b, { ioCapability: Io.DisplayYesNo, mitmRequired: true, scOnly: true });
  t.after(() => strict.close());
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const central = watch(csm);
  let answer: 'bond' | 'pair' = 'bond';
  csm.on('securityRequest', () => {
    if (answer === 'bond') csm.encrypt().catch(() => {});
    else csm.pair().catch(() => {});
  });
  const psm = strict.attach(pl);
  playUsers(csm, psm);
  const err = await psm.requestSecurity(AbortSignal.timeout(20_000)).then(
    () => assert.fail('resolved with a bond that lacks MITM'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SmpSecurityError);
  assert.equal(err.code, 'INSUFFICIENT_SECURITY');
  assert.deepEqual(err.missing, ['mitm']);
  assert.equal(err.encryption?.securityLevel, 2);
  assert.equal(err.encryption?.authenticated, false);
  // Our decision: no second Security Request of our own; the link stays up, encrypted at level 2.
  assert.ok(pl.connected && pl.encrypted);
  assert.equal(psm.securityLevel, 2);
  assert.equal(psm.core.deadline, undefined);
  // The app asks again; this time the central pairs (MITM, numeric comparison) and the call resolves.
  answer = 'pair';
  const again = await psm.requestSecurity(AbortSignal.timeout(20_000));
  assert.equal(central.securityRequests, 2, 'exactly the two requests the app made');
  assert.equal(again.type, 'paired');
  assert.equal(again.type === 'paired' && again.result.authenticated, true);
  assert.equal(again.type === 'paired' && again.result.securityLevel, 4);
  assert.equal(psm.securityLevel, 4);
  const stored = b.registry.getBond(a.registry.identity().bleIdentityAddress)!;
  assert.equal(stored.authenticated, true, 'the MITM bond replaced the Just Works one');
});

test('legacy bond: the Security Request is answered with it (EDIV/Rand); an SC-only peripheral refuses it (INSUFFICIENT_SECURITY), and asking on a legacy-encrypted link makes our central pair with SC', async (t) => {
  const legacy = { ioCapability: Io.NoInputNoOutput, secureConnections: false };
  const { a, b, cm, pm } = await setup(t, legacy, legacy);
  await bond(a, b, cm, pm);
  assert.equal(b.registry.listBonds()[0].secureConnections, false);
  let [cl, pl] = await link(a, b);
  cm.attach(cl);
  const o = await pm.requestSecurity(pl, AbortSignal.timeout(20_000));
  assert.deepEqual(o, { type: 'encrypted', encryption: { securityLevel: 2, keySize: 16, authenticated: false, secureConnections: false, fromBond: true } });
  await cl.disconnect();

  // SC-only now, against a central whose app encrypts with whatever bond it has.
  const lax = managerFor(a, { ...legacy, autoSecurityRequest: false });
  const scOnly = managerFor(b, { ioCapability: Io.NoInputNoOutput, scOnly: true });
  t.after(() => (lax.close(), scOnly.close()));
  [cl, pl] = await link(a, b);
  const csm = lax.attach(cl);
  csm.on('securityRequest', () => void csm.encrypt().catch(() => {}));
  await assert.rejects(scOnly.requestSecurity(pl, AbortSignal.timeout(20_000)),
    (e: unknown) => e instanceof SmpSecurityError && e.code === 'INSUFFICIENT_SECURITY' && e.missing.join() === 'secureConnections' && e.encryption?.secureConnections === false);
  assert.ok(pl.encrypted);
  await cl.disconnect();

  // A central that offers SC encrypts with its legacy bond on its own; the SC-only peripheral
  // asks for security on that link and our central answers the repeated need by pairing (SC).
  const modern = managerFor(a, { ioCapability: Io.NoInputNoOutput });
  t.after(() => modern.close());
  [cl, pl] = await link(a, b);
  const msm = modern.attach(cl);
  const psm = scOnly.attach(pl);
  const peripheralEncrypted = new Promise((resolve) => psm.once('encrypt', resolve));
  assert.equal((await msm.encrypt(AbortSignal.timeout(20_000))).secureConnections, false);
  await peripheralEncrypted;
  const upgraded = await psm.requestSecurity(AbortSignal.timeout(20_000));
  assert.equal(upgraded.type, 'paired');
  assert.equal(upgraded.type === 'paired' && upgraded.result.secureConnections, true);
  assert.equal(b.registry.getBond(a.registry.identity().bleIdentityAddress)?.secureConnections, true, 'the SC bond replaced the legacy one');
});

test('our central, asked for MITM while holding a Just Works bond, pairs instead of encrypting: the call resolves "paired"', async (t) => {
  const { a, b, cm, pm } = await setup(t, { ioCapability: Io.DisplayYesNo }, { ioCapability: Io.DisplayYesNo });
  await bond(a, b, cm, pm);
  const strict = managerFor(b, { ioCapability: Io.DisplayYesNo, mitm: true, mitmRequired: true });
  t.after(() => strict.close());
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const psm = strict.attach(pl);
  playUsers(csm, psm);
  const peripheral = watch(psm);
  const outcome = await psm.requestSecurity(AbortSignal.timeout(20_000));
  assert.equal(outcome.type, 'paired');
  assert.equal(outcome.type === 'paired' && outcome.result.model, 'NumericComparison');
  assert.equal(peripheral.pairingRequests, 1);
  assert.equal(peripheral.encrypts.every((e) => !e.fromBond), true, 'the old bond was not used');
});

test('the peripheral lost the bond: the central\'s encryption fails and the call rejects with ENCRYPTION_FAILED', async (t) => {
  const { a, b, cm, pm } = await setup(t, { ioCapability: Io.NoInputNoOutput }, { ioCapability: Io.NoInputNoOutput });
  await bond(a, b, cm, pm);
  assert.equal(pm.removePairing(a.registry.identity().bleIdentityAddress), true);
  const [cl, pl] = await link(a, b);
  cm.attach(cl);
  const psm = pm.attach(pl);
  await assert.rejects(psm.requestSecurity(AbortSignal.timeout(20_000)), (e: unknown) => e instanceof SmpSecurityError && e.code === 'ENCRYPTION_FAILED' && e.status === 0x06);
  assert.equal(pl.encrypted, false);
  assert.equal(psm.core.deadline, undefined);
});

test('a central that answers the Security Request with Pairing Failed: the call rejects with that reason', async (t) => {
  const { a, b, cm, pm } = await setup(t, { ioCapability: Io.NoInputNoOutput, autoSecurityRequest: false }, { ioCapability: Io.NoInputNoOutput });
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  // The central's app refuses: Pairing Failed (Pairing Not Supported) on the SMP channel.
  csm.on('securityRequest', () => void cl.sendFixed(0x0006, Uint8Array.of(0x05, 0x05)));
  const psm = pm.attach(pl);
  await assert.rejects(psm.requestSecurity(AbortSignal.timeout(20_000)), (e: unknown) => e instanceof SmpError && e.code === 'PAIRING_NOT_SUPPORTED');
  assert.equal(psm.core.deadline, undefined);
  assert.equal(b.registry.listBonds().length, 0);
});

test('no answer: the SMP timeout rejects the call (SMP_TIMEOUT), then this link does no more SMP', async (t) => {
  const { a, b, cm } = await setup(t, { ioCapability: Io.NoInputNoOutput, autoSecurityRequest: false }, { ioCapability: Io.NoInputNoOutput });
  const pm = managerFor(b, { ioCapability: Io.NoInputNoOutput, timeoutMs: 300 });
  t.after(() => pm.close());
  const [cl, pl] = await link(a, b);
  const heard = new Promise<void>((resolve) => cm.attach(cl).once('securityRequest', () => resolve()));
  const psm = pm.attach(pl);
  const timedOut = new Promise<void>((resolve) => psm.once('timeout', resolve));
  await assert.rejects(psm.requestSecurity(), code('SMP_TIMEOUT'));
  await Promise.all([heard, timedOut]);
  assert.equal(psm.core.state, 'timedOut');
  assert.throws(() => psm.requestSecurity(), code('SMP_TIMED_OUT'));
});

test('abort: the call rejects with the signal\'s reason and the SMP timer stops; a pre-aborted signal sends nothing', async (t) => {
  const { a, b, cm, pm } = await setup(t, { ioCapability: Io.NoInputNoOutput, autoSecurityRequest: false }, { ioCapability: Io.NoInputNoOutput });
  const [cl, pl] = await link(a, b);
  const csm = cm.attach(cl);
  const psm = pm.attach(pl);
  const ac = new AbortController();
  csm.once('securityRequest', () => ac.abort(new Error('user gave up')));
  await assert.rejects(psm.requestSecurity(ac.signal), /user gave up/);
  assert.equal(psm.core.securityRequested, false);
  assert.equal(psm.core.deadline, undefined);
  assert.throws(() => psm.requestSecurity(AbortSignal.abort(new Error('already'))), /already/);
  assert.equal(psm.core.securityRequested, false);
  // Not a central's call.
  assert.throws(() => csm.requestSecurity(), (e: unknown) => e instanceof SmpUsageError && e.code === 'NOT_PERIPHERAL');
});

test('the central hangs up instead of answering: the call rejects with CLOSED', async (t) => {
  const { a, b, cm, pm } = await setup(t, { ioCapability: Io.NoInputNoOutput, autoSecurityRequest: false }, { ioCapability: Io.NoInputNoOutput });
  const [cl, pl] = await link(a, b);
  cm.attach(cl).once('securityRequest', () => void cl.disconnect());
  await assert.rejects(pm.requestSecurity(pl), (e: unknown) => e instanceof SmpUsageError && e.code === 'CLOSED');
});

test('core: a Security Request starts the SMP timer; the central\'s answer (encryption, Pairing Request) stops it; silence times out', () => {
  const local = { type: 'random', address: 'C1:22:33:44:55:66' } as const;
  const peer = { type: 'random', address: 'D1:22:33:44:55:77' } as const;
  const make = (mitmRequired = true) => new SmpCore({ role: 'peripheral', localAddress: local, peerAddress: peer, ioCapability: Io.NoInputNoOutput, mitmRequired });

  const p = make();
  const [sent] = p.start(1000);
  assert.equal(sent.type, 'send');
  const pdu = decodePdu(sent.type === 'send' ? sent.pdu : new Uint8Array());
  assert.equal(pdu.code, 0x0b);
  assert.equal(pdu.code === 0x0b && (pdu.authReq & 0x04), 0x04, 'MITM bit set');
  assert.equal(p.deadline, 31_000);
  assert.equal(p.securityRequested, true);
  assert.deepEqual(p.encryptionChanged(true, 2000), []);
  assert.equal(p.deadline, undefined);
  assert.equal(p.securityRequested, false);
  assert.deepEqual(p.tick(40_000), [], 'no timeout once answered');

  const q = make();
  q.start(0);
  assert.deepEqual(q.tick(29_999), []);
  assert.deepEqual(q.tick(30_000), [{ type: 'timeout' }]);
  assert.equal(q.state, 'timedOut');

  // A Pairing Request is an answer too: the pairing runs under its own timer.
  const r = make(false);
  r.start(0);
  const central = new SmpCore({ role: 'central', localAddress: peer, peerAddress: local, ioCapability: Io.NoInputNoOutput });
  const [req] = central.start(5000);
  r.receive(req.type === 'send' ? req.pdu : new Uint8Array(), 5000);
  assert.equal(r.securityRequested, false);
  assert.equal(r.deadline, 35_000);
});
