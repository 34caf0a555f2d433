import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  HandoverSealer,
  decodeHandoverPayload,
  encodeHandoverPayload,
  openHandover,
  sealHandover,
  type HandoverContext,
  type HandoverPayload,
} from '../src/index.js';
import { code } from './helpers/errors.js';

const NOW = 1_800_000_000_000;
const PEER = '12D3KooWGzYjzJzWqVQQ6mX5yZ7NXbLRsSxL6nZ2wKEqSGm9Jb3Z';

function ctx(over: Partial<HandoverContext> = {}): HandoverContext {
  return {
    ltk: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
    initiator: { address: 'C1:22:33:44:55:66', type: 'random' },
    joiner: { address: 'D4:AA:BB:CC:DD:EE', type: 'random' },
    psm: 0x0081,
    ...over,
  };
}

function payload(over: Partial<HandoverPayload> = {}): HandoverPayload {
  return {
    codeSecret: new Uint8Array(randomBytes(16)),
    peerId: PEER,
    multiaddrs: ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002/ws'],
    expiresAt: NOW + 60_000,
    ...over,
  };
}

test('a sealed handover opens on the same link and gives back every field', () => {
  const p = payload();
  const sealed = sealHandover(ctx(), p);
  const out = openHandover(ctx(), sealed, { now: NOW });
  assert.deepEqual(out, p);
  // The code secret is not visible in the sealed bytes.
  assert.equal(Buffer.from(sealed).indexOf(Buffer.from(p.codeSecret)), -1);
  assert.equal(Buffer.from(sealed).indexOf(Buffer.from(PEER)), -1);
});

test('the key is bound to the LTK, both addresses and the PSM', () => {
  const sealed = sealHandover(ctx(), payload());
  const ltk = ctx().ltk;
  ltk[0] ^= 1;
  assert.equal(code(() => openHandover(ctx({ ltk }), sealed, { now: NOW })), 'DECRYPT_FAILED');
  assert.equal(code(() => openHandover(ctx({ psm: 0x0082 }), sealed, { now: NOW })), 'DECRYPT_FAILED');
  assert.equal(code(() => openHandover(ctx({ joiner: { address: 'D4:AA:BB:CC:DD:EF', type: 'random' } }), sealed, { now: NOW })), 'DECRYPT_FAILED');
  assert.equal(code(() => openHandover(ctx({ initiator: { address: 'C1:22:33:44:55:66', type: 'public' } }), sealed, { now: NOW })), 'DECRYPT_FAILED');
  // Swapping the roles changes the key too.
  const c = ctx();
  assert.equal(code(() => openHandover({ ...c, initiator: c.joiner, joiner: c.initiator }, sealed, { now: NOW })), 'DECRYPT_FAILED');
});

test('every flipped bit is caught', () => {
  const sealed = sealHandover(ctx(), payload());
  for (let i = 0; i < sealed.length; i++) {
    const t = Uint8Array.from(sealed);
    t[i] ^= 0x01;
    const c = code(() => openHandover(ctx(), t, { now: NOW }));
    assert.ok(['DECRYPT_FAILED', 'MALFORMED', 'UNSUPPORTED_VERSION'].includes(c), `byte ${i}: ${c}`);
  }
});

test('truncated, extended and foreign envelopes fail with typed errors', () => {
  const sealed = sealHandover(ctx(), payload());
  for (const n of [0, 3, 5, 36, 37, 52, sealed.length - 1]) {
    const c = code(() => openHandover(ctx(), sealed.subarray(0, n), { now: NOW }));
    assert.ok(['MALFORMED', 'DECRYPT_FAILED'].includes(c), `length ${n}: ${c}`);
  }
  assert.equal(code(() => openHandover(ctx(), Uint8Array.of(...sealed, 0), { now: NOW })), 'DECRYPT_FAILED');
  assert.equal(code(() => openHandover(ctx(), new Uint8Array(5000), { now: NOW })), 'MALFORMED');
});

test('a stale handover is refused', () => {
  const sealed = sealHandover(ctx(), payload({ expiresAt: NOW }));
  assert.equal(code(() => openHandover(ctx(), sealed, { now: NOW })), 'EXPIRED');
  assert.equal(code(() => openHandover(ctx(), sealed, { now: NOW + 1 })), 'EXPIRED');
});

test('two seals of the same payload on the same link never share key material', () => {
  const p = payload();
  const a = sealHandover(ctx(), p);
  const b = sealHandover(ctx(), p);
  assert.notDeepEqual(a.subarray(5, 37), b.subarray(5, 37)); // fresh salt, so a fresh key
  assert.notDeepEqual(a.subarray(37), b.subarray(37));
  const s = new HandoverSealer(ctx());
  s.seal(p);
  assert.equal(code(() => s.seal(p)), 'ALREADY_SEALED');
});

test('the payload codec is strict', () => {
  const p = payload();
  const bytes = encodeHandoverPayload(p);
  assert.deepEqual(decodeHandoverPayload(bytes), p);
  assert.equal(code(() => decodeHandoverPayload(Uint8Array.of(...bytes, 0))), 'MALFORMED');
  for (let n = 0; n < bytes.length; n++) assert.equal(code(() => decodeHandoverPayload(bytes.subarray(0, n))), 'MALFORMED');
  const v2 = Uint8Array.from(bytes);
  v2[0] = 2;
  assert.equal(code(() => decodeHandoverPayload(v2)), 'UNSUPPORTED_VERSION');
  assert.equal(code(() => encodeHandoverPayload(payload({ codeSecret: new Uint8Array(15) }))), 'INVALID_INPUT');
  assert.equal(code(() => encodeHandoverPayload(payload({ peerId: 'not a peer id!' }))), 'INVALID_INPUT');
  assert.equal(code(() => encodeHandoverPayload(payload({ multiaddrs: ['ip4/1.2.3.4'] }))), 'INVALID_INPUT');
  assert.equal(code(() => encodeHandoverPayload(payload({ multiaddrs: Array(17).fill('/ip4/127.0.0.1/tcp/1') }))), 'INVALID_INPUT');
  assert.equal(code(() => sealHandover(ctx({ psm: 0 }), p)), 'INVALID_INPUT');
  assert.equal(code(() => sealHandover(ctx({ ltk: new Uint8Array(8) }), p)), 'INVALID_INPUT');
  // A peer id with a control character smuggled in is refused on decode.
  const bad = Uint8Array.from(bytes);
  bad[1 + 8 + 16 + 1] = 0x0a;
  assert.equal(code(() => decodeHandoverPayload(bad)), 'MALFORMED');
});
