// Failures end the pairing on both sides with the right reason and leave no keys behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, reverse, fromHex } from '../src/bytes.js';
import { generateScOobData, IoCapability as Io, P256KeyPair, RepeatedAttempts, SmpCore, encodePdu, SmpUsageError, type SmpAction } from '../src/index.js';
import { wire, type WireResult } from './helpers/wire.js';
import { pairOptions, CENTRAL_ADDR } from './helpers/keys.js';

function assertFailed(r: WireResult, reason: string, detector: 'central' | 'peripheral', detail?: string, inKeyDistribution = false) {
  const other = detector === 'central' ? 'peripheral' : 'central';
  assert.equal(r[detector].error?.code, reason, `${detector} reason (${r[detector].error?.message})`);
  assert.equal(r[detector].remoteError, false);
  if (detail) assert.equal(r[detector].error?.detail, detail);
  assert.equal(r[other].error?.code, reason, `${other} hears the reason`);
  assert.equal(r[other].remoteError, true);
  for (const s of [r.central, r.peripheral]) {
    assert.equal(s.result, undefined, 'nothing completed, nothing to store');
    assert.equal(s.core.state, 'failed');
    // A failure in phase 3 comes after encryption; the pairing still yields nothing to store.
    if (!inKeyDistribution) assert.equal(s.encryptedWith, undefined, 'link never encrypted');
  }
  // The detector told the peer with a Pairing Failed PDU carrying the reason code.
  const failedPdu = r[detector].actions.find((a) => a.type === 'send' && a.pdu[0] === 0x05) as Extract<SmpAction, { type: 'send' }>;
  assert.ok(failedPdu, 'Pairing Failed sent');
  assert.equal(failedPdu.pdu[1], r[detector].error!.reason);
}

const kbd = { ioCapability: Io.KeyboardOnly, mitm: true };
const disp = { ioCapability: Io.DisplayOnly, mitm: true };
const yesno = { ioCapability: Io.DisplayYesNo, mitm: true };

for (const sc of [true, false]) {
  test(`wrong passkey -> CONFIRM_VALUE_FAILED (0x04), ${sc ? 'SC' : 'legacy'}`, () => {
    const [co, po] = pairOptions({ ...kbd, secureConnections: sc }, { ...disp, secureConnections: sc });
    const r = wire(co, po, { passkeyFor: (_s, shown) => (Number(shown) + 1) % 1_000_000 });
    // SC: the responder checks the first round whose bit differs; legacy: the peripheral checks Mconfirm.
    assertFailed(r, 'CONFIRM_VALUE_FAILED', 'peripheral');
    assert.equal(r.peripheral.error!.reason, 0x04);
  });
}

test('SC passkey: a wrong passkey differing only in bit 19 fails in round 19', () => {
  // 123456 has bit 19 clear; 123456 + 2^19 = 647744 differs in that bit alone.
  const [co, po] = pairOptions(kbd, { ...disp, fixedPasskey: 123456 });
  const r = wire(co, po, { passkeyFor: () => 123456 + (1 << 19) });
  assertFailed(r, 'CONFIRM_VALUE_FAILED', 'peripheral');
  assert.equal(r.peripheral.error!.detail, 'PASSKEY_ROUND_19');
  // 19 rounds passed: each side sent 20 confirms and the central 20 randoms.
  assert.equal(r.central.sent.filter((c) => c === 0x03).length, 20);
});

test('rejected numeric comparison -> NUMERIC_COMPARISON_FAILED (0x0C), either side', () => {
  for (const who of ['central', 'peripheral'] as const) {
    const [co, po] = pairOptions(yesno, yesno);
    const r = wire(co, po, { confirm: (s) => s !== who });
    assertFailed(r, 'NUMERIC_COMPARISON_FAILED', who);
    assert.equal(r[who].error!.reason, 0x0c);
  }
});

test('DHKey check tampered in either direction -> DHKEY_CHECK_FAILED', () => {
  for (const from of ['central', 'peripheral'] as const) {
    const [co, po] = pairOptions();
    const r = wire(co, po, {
      tamper: (f, pdu) => (f === from && pdu[0] === 0x0d ? Uint8Array.from(pdu, (b, i) => (i === 5 ? b ^ 1 : b)) : pdu),
    });
    assertFailed(r, 'DHKEY_CHECK_FAILED', from === 'central' ? 'peripheral' : 'central');
  }
});

test('a confirm value tampered in transit -> CONFIRM_VALUE_FAILED (SC and legacy)', () => {
  for (const sc of [true, false]) {
    const [co, po] = pairOptions({ secureConnections: sc }, { secureConnections: sc });
    const r = wire(co, po, { tamper: (f, pdu) => (f === 'peripheral' && pdu[0] === 0x03 ? Uint8Array.from(pdu, (b, i) => (i === 1 ? b ^ 0x80 : b)) : pdu) });
    assertFailed(r, 'CONFIRM_VALUE_FAILED', 'central');
  }
});

const offCurve = () => concat(Uint8Array.of(0x0c), reverse(fromHex('20b003d2f297be2c5e2c83a7e9f9a5b9eff49111acf4fddbcc0301480e359de6')), new Uint8Array(32).fill(0x42));

test('off-curve public key (CVE-2018-5383) is refused by either side', () => {
  for (const from of ['central', 'peripheral'] as const) {
    const [co, po] = pairOptions();
    const r = wire(co, po, { tamper: (f, pdu) => (f === from && pdu[0] === 0x0c ? offCurve() : pdu) });
    assertFailed(r, 'DHKEY_CHECK_FAILED', from === 'central' ? 'peripheral' : 'central', 'PUBLIC_KEY_OFF_CURVE');
  }
});

test('our own public key reflected back (CVE-2020-26558) is refused by either side', () => {
  // Central: the peripheral's key is replaced by the central's own.
  {
    const [co, po] = pairOptions();
    let centralKey: Uint8Array | undefined;
    const r = wire(co, po, {
      tamper: (f, pdu) => {
        if (pdu[0] !== 0x0c) return pdu;
        if (f === 'central') centralKey = pdu;
        return f === 'peripheral' ? centralKey : pdu;
      },
    });
    assertFailed(r, 'DHKEY_CHECK_FAILED', 'central', 'PUBLIC_KEY_REFLECTED');
  }
  // Peripheral (in debug mode, so its key is known before it sends it): it receives its own key.
  {
    const [co, po] = pairOptions({}, { useDebugKey: true, allowDebugKeys: true });
    const dbg = P256KeyPair.debug();
    const r = wire(co, po, { tamper: (f, pdu) => (f === 'central' && pdu[0] === 0x0c ? encodePdu({ code: 0x0c, x: dbg.x, y: dbg.y }) : pdu) });
    assertFailed(r, 'DHKEY_CHECK_FAILED', 'peripheral', 'PUBLIC_KEY_REFLECTED');
  }
});

test('the debug key is refused unless debug keys are allowed', () => {
  const [co, po] = pairOptions({ useDebugKey: true });
  assertFailed(wire(co, po), 'DHKEY_CHECK_FAILED', 'peripheral', 'DEBUG_KEY_REJECTED');
  const [co2, po2] = pairOptions({ useDebugKey: true }, { allowDebugKeys: true });
  const ok = wire(co2, po2);
  assert.ok(ok.central.result && ok.peripheral.result);
});

// Count the PDUs of a clean run, then at every position swap the PDU for one the receiver
// does not expect there; and separately truncate it.
function flowLength(co: ReturnType<typeof pairOptions>[0], po: ReturnType<typeof pairOptions>[1]): { n: number; codes: number[]; from: string[] } {
  const codes: number[] = [];
  const from: string[] = [];
  wire(co, po, { tamper: (f, pdu) => (codes.push(pdu[0]), from.push(f), pdu) });
  return { n: codes.length, codes, from };
}

/**
 * The central's own keys are the last PDUs of a pairing: once it has sent them it is done, so a
 * peripheral that fails on them fails alone (it stores nothing; the central never hears back).
 */
function assertPeripheralAloneFailed(r: WireResult, reason: string) {
  assert.equal(r.peripheral.error?.code, reason);
  assert.equal(r.peripheral.result, undefined);
  assert.ok(r.central.result);
  assert.equal(r.peripheral.sent.at(-1), 0x05);
}

const oobA = generateScOobData();
const oobB = generateScOobData();
const tk = new Uint8Array(16).fill(0x5a);
const flows: [string, Partial<Parameters<typeof pairOptions>[0]>, Partial<Parameters<typeof pairOptions>[1]>][] = [
  ['SC Just Works', {}, {}],
  ['SC numeric comparison', yesno, yesno],
  ['SC passkey', kbd, disp],
  ['SC OOB', { oob: { local: oobA, peer: { r: oobB.r, c: oobB.c } } }, { oob: { local: oobB, peer: { r: oobA.r, c: oobA.c } } }],
  ['SC with CTKD and no identity keys', { linkKey: true, localKeys: {} }, { linkKey: true, localKeys: {} }],
  ['legacy Just Works', { secureConnections: false }, {}],
  ['legacy passkey', { ...kbd, secureConnections: false }, disp],
  ['legacy OOB', { secureConnections: false, oob: { legacyTk: tk } }, { secureConnections: false, oob: { legacyTk: tk } }],
];

for (const [name, c, p] of flows) {
  test(`${name}: an unexpected PDU in each state -> UNSPECIFIED_REASON`, () => {
    const [co, po] = pairOptions(c, p);
    const { n, codes, from } = flowLength(co, po);
    assert.ok(n >= 8, `flow has ${n} PDUs`);
    for (let k = 0; k < n; k++) {
      // A DHKey Check where something else is due; a Pairing Confirm where a DHKey Check is due.
      const alt = codes[k] === 0x0d ? encodePdu({ code: 0x03, confirm: new Uint8Array(16) }) : encodePdu({ code: 0x0d, check: new Uint8Array(16) });
      const [co2, po2] = pairOptions(c, p);
      const r = wire(co2, po2, { tamper: (_f, pdu, i) => (i === k ? alt : pdu) });
      if (k === 0) {
        // The idle peripheral answers with Pairing Failed and keeps no state of its own.
        assert.equal(r.peripheral.sent.join(','), '5');
        assert.equal(r.peripheral.core.state, 'idle');
        assert.equal(r.central.error?.code, 'UNSPECIFIED_REASON');
        assert.equal(r.central.remoteError, true);
        continue;
      }
      if (from[k] === 'central' && codes[k] >= 0x06 && codes[k] <= 0x0a) {
        assertPeripheralAloneFailed(r, 'UNSPECIFIED_REASON');
        continue;
      }
      const detector = r.central.remoteError === false ? 'central' : 'peripheral';
      assertFailed(r, 'UNSPECIFIED_REASON', detector, undefined, codes[k] >= 0x06 && codes[k] <= 0x0a);
      assert.match(r[detector].error!.detail!, /^UNEXPECTED_PDU_0x0[3d]$|^KEY_OUT_OF_ORDER$/, `position ${k}`);
    }
  });

  test(`${name}: each PDU truncated by one octet -> INVALID_PARAMETERS`, () => {
    const [co, po] = pairOptions(c, p);
    const { n, codes, from } = flowLength(co, po);
    for (let k = 0; k < n; k++) {
      const [co2, po2] = pairOptions(c, p);
      const r = wire(co2, po2, { tamper: (_f, pdu, i) => (i === k ? pdu.subarray(0, pdu.length - 1) : pdu) });
      if (from[k] === 'central' && codes[k] >= 0x06 && codes[k] <= 0x0a) {
        assertPeripheralAloneFailed(r, 'INVALID_PARAMETERS');
        continue;
      }
      const detector = r.central.remoteError === false ? 'central' : 'peripheral';
      assertFailed(r, 'INVALID_PARAMETERS', detector, undefined, codes[k] >= 0x06 && codes[k] <= 0x0a);
    }
  });
}

test('SMP timeout: 30 s after the last command sent, no Pairing Failed, no more SMP on the link', () => {
  const [co] = pairOptions();
  const core = new SmpCore({ ...co, role: 'central' });
  const start = core.start(0);
  assert.equal(start.length, 1);
  assert.equal(core.deadline, 30_000);
  assert.deepEqual(core.tick(29_999), []);
  const out = core.tick(30_000);
  assert.deepEqual(out.map((a) => a.type), ['timeout']);
  assert.equal(core.state, 'timedOut');
  // A late answer is ignored and a new pairing needs a new link.
  assert.deepEqual(core.receive(Uint8Array.of(0x02, 3, 0, 0x0d, 16, 0, 0), 30_001), []);
  assert.throws(() => core.start(30_002), (e: unknown) => e instanceof SmpUsageError && e.code === 'SMP_TIMED_OUT');
});

test('SMP timeout on the peripheral while waiting for the user; the timer restarts on each command sent', () => {
  const [co, po] = pairOptions(kbd, disp);
  const c = new SmpCore({ ...co, role: 'central' });
  const p = new SmpCore({ ...po, role: 'peripheral' });
  const req = c.start(0)[0] as Extract<SmpAction, { type: 'send' }>;
  const res = p.receive(req.pdu, 10_000).find((a) => a.type === 'send') as Extract<SmpAction, { type: 'send' }>;
  assert.equal(p.deadline, 40_000);
  const key = c.receive(res.pdu, 20_000).find((a) => a.type === 'send') as Extract<SmpAction, { type: 'send' }>;
  assert.equal(c.deadline, 50_000);
  p.receive(key.pdu, 25_000);
  assert.equal(p.deadline, 55_000, 'restarted when the peripheral sent its public key');
  assert.deepEqual(p.tick(55_000).map((a) => a.type), ['timeout']);
  assert.throws(() => p.passkeyEntered(1, 55_001));
});

test('repeated attempts: after a failure the same peer is refused with 0x09, with exponential backoff', () => {
  const attempts = new RepeatedAttempts({ initialIntervalMs: 1_000 });
  const run = (t: number, wrong: boolean) => {
    const [co, po] = pairOptions(kbd, { ...disp, attempts });
    return wire(co, po, { startTime: t, passkeyFor: wrong ? (_s, shown) => (Number(shown) + 1) % 1_000_000 : undefined });
  };
  const first = run(0, true);
  assertFailed(first, 'CONFIRM_VALUE_FAILED', 'peripheral');
  const blocked = run(first.now + 10, false);
  assert.equal(blocked.central.error?.code, 'REPEATED_ATTEMPTS');
  assert.equal(blocked.central.remoteError, true);
  assert.equal(blocked.peripheral.error?.code, 'REPEATED_ATTEMPTS');
  assert.equal(blocked.peripheral.sent.join(','), '5', 'only a Pairing Failed went out');
  // Wait out the first interval: allowed again; fail again: the interval doubles.
  const t2 = first.now + 1_000;
  const second = run(t2, true);
  assertFailed(second, 'CONFIRM_VALUE_FAILED', 'peripheral');
  assert.ok(attempts.waitMs(CENTRAL_ADDR.address, second.now) > 1_000);
  assert.equal(run(second.now + 1_500, false).central.error?.code, 'REPEATED_ATTEMPTS');
  const ok = run(second.now + 2_000, false);
  assert.ok(ok.central.result && ok.peripheral.result, 'after 2 s the pairing succeeds');
  assert.equal(attempts.waitMs(CENTRAL_ADDR.address, ok.now), 0, 'success clears the record');
});

test('a Pairing Request sent to a central and a Security Request sent to a peripheral are refused', () => {
  const [co, po] = pairOptions();
  const c = new SmpCore({ ...co, role: 'central' });
  const out = c.receive(encodePdu({ code: 0x01, ioCapability: 3, oobDataFlag: false, authReq: 0, maxEncryptionKeySize: 16, initiatorKeyDistribution: 0, responderKeyDistribution: 0 }), 0);
  assert.equal((out.find((a) => a.type === 'failed') as Extract<SmpAction, { type: 'failed' }>).error.code, 'COMMAND_NOT_SUPPORTED');
  const p = new SmpCore({ ...po, role: 'peripheral' });
  const out2 = p.receive(Uint8Array.of(0x0b, 0x01), 0);
  assert.equal((out2.find((a) => a.type === 'failed') as Extract<SmpAction, { type: 'failed' }>).error.code, 'COMMAND_NOT_SUPPORTED');
});

test('an identity address that is not public or static random is refused (INVALID_PARAMETERS)', () => {
  const [co, po] = pairOptions({}, { localKeys: { irk: new Uint8Array(16).fill(1), identityAddress: { type: 'random', address: '4A:11:22:33:44:55' } } });
  const r = wire(co, po);
  assert.equal(r.central.error?.code, 'INVALID_PARAMETERS');
  assert.equal(r.central.error?.detail, 'IDENTITY_ADDRESS_NOT_STATIC');
  assert.equal(r.peripheral.error?.code, 'INVALID_PARAMETERS');
  assert.equal(r.central.result, undefined);
});
