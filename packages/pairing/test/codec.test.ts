import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ERROR_CODES,
  FrameDecoder,
  MAX_FRAME_SIZE,
  PairingProtocolError,
  decodeMessage,
  decodeMessageFrame,
  encodeFrame,
  encodeMessage,
  encodeMessageFrame,
  type PairingMessage,
} from '../src/index.js';

const b = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const info = { name: 'Ada’s laptop 💻', os: 'linux', appVersion: '0.1.0' };

export const SAMPLES: PairingMessage[] = [
  { type: 'PairingRequest', sessionId: b(32, 1), nonce: b(32, 2), ephemeralKey: b(32, 3) },
  { type: 'PairingChallenge', nonce: b(32, 4), ephemeralKey: b(32, 5), publicKey: b(32, 6), info },
  { type: 'PairingResponse', publicKey: b(32, 7), info: { name: 'x', os: '', appVersion: '' }, mac: b(32, 8), signature: b(64, 9) },
  { type: 'PairingComplete', mac: b(32, 10), signature: b(64, 11) },
  { type: 'PairingAck', mac: b(32, 12) },
  { type: 'PairingError', code: 'UNKNOWN_SESSION' },
];

function protocolError(fn: () => unknown): PairingProtocolError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PairingProtocolError, `expected PairingProtocolError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a PairingProtocolError');
}

test('every message round-trips through encode/decode and through frames', () => {
  for (const m of SAMPLES) {
    assert.deepEqual(decodeMessage(encodeMessage(m)), m);
    assert.deepEqual(decodeMessageFrame(encodeMessageFrame(m)), m);
  }
});

test('exact layout: header is version 1 and the type tag; fixed sizes', () => {
  const sizes = [2 + 96, undefined, undefined, 2 + 96, 2 + 32, 2 + 1];
  SAMPLES.forEach((m, i) => {
    const body = encodeMessage(m);
    assert.equal(body[0], 1);
    assert.equal(body[1], i + 1);
    if (sizes[i] !== undefined) assert.equal(body.length, sizes[i]);
  });
  const frame = encodeMessageFrame(SAMPLES[4]);
  assert.deepEqual([...frame.subarray(0, 4)], [0, 0, 0, 34]);
});

test('truncated, trailing-garbage, unknown-type and wrong-version bodies are rejected with codes', () => {
  for (const m of SAMPLES) {
    const body = encodeMessage(m);
    for (let cut = 0; cut < body.length; cut++) {
      const e = protocolError(() => decodeMessage(body.subarray(0, cut)));
      assert.equal(e.code, 'MALFORMED_FRAME');
    }
    const longer = new Uint8Array(body.length + 1);
    longer.set(body);
    assert.equal(protocolError(() => decodeMessage(longer)).code, 'MALFORMED_FRAME');
    const v2 = Uint8Array.from(body);
    v2[0] = 2;
    assert.equal(protocolError(() => decodeMessage(v2)).code, 'VERSION_MISMATCH');
  }
  for (const tag of [0, 7, 0x7f, 0xff]) assert.equal(protocolError(() => decodeMessage(Uint8Array.of(1, tag))).code, 'MALFORMED_FRAME');
});

test('device info strings: valid UTF-8, length limits, no control or bidi characters', () => {
  const challenge = (name: Uint8Array): Uint8Array => {
    const body = new Uint8Array(2 + 96 + 1 + name.length + 2);
    body.set([1, 2]);
    body[98] = name.length;
    body.set(name, 99);
    return body;
  };
  const ok = decodeMessage(challenge(new TextEncoder().encode('ok')));
  assert.equal(ok.type === 'PairingChallenge' && ok.info.name, 'ok');
  const bad = [
    Uint8Array.of(0xc3, 0x28), // invalid UTF-8
    Uint8Array.of(0xed, 0xa0, 0x80), // UTF-16 surrogate encoded
    new TextEncoder().encode('a\u001b[2Jb'), // terminal escape
    new TextEncoder().encode('evil\u202Etxt.exe'), // right-to-left override
    new Uint8Array(0), // empty name
  ];
  for (const name of bad) assert.equal(protocolError(() => decodeMessage(challenge(name))).code, 'MALFORMED_FRAME', `name ${[...name]}`);
  assert.equal(protocolError(() => encodeMessage({ ...(SAMPLES[1] as any), info: { name: 'a\nb', os: '', appVersion: '' } })).code, 'MALFORMED_FRAME');
  // Limits: name 1..255 bytes (the u8 length caps it), os 0..128, appVersion 0..64.
  const raw = (name: number, os: number, ver: number): Uint8Array => {
    const fields = [name, os, ver].map((n) => Uint8Array.from([n, ...new Uint8Array(n).fill(0x61)]));
    return Buffer.concat([Uint8Array.of(1, 2), new Uint8Array(96), ...fields]);
  };
  assert.equal(decodeMessage(raw(255, 128, 64)).type, 'PairingChallenge');
  assert.equal(protocolError(() => decodeMessage(raw(1, 129, 0))).code, 'MALFORMED_FRAME');
  assert.equal(protocolError(() => decodeMessage(raw(1, 0, 65))).code, 'MALFORMED_FRAME');
  assert.equal(protocolError(() => encodeMessage({ ...(SAMPLES[0] as any), nonce: b(31, 0) })).code, 'MALFORMED_FRAME');
});

test('unknown PairingError codes decode as REJECTED; every known code round-trips', () => {
  const m = decodeMessage(Uint8Array.of(1, 6, 200));
  assert.deepEqual(m, { type: 'PairingError', code: 'REJECTED' });
  for (const code of ['EXPIRED', 'CONSUMED', 'BAD_PROOF', 'TIMEOUT', 'BUSY', 'VERSION_MISMATCH'] as const) {
    assert.deepEqual(decodeMessage(encodeMessage({ type: 'PairingError', code })), { type: 'PairingError', code });
  }
});

test('FrameDecoder: any chunking yields the same frames', () => {
  const stream = Buffer.concat(SAMPLES.map((m) => encodeMessageFrame(m)));
  for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
    const d = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (let o = 0; o < stream.length; o += size) out.push(...d.push(stream.subarray(o, o + size)));
    assert.deepEqual(out.map((f) => decodeMessage(f)), SAMPLES);
    assert.ok(d.idle);
  }
});

test('FrameDecoder: an oversize length prefix fails at once, buffers nothing, and stays failed', () => {
  const d = new FrameDecoder();
  assert.deepEqual(d.push(Uint8Array.of(0, 0)), []);
  assert.equal(d.buffered, 2);
  const e = protocolError(() => d.push(Uint8Array.of(0x20, 0x01)));
  assert.equal(e.code, 'FRAME_TOO_LARGE');
  assert.equal(d.buffered, 0);
  assert.equal(protocolError(() => d.push(encodeMessageFrame(SAMPLES[4]))).code, 'FRAME_TOO_LARGE');
  // Huge prefixes followed by lots of data: still rejected at the prefix.
  const huge = new FrameDecoder();
  const junk = new Uint8Array(1 << 20);
  junk.set([0xff, 0xff, 0xff, 0xff]);
  assert.equal(protocolError(() => huge.push(junk)).code, 'FRAME_TOO_LARGE');
  // Exactly MAX_FRAME_SIZE is allowed, one more is not.
  const max = new FrameDecoder();
  assert.equal(max.push(encodeFrame(new Uint8Array(MAX_FRAME_SIZE))).length, 1);
  assert.equal(protocolError(() => encodeFrame(new Uint8Array(MAX_FRAME_SIZE + 1))).code, 'FRAME_TOO_LARGE');
  assert.equal(protocolError(() => new FrameDecoder().push(Uint8Array.of(0, 0, 0, 0))).code, 'MALFORMED_FRAME');
});

test('property: random bytes never make the decoders throw anything but PairingProtocolError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      for (const fn of [() => decodeMessage(bytes), () => decodeMessageFrame(bytes), () => new FrameDecoder().push(bytes)]) {
        try {
          fn();
        } catch (e) {
          if (!(e instanceof PairingProtocolError)) throw e;
        }
      }
    }),
    { numRuns: 3000 },
  );
});

test('property: random mutations of valid messages decode to valid messages or typed errors', () => {
  const bodies = SAMPLES.map((m) => encodeMessage(m));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: bodies.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (i, flips) => {
      const body = Uint8Array.from(bodies[i]);
      for (const [pos, v] of flips) body[pos % body.length] = v;
      try {
        const m = decodeMessage(body);
        // Whatever decodes re-encodes to the same bytes (one encoding per message), except
        // unknown PairingError codes, which are read as REJECTED on purpose.
        if (!(m.type === 'PairingError' && ERROR_CODES[body[2]] === undefined)) assert.deepEqual(encodeMessage(m), body);
      } catch (e) {
        if (!(e instanceof PairingProtocolError)) throw e;
      }
    }),
    { numRuns: 3000 },
  );
});
