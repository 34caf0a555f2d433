import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex as h, toHex, reverse, concat } from '../src/bytes.js';
import { aesCmac, cmacSubkeys, e, f4, f5, f5T, f6, g2, h6, h7, ah, c1, s1, numericComparisonValue, linkKeyFromLtk, ltkFromLinkKey, signData } from '../src/index.js';
import { loadVectors, type Json } from './helpers/vectors.js';

const V: Json = loadVectors();

test('vector file has every section this test knows', () => {
  for (const k of ['aes_cmac', 'smp_debug_key', 'p256_ecdh', 'f4', 'f5', 'f6', 'g2', 'h6', 'ah', 'h7', 'ctkd', 'c1', 's1', 'nonspec_att_signing', 'nonspec_invalid_public_key', 'nonspec_p256_self_dh', 'nonspec_derived']) {
    assert.ok(V[k], `missing section ${k}`);
  }
});

test('AES-CMAC: RFC 4493 subkeys and all messages', () => {
  const key = h(V.aes_cmac.inputs.key);
  const sk = cmacSubkeys(key);
  assert.equal(toHex(sk.l), V.aes_cmac.intermediates.L_AES_K_0);
  assert.equal(toHex(sk.k1), V.aes_cmac.intermediates.K1);
  assert.equal(toHex(sk.k2), V.aes_cmac.intermediates.K2);
  assert.equal(toHex(e(key, new Uint8Array(16))), V.aes_cmac.intermediates.L_AES_K_0);
  assert.equal(V.aes_cmac.vectors.length, 4);
  for (const v of V.aes_cmac.vectors) assert.equal(toHex(aesCmac(key, h(v.message))), v.output, `message of ${v.message.length / 2} octets`);
});

test('f4 (spec sample, V = private key B quirk) and its Pairing Confirm PDU', () => {
  const i = V.f4.inputs;
  const out = f4(h(i.U), h(i.V), h(i.X), parseInt(i.Z, 16));
  assert.equal(toHex(out), V.f4.output);
  assert.equal(toHex(concat(Uint8Array.of(3), reverse(out))), V.f4.wire.pairingConfirmPdu);
});

test('f5: T, MacKey, LTK and the LTK in HCI order', () => {
  const i = V.f5.inputs;
  assert.equal(toHex(f5T(h(i.W))), V.f5.intermediates.T);
  const { macKey, ltk } = f5(h(i.W), h(i.N1), h(i.N2), h(i.A1), h(i.A2));
  assert.equal(toHex(macKey), V.f5.output.MacKey);
  assert.equal(toHex(ltk), V.f5.output.LTK);
  assert.equal(toHex(reverse(ltk)), V.f5.wire.ltkForHciLeStartEncryptionOrLtkReply);
});

test('f6 and its DHKey Check PDU; IOcap is the request octets reversed', () => {
  const i = V.f6.inputs;
  const out = f6(h(i.W), h(i.N1), h(i.N2), h(i.R), h(i.IOcap), h(i.A1), h(i.A2));
  assert.equal(toHex(out), V.f6.output);
  assert.equal(toHex(concat(Uint8Array.of(0x0d), reverse(out))), V.f6.wire.dhkeyCheckPdu);
  assert.equal(toHex(reverse(h(i.IOcap))), V.f6.wire.ioCapOctetsAsInPairingPdu);
});

test('g2 and the six digits shown', () => {
  const i = V.g2.inputs;
  const out = g2(h(i.U), h(i.V), h(i.X), h(i.Y));
  assert.equal(toHex(aesCmac(h(i.X), concat(h(i.U), h(i.V), h(i.Y)))), V.g2.intermediates.fullCmac);
  assert.equal(out.toString(16).padStart(8, '0'), V.g2.output);
  assert.equal(numericComparisonValue(out), V.g2.derived.numericComparisonValue);
  assert.equal(numericComparisonValue(5), '000005');
});

test('h6, h7', () => {
  assert.equal(toHex(h6(h(V.h6.inputs.W), h(V.h6.inputs.keyID))), V.h6.output);
  assert.equal(toHex(h7(h(V.h7.inputs.SALT), h(V.h7.inputs.W))), V.h7.output);
});

test('ah and the resolvable private address it makes', () => {
  const out = ah(h(V.ah.inputs.IRK), h(V.ah.inputs.prand));
  assert.equal(toHex(out), V.ah.output);
  const rpa = concat(h(V.ah.inputs.prand), out);
  assert.equal(toHex(rpa), V.ah.derived.rpa);
  assert.equal(toHex(reverse(rpa)), V.ah.derived.rpaHciOrder);
});

test('cross-transport key derivation, all four CT2 cases', () => {
  assert.equal(V.ctkd.vectors.length, 4);
  for (const v of V.ctkd.vectors) {
    const out = v.inputs.LTK ? linkKeyFromLtk(h(v.inputs.LTK), v.inputs.ct2) : ltkFromLinkKey(h(v.inputs.LinkKey), v.inputs.ct2);
    assert.equal(toHex(out), v.output, v.name);
  }
});

test('c1 (legacy confirm) from MSB-first values and from wire PDUs', () => {
  const i = V.c1.inputs;
  const out = c1(h(i.k), h(i.r), h(i.preq), h(i.pres), parseInt(i.iat, 16), parseInt(i.rat, 16), h(i.ia), h(i.ra));
  assert.equal(toHex(out), V.c1.output);
  const w = V.c1.wire;
  const fromWire = c1(h(i.k), h(i.r), reverse(h(w.preqPdu)), reverse(h(w.presPdu)), 1, 0, reverse(h(w.iaHci)), reverse(h(w.raHci)));
  assert.equal(toHex(fromWire), V.c1.output);
  assert.equal(toHex(concat(Uint8Array.of(3), reverse(out))), w.pairingConfirmPdu);
});

test('s1 (legacy STK)', () => {
  const i = V.s1.inputs;
  assert.equal(toHex(s1(h(i.k), h(i.r1), h(i.r2))), V.s1.output);
  assert.equal(toHex(e(h(i.k), h(V.s1.intermediates.rPrime))), V.s1.output);
});

test('data signing (non-spec BlueZ vectors)', () => {
  assert.equal(V.nonspec_att_signing.vectors.length, 5);
  for (const v of V.nonspec_att_signing.vectors) {
    assert.equal(toHex(signData(reverse(h(v.key_le)), h(v.message_wire), v.signCounter)), v.signature_wire, v.name);
  }
});

test('derived non-spec vectors (OOB confirm, passkey round, f6 with passkey)', () => {
  for (const v of V.nonspec_derived.vectors) {
    const i = v.inputs;
    const out = v.function === 'f4'
      ? f4(h(i.U), h(i.V), h(i.X), parseInt(i.Z, 16))
      : f6(h(i.W), h(i.N1), h(i.N2), h(i.R), h(i.IOcap), h(i.A1), h(i.A2));
    assert.equal(toHex(out), v.output, v.name);
  }
});

test('wrong lengths are refused with RangeError', () => {
  assert.throws(() => e(new Uint8Array(15), new Uint8Array(16)), RangeError);
  assert.throws(() => f4(new Uint8Array(31), new Uint8Array(32), new Uint8Array(16), 0), RangeError);
  assert.throws(() => f6(new Uint8Array(16), new Uint8Array(16), new Uint8Array(16), new Uint8Array(16), new Uint8Array(2), new Uint8Array(7), new Uint8Array(7)), RangeError);
  assert.throws(() => ah(new Uint8Array(16), new Uint8Array(4)), RangeError);
  // typed, like every error of the stack: a code to branch on
  assert.throws(() => e(new Uint8Array(15), new Uint8Array(16)), { name: 'SmpArgumentError', code: 'INVALID_ARGUMENT' });
  assert.throws(() => ah(new Uint8Array(15), new Uint8Array(3)), { name: 'SmpArgumentError', code: 'INVALID_ARGUMENT' });
});
