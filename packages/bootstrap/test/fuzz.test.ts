// Property-based fuzzing of every decoder that reads bytes or text from the other device:
// whatever comes in, the answer is a value or a BootstrapError, never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BootstrapError,
  HANDOVER_MAGIC,
  OOB_TEXT_PREFIX,
  base32Encode,
  decodeHandoverPayload,
  encodeHandoverPayload,
  openHandover,
  parseOobAd,
  parseOobInput,
  sealHandover,
  type HandoverContext,
} from '../src/index.js';

const NOW = 1_800_000_000_000;
const ctx: HandoverContext = {
  ltk: new Uint8Array(16).fill(7),
  initiator: { address: 'C0:00:00:00:00:01', type: 'random' },
  joiner: { address: 'C0:00:00:00:00:02', type: 'random' },
  psm: 0x81,
};

function typedOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof BootstrapError)) throw err;
  }
}

test('handover envelope and payload decoders: typed errors only (random and mutated input)', () => {
  const good = sealHandover(ctx, { codeSecret: new Uint8Array(16).fill(1), peerId: '12D3KooWAbc', multiaddrs: ['/ip4/127.0.0.1/tcp/1'], expiresAt: NOW + 1000 });
  const payload = encodeHandoverPayload({ codeSecret: new Uint8Array(16), peerId: 'Qm1', multiaddrs: ['/a', '/b'], expiresAt: 5 });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      typedOnly(() => openHandover(ctx, bytes, { now: NOW }));
      typedOnly(() => openHandover(ctx, Uint8Array.of(...HANDOVER_MAGIC, 1, ...bytes), { now: NOW }));
      typedOnly(() => decodeHandoverPayload(bytes));
      typedOnly(() => decodeHandoverPayload(Uint8Array.of(1, ...bytes)));
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(payload.length - 1), (i, x, j) => {
      const g = Uint8Array.from(good);
      g[i] ^= x;
      assert.throws(() => openHandover(ctx, g, { now: NOW }), BootstrapError);
      const p = Uint8Array.from(payload);
      p[j] ^= x;
      typedOnly(() => decodeHandoverPayload(p));
    }),
    { numRuns: 3000 },
  );
});

test('OOB decoders (text, hex AD, raw AD): typed errors only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.string({ maxLength: 120 }), (bytes, text) => {
      typedOnly(() => parseOobAd(bytes));
      typedOnly(() => parseOobInput(Buffer.from(bytes).toString('hex'), { now: NOW }));
      typedOnly(() => parseOobInput(OOB_TEXT_PREFIX + base32Encode(bytes), { now: NOW }));
      typedOnly(() => parseOobInput(OOB_TEXT_PREFIX + text, { now: NOW }));
      typedOnly(() => parseOobInput(text, { now: NOW }));
    }),
    { numRuns: 5000 },
  );
});
