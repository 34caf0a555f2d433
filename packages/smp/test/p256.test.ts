import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex as h, toHex, concat, reverse } from '../src/bytes.js';
import { P256KeyPair, validatePeerPublicKey, isOnCurve, PublicKeyError, DEBUG_PUBLIC_KEY_X, DEBUG_PUBLIC_KEY_Y } from '../src/index.js';
import { loadVectors, type Json } from './helpers/vectors.js';

const V: Json = loadVectors();

test('debug key pair: public key from the private key, and its PDU', () => {
  const kp = P256KeyPair.fromPrivateKey(h(V.smp_debug_key.inputs.privateKey));
  assert.equal(toHex(kp.x), V.smp_debug_key.output.publicKeyX);
  assert.equal(toHex(kp.y), V.smp_debug_key.output.publicKeyY);
  assert.ok(kp.isDebugKey);
  assert.equal(toHex(concat(Uint8Array.of(0x0c), reverse(kp.x), reverse(kp.y))), V.smp_debug_key.wire.pairingPublicKeyPdu);
  assert.equal(toHex(DEBUG_PUBLIC_KEY_X), V.smp_debug_key.output.publicKeyX);
  assert.equal(toHex(DEBUG_PUBLIC_KEY_Y), V.smp_debug_key.output.publicKeyY);
});

test('ECDH data sets: both directions give the DHKey', () => {
  assert.equal(V.p256_ecdh.vectors.length, 2);
  for (const v of V.p256_ecdh.vectors) {
    const i = v.inputs;
    const a = P256KeyPair.fromPrivateKey(h(i.privateKeyA));
    const b = P256KeyPair.fromPrivateKey(h(i.privateKeyB));
    assert.equal(toHex(a.x), i.publicKeyAX, v.name);
    assert.equal(toHex(a.y), i.publicKeyAY, v.name);
    assert.equal(toHex(b.x), i.publicKeyBX, v.name);
    assert.equal(toHex(b.y), i.publicKeyBY, v.name);
    assert.equal(toHex(a.dhKey(b)), v.output.dhKey, v.name);
    assert.equal(toHex(b.dhKey(a)), v.output.dhKey, v.name);
  }
});

test('self DH of the debug key (non-spec) is computable, yet validation refuses the reflected key', () => {
  const i = V.nonspec_p256_self_dh.inputs;
  const kp = P256KeyPair.fromPrivateKey(h(i.privateKey));
  assert.equal(toHex(kp.dhKey({ x: h(i.publicKeyX), y: h(i.publicKeyY) })), V.nonspec_p256_self_dh.output.dhKey);
  assert.throws(() => validatePeerPublicKey(kp, kp, true), (err: unknown) => err instanceof PublicKeyError && err.code === 'PUBLIC_KEY_REFLECTED');
});

test('invalid public keys (non-spec): off-curve rejected by noble and by OpenSSL, the negated point accepted', () => {
  const own = P256KeyPair.generate();
  for (const v of V.nonspec_invalid_public_key.vectors) {
    const key = { x: h(v.inputs.X), y: h(v.inputs.Y) };
    if (v.expect === 'accept') {
      assert.ok(isOnCurve(key), v.name);
      validatePeerPublicKey(key, own, false);
      assert.equal(own.dhKey(key).length, 32);
    } else {
      assert.equal(isOnCurve(key), false, v.name);
      assert.throws(() => validatePeerPublicKey(key, own, true), (err: unknown) => err instanceof PublicKeyError && err.code === 'PUBLIC_KEY_OFF_CURVE', v.name);
      // node:crypto's ECDH refuses the point as well: a second, independent line of defence.
      assert.throws(() => own.dhKey(key), (err: unknown) => err instanceof PublicKeyError && err.code === 'PUBLIC_KEY_OFF_CURVE', v.name);
    }
  }
});

test('coordinates >= p are off-curve', () => {
  const p = h('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
  assert.equal(isOnCurve({ x: p, y: DEBUG_PUBLIC_KEY_Y }), false);
});

test('debug key refused unless debug mode allows it', () => {
  const own = P256KeyPair.generate();
  const dbg = P256KeyPair.debug();
  assert.throws(() => validatePeerPublicKey(dbg, own, false), (err: unknown) => err instanceof PublicKeyError && err.code === 'DEBUG_KEY_REJECTED');
  validatePeerPublicKey(dbg, own, true);
});

test('fresh key pairs differ and agree on the DHKey', () => {
  const a = P256KeyPair.generate();
  const b = P256KeyPair.generate();
  assert.notEqual(toHex(a.x), toHex(b.x));
  validatePeerPublicKey(b, a, false);
  assert.equal(toHex(a.dhKey(b)), toHex(b.dhKey(a)));
});
