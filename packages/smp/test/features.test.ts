// OOB, CTKD, keypress, key size, SC-only, MITM-required, security request, bonding options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { toHex } from '../src/bytes.js';
import { generateScOobData, IoCapability as Io, KeypressType, linkKeyFromLtk, SmpCore, type SmpAction } from '../src/index.js';
import { wire } from './helpers/wire.js';
import { pairOptions } from './helpers/keys.js';

const ok = (r: ReturnType<typeof wire>) => {
  assert.equal(r.central.error, undefined, r.central.error?.message);
  assert.equal(r.peripheral.error, undefined, r.peripheral.error?.message);
  assert.ok(r.central.result && r.peripheral.result);
  assert.equal(toHex(r.central.result.ltk), toHex(r.peripheral.result.ltk));
  return [r.central.result, r.peripheral.result] as const;
};

test('SC OOB, data both ways', () => {
  const a = generateScOobData();
  const b = generateScOobData();
  const [co, po] = pairOptions({ oob: { local: a, peer: { r: b.r, c: b.c } } }, { oob: { local: b, peer: { r: a.r, c: a.c } } });
  const [cr] = ok(wire(co, po));
  assert.equal(cr.model, 'OOB');
  assert.equal(cr.authenticated, true);
  assert.equal(cr.securityLevel, 4);
});

test('SC OOB, one-sided: only the central holds the peripheral data (ra = 0), and the reverse', () => {
  const b = generateScOobData();
  const [co, po] = pairOptions({ oob: { peer: { r: b.r, c: b.c } } }, { oob: { local: b } });
  assert.equal(ok(wire(co, po))[0].model, 'OOB');
  const a = generateScOobData();
  const [co2, po2] = pairOptions({ oob: { local: a } }, { oob: { peer: { r: a.r, c: a.c } } });
  assert.equal(ok(wire(co2, po2))[0].model, 'OOB');
});

test('SC OOB with a wrong peer confirm -> CONFIRM_VALUE_FAILED; with a wrong r -> CONFIRM_VALUE_FAILED', () => {
  const b = generateScOobData();
  const [co, po] = pairOptions({ oob: { peer: { r: b.r, c: new Uint8Array(randomBytes(16)) } } }, { oob: { local: b } });
  const r = wire(co, po);
  assert.equal(r.central.error?.code, 'CONFIRM_VALUE_FAILED');
  assert.equal(r.central.error?.detail, 'OOB_CONFIRM_MISMATCH');
  assert.equal(r.peripheral.error?.code, 'CONFIRM_VALUE_FAILED');
  // Data from another key pair (an attacker's) does not match the key actually used.
  const other = generateScOobData();
  const [co2, po2] = pairOptions({ oob: { peer: { r: other.r, c: other.c } } }, { oob: { local: b } });
  assert.equal(wire(co2, po2).central.error?.code, 'CONFIRM_VALUE_FAILED');
});

test('legacy OOB with a 16-octet TK; a different TK fails the confirm', () => {
  const tk = new Uint8Array(randomBytes(16));
  const [co, po] = pairOptions({ secureConnections: false, oob: { legacyTk: tk } }, { secureConnections: false, oob: { legacyTk: tk } });
  const [cr] = ok(wire(co, po));
  assert.equal(cr.model, 'OOB');
  assert.equal(cr.securityLevel, 3);
  const [co2, po2] = pairOptions({ secureConnections: false, oob: { legacyTk: tk } }, { secureConnections: false, oob: { legacyTk: new Uint8Array(randomBytes(16)) } });
  assert.equal(wire(co2, po2).peripheral.error?.code, 'CONFIRM_VALUE_FAILED');
  // Legacy OOB needs both flags: one side only falls back to the IO table.
  const [co3, po3] = pairOptions({ secureConnections: false, oob: { legacyTk: tk } }, { secureConnections: false });
  assert.equal(ok(wire(co3, po3))[0].model, 'JustWorks');
});

test('CTKD: both ask for the link key -> h6/h7 link key from the LTK, CT2 honoured', () => {
  for (const ct2 of [true, false]) {
    const [co, po] = pairOptions({ linkKey: true, ct2 }, { linkKey: true });
    const [cr, pr] = ok(wire(co, po));
    assert.ok(cr.linkKey && pr.linkKey);
    assert.equal(toHex(cr.linkKey), toHex(pr.linkKey));
    assert.equal(toHex(cr.linkKey), toHex(linkKeyFromLtk(cr.ltk, ct2)));
  }
  const [co, po] = pairOptions({ linkKey: true }, {});
  assert.equal(ok(wire(co, po))[0].linkKey, undefined, 'one side only: no link key');
  const [co2, po2] = pairOptions({ linkKey: true, secureConnections: false }, { linkKey: true, secureConnections: false });
  assert.equal(ok(wire(co2, po2))[0].linkKey, undefined, 'legacy: no CTKD from LE');
});

test('keypress notifications flow from the typing side when both set the bit', () => {
  const presses = [KeypressType.PASSKEY_ENTRY_STARTED, KeypressType.PASSKEY_DIGIT_ENTERED, KeypressType.PASSKEY_DIGIT_ERASED, KeypressType.PASSKEY_ENTRY_COMPLETED];
  const [co, po] = pairOptions({ ioCapability: Io.DisplayOnly, mitm: true, keypress: true }, { ioCapability: Io.KeyboardOnly, keypress: true });
  const r = wire(co, po, { keypresses: presses });
  ok(r);
  assert.deepEqual(r.central.keypresses, presses);
  // Not agreed: sending one is a usage error.
  const [co2, po2] = pairOptions({ ioCapability: Io.DisplayOnly, mitm: true, keypress: true }, { ioCapability: Io.KeyboardOnly });
  assert.throws(() => wire(co2, po2, { keypresses: presses }), (e: unknown) => (e as { code?: string }).code === 'KEYPRESS_NOT_NEGOTIATED');
});

test('key size: negotiated minimum, the key masked; below our minimum -> ENCRYPTION_KEY_SIZE', () => {
  for (const sc of [true, false]) {
    const [co, po] = pairOptions({ maxKeySize: 10, secureConnections: sc }, { secureConnections: sc });
    const [cr, pr] = ok(wire(co, po));
    assert.equal(cr.keySize, 10);
    assert.equal(toHex(cr.ltk).slice(0, 12), '000000000000', 'six most significant octets zeroed');
    assert.notEqual(toHex(cr.ltk).slice(12), '00000000000000000000');
    if (!sc) assert.equal(toHex(pr.localKeys.ltk!).slice(0, 12), '000000000000', 'distributed legacy LTK has the size too');
    assert.equal(cr.securityLevel, 2);
  }
  const [co, po] = pairOptions({ maxKeySize: 7 }, { minKeySize: 16 });
  const r = wire(co, po);
  assert.equal(r.peripheral.error?.code, 'ENCRYPTION_KEY_SIZE');
  assert.equal(r.central.error?.code, 'ENCRYPTION_KEY_SIZE');
  const [co2, po2] = pairOptions({ minKeySize: 12 }, { maxKeySize: 8 });
  assert.equal(wire(co2, po2).central.error?.code, 'ENCRYPTION_KEY_SIZE', 'the central checks the response');
  const [cok, pok] = pairOptions({}, { mitm: true, ioCapability: Io.KeyboardOnly });
  const strong = ok(wire({ ...cok, ioCapability: Io.DisplayOnly }, pok))[0];
  assert.equal(strong.securityLevel, 4);
});

test('SC-only mode refuses legacy; MITM-required mode refuses Just Works (AUTHENTICATION_REQUIREMENTS)', () => {
  const [co, po] = pairOptions({ secureConnections: false }, { scOnly: true });
  const r = wire(co, po);
  assert.equal(r.peripheral.error?.code, 'AUTHENTICATION_REQUIREMENTS');
  assert.equal(r.central.error?.code, 'AUTHENTICATION_REQUIREMENTS');
  const [co2, po2] = pairOptions({ scOnly: true }, { secureConnections: false });
  assert.equal(wire(co2, po2).central.error?.detail, 'SC_ONLY');
  const [co3, po3] = pairOptions({ mitmRequired: true }, {});
  const r3 = wire(co3, po3);
  assert.equal(r3.central.error?.code, 'AUTHENTICATION_REQUIREMENTS');
  assert.equal(r3.central.error?.detail, 'MITM_REQUIRED');
  const [co4, po4] = pairOptions({ mitmRequired: true, ioCapability: Io.KeyboardDisplay }, { ioCapability: Io.DisplayYesNo });
  assert.equal(ok(wire(co4, po4))[0].model, 'NumericComparison');
});

test('no bonding: no keys distributed, result not bonded', () => {
  const [co, po] = pairOptions({ bonding: false }, {});
  const [cr, pr] = ok(wire(co, po));
  assert.equal(cr.bonded, false);
  assert.deepEqual(cr.peerKeys, {});
  assert.deepEqual(pr.peerKeys, {});
});

test('security request: the central is told, ignores it while pairing', () => {
  const [co, po] = pairOptions();
  const p = new SmpCore({ ...po, role: 'peripheral', mitm: true });
  const c = new SmpCore({ ...co, role: 'central' });
  const sr = p.start(0)[0] as Extract<SmpAction, { type: 'send' }>;
  assert.equal(sr.pdu[0], 0x0b);
  assert.equal(p.state, 'idle');
  const out = c.receive(sr.pdu, 1);
  assert.deepEqual(out, [{ type: 'securityRequest', authReq: sr.pdu[1] }]);
  assert.ok(sr.pdu[1] & 0x04, 'MITM asked');
  c.start(2);
  assert.deepEqual(c.receive(sr.pdu, 3), [], 'ignored during pairing');
});

test('manual accept: the peripheral holds the request until accepted, or refuses it', () => {
  const [co, po] = pairOptions();
  const c = new SmpCore({ ...co, role: 'central' });
  const p = new SmpCore({ ...po, role: 'peripheral', manualAccept: true });
  const req = c.start(0)[0] as Extract<SmpAction, { type: 'send' }>;
  const out = p.receive(req.pdu, 1);
  assert.deepEqual(out.map((a) => a.type), ['pairingRequest']);
  assert.equal(p.state, 'awaitingAccept');
  const res = p.acceptPairingRequest(2);
  assert.ok(res.some((a) => a.type === 'send' && a.pdu[0] === 0x02));
  const p2 = new SmpCore({ ...po, role: 'peripheral', manualAccept: true });
  p2.receive(req.pdu, 1);
  const refused = p2.cancel(0x05, 2);
  assert.deepEqual((refused[0] as Extract<SmpAction, { type: 'send' }>).pdu, Uint8Array.of(0x05, 0x05));
  assert.equal((refused[1] as Extract<SmpAction, { type: 'failed' }>).error.code, 'PAIRING_NOT_SUPPORTED');
});

test('keys that overtake the central\'s Encryption Change are kept until it arrives', () => {
  const [co, po] = pairOptions();
  const c = new SmpCore({ ...co, role: 'central' });
  const p = new SmpCore({ ...po, role: 'peripheral' });
  const pending: { to: SmpCore; pdu: Uint8Array }[] = [];
  let cKey: Uint8Array | undefined;
  const push = (from: SmpCore, acts: SmpAction[]) => {
    for (const a of acts) {
      if (a.type === 'send') pending.push({ to: from === c ? p : c, pdu: a.pdu });
      if (a.type === 'startEncryption') cKey = a.ltk;
    }
  };
  push(c, c.start(0));
  while (pending.length) {
    const m = pending.shift()!;
    push(m.to, m.to.receive(m.pdu, 1));
  }
  assert.ok(cKey);
  // The peripheral's controller reports first and its keys reach the central before the central's event.
  push(p, p.encryptionChanged(true, 2));
  const early = pending.splice(0);
  const acts = early.flatMap((m) => c.receive(m.pdu, 3));
  assert.deepEqual(acts, [], 'held, not failed');
  const done = c.encryptionChanged(true, 4);
  assert.ok(done.some((a) => a.type === 'complete'));
});

test('a fixed passkey is displayed when given; an out-of-range one is refused', () => {
  const [co, po] = pairOptions({ ioCapability: Io.KeyboardOnly, mitm: true }, { ioCapability: Io.DisplayOnly, fixedPasskey: 42 });
  const r = wire(co, po);
  assert.equal(r.peripheral.displayed, '000042');
  ok(r);
  assert.throws(() => new SmpCore({ ...po, role: 'peripheral', fixedPasskey: 1_000_000 }), (e: unknown) => (e as { code?: string }).code === 'INVALID_PASSKEY');
});

test('options given as undefined keep their defaults (30 s timeout, bonding on)', () => {
  const [co] = pairOptions();
  const c = new SmpCore({ ...co, role: 'central', timeoutMs: undefined, bonding: undefined, maxKeySize: undefined });
  const [req] = c.start(1000) as Extract<SmpAction, { type: 'send' }>[];
  assert.equal(c.deadline, 31_000);
  assert.equal(req.pdu[3] & 0x01, 0x01, 'bonding flag set');
  assert.equal(req.pdu[4], 16, 'max key size 16');
});
