import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  AeadError,
  SEALED_OVERHEAD,
  STREAM_HEADER_LENGTH,
  SessionCipher,
  StreamOpener,
  StreamSealer,
  type AeadAlgorithm,
} from '../src/index.js';

const te = new TextEncoder();
const td = new TextDecoder();

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AeadError, `expected AeadError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected an error');
}

function pairOfDevices(): { a: SessionCipher; b: SessionCipher } {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  return { a: new SessionCipher({ tx: k1, rx: k2 }), b: new SessionCipher({ tx: k2, rx: k1 }) };
}

for (const algorithm of ['chacha20-poly1305', 'aes-256-gcm'] as AeadAlgorithm[]) {
  test(`${algorithm}: a stream sealed by one device opens on the other, in both directions`, () => {
    const { a, b } = pairOfDevices();
    const s = a.sealer({ algorithm });
    assert.equal(s.header.length, STREAM_HEADER_LENGTH);
    const m1 = s.seal(te.encode('hello'));
    const m2 = s.seal(te.encode('world'), { ad: te.encode('file-7'), final: true });
    assert.equal(m1.length, 5 + SEALED_OVERHEAD);
    const o = b.opener(s.header);
    assert.equal(o.algorithm, algorithm);
    assert.equal(td.decode(o.open(m1)), 'hello');
    assert.equal(o.finished, false);
    assert.equal(td.decode(o.open(m2, { ad: te.encode('file-7') })), 'world');
    assert.equal(o.finished, true);
    o.end();
    // reverse direction uses the other key
    const back = b.sealer({ algorithm });
    const r = back.seal(te.encode('ack'), { final: true });
    assert.equal(td.decode(a.opener(back.header).open(r)), 'ack');
    // a device cannot open its own stream: its rx key is not its tx key
    assert.equal(code(() => a.opener(s.header).open(m1)), 'AEAD_AUTH_FAILED');
  });
}

test('ciphertext hides the plaintext and each stream uses a fresh key', () => {
  const { a } = pairOfDevices();
  const p = new Uint8Array(64).fill(0x41);
  const s1 = a.sealer();
  const s2 = a.sealer();
  assert.notDeepEqual(s1.header, s2.header);
  const c1 = s1.seal(p);
  const c2 = s2.seal(p);
  // same sequence number, same plaintext, different streams: different ciphertext
  assert.notDeepEqual(c1.subarray(5), c2.subarray(5));
  assert.ok(!Buffer.from(c1).includes(Buffer.from(p.subarray(0, 16))));
  // consecutive messages of one stream differ too (nonce is the sequence number)
  assert.notDeepEqual(s1.seal(p).subarray(5), c1.subarray(5));
});

test('any flipped bit in a message, its tag or the header is refused', () => {
  const { a, b } = pairOfDevices();
  const s = a.sealer();
  const msg = s.seal(te.encode('transfer 100 coins'), { final: true });
  for (let byte = 1; byte < msg.length; byte++) {
    if (byte >= 1 && byte <= 4) continue; // sequence bytes: reported as replay/reorder below
    const bad = Uint8Array.from(msg);
    bad[byte]! ^= 0x01;
    assert.equal(code(() => b.opener(s.header).open(bad)), 'AEAD_AUTH_FAILED', `byte ${byte}`);
  }
  // clearing the final flag is tampering too
  const noFinal = Uint8Array.from(msg);
  noFinal[0] = 0;
  assert.equal(code(() => b.opener(s.header).open(noFinal)), 'AEAD_AUTH_FAILED');
  const badHeader = Uint8Array.from(s.header);
  badHeader[10]! ^= 0x80;
  assert.equal(code(() => b.opener(badHeader).open(msg)), 'AEAD_AUTH_FAILED');
  // a failed message leaves the opener usable: the genuine message still opens
  const o = b.opener(s.header);
  const bad = Uint8Array.from(msg);
  bad[8]! ^= 0xff;
  assert.equal(code(() => o.open(bad)), 'AEAD_AUTH_FAILED');
  assert.equal(td.decode(o.open(msg)), 'transfer 100 coins');
});

test('wrong key, wrong context and wrong associated data are refused', () => {
  const { a, b } = pairOfDevices();
  const s = a.sealer({ context: 'drop/1' });
  const msg = s.seal(te.encode('x'), { ad: te.encode('meta') });
  assert.equal(code(() => new StreamOpener(randomBytes(32), s.header, { context: 'drop/1' }).open(msg, { ad: te.encode('meta') })), 'AEAD_AUTH_FAILED');
  assert.equal(code(() => b.opener(s.header, { context: 'sync/1' }).open(msg, { ad: te.encode('meta') })), 'AEAD_AUTH_FAILED');
  assert.equal(code(() => b.opener(s.header).open(msg, { ad: te.encode('meta') })), 'AEAD_AUTH_FAILED');
  assert.equal(code(() => b.opener(s.header, { context: 'drop/1' }).open(msg, { ad: te.encode('meth') })), 'AEAD_AUTH_FAILED');
  assert.equal(code(() => b.opener(s.header, { context: 'drop/1' }).open(msg)), 'AEAD_AUTH_FAILED');
  assert.equal(td.decode(b.opener(s.header, { context: 'drop/1' }).open(msg, { ad: te.encode('meta') })), 'x');
});

test('replayed and reordered messages are refused with their own codes', () => {
  const { a, b } = pairOfDevices();
  const s = a.sealer();
  const m = [0, 1, 2, 3].map((i) => s.seal(te.encode(`m${i}`), { final: i === 3 }));
  const o = b.opener(s.header);
  assert.equal(td.decode(o.open(m[0]!)), 'm0');
  assert.equal(code(() => o.open(m[0]!)), 'AEAD_REPLAY');
  assert.equal(code(() => o.open(m[2]!)), 'AEAD_OUT_OF_ORDER');
  assert.equal(td.decode(o.open(m[1]!)), 'm1');
  assert.equal(td.decode(o.open(m[2]!)), 'm2');
  // a forged sequence number cannot skip the check: rewriting it breaks the tag
  const forged = Uint8Array.from(m[2]!);
  forged[4] = 3;
  assert.equal(code(() => o.open(forged)), 'AEAD_AUTH_FAILED');
  assert.equal(td.decode(o.open(m[3]!)), 'm3');
  assert.equal(code(() => o.open(m[3]!)), 'AEAD_FINISHED');
  assert.equal(code(() => s.seal(te.encode('late'))), 'AEAD_FINISHED');
});

test('truncation: a stream cut before its final message and a cut message are detected', () => {
  const { a, b } = pairOfDevices();
  const s = a.sealer();
  const m0 = s.seal(te.encode('part one'));
  s.seal(te.encode('part two'), { final: true });
  const o = b.opener(s.header);
  o.open(m0);
  assert.equal(code(() => o.end()), 'AEAD_TRUNCATED');
  assert.equal(code(() => b.opener(s.header).end()), 'AEAD_TRUNCATED');
  const s2 = a.sealer();
  const m = s2.seal(te.encode('a longer message body'), { final: true });
  assert.equal(code(() => b.opener(s2.header).open(m.subarray(0, m.length - 1))), 'AEAD_AUTH_FAILED');
  assert.equal(code(() => b.opener(s2.header).open(m.subarray(0, SEALED_OVERHEAD - 1))), 'AEAD_MALFORMED');
  assert.equal(code(() => b.opener(s2.header.subarray(0, 10))), 'AEAD_BAD_HEADER');
});

test('the sealer refuses to go past its message limit', () => {
  const { a, b } = pairOfDevices();
  const s = a.sealer({ maxMessages: 3 });
  const o = b.opener(s.header);
  for (let i = 0; i < 3; i++) o.open(s.seal(te.encode(String(i))));
  assert.equal(code(() => s.seal(te.encode('3'))), 'AEAD_LIMIT');
  assert.equal(s.sealed, 3);
  assert.throws(() => a.sealer({ maxMessages: 2 ** 32 + 1 }), RangeError);
});

test('bad keys and headers are typed errors', () => {
  assert.equal(code(() => new StreamSealer(new Uint8Array(16))), 'AEAD_BAD_KEY');
  assert.equal(code(() => new SessionCipher({ tx: randomBytes(32), rx: randomBytes(31) })), 'AEAD_BAD_KEY');
  const s = new StreamSealer(randomBytes(32));
  const h = Uint8Array.from(s.header);
  h[0] = 9;
  assert.equal(code(() => new StreamOpener(randomBytes(32), h)), 'AEAD_BAD_HEADER');
  const h2 = Uint8Array.from(s.header);
  h2[1] = 77;
  assert.equal(code(() => new StreamOpener(randomBytes(32), h2)), 'AEAD_BAD_HEADER');
});

test('property: any messages and associated data round-trip in order', () => {
  const { a, b } = pairOfDevices();
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 20 })), { minLength: 1, maxLength: 8 }), (msgs) => {
      const s = a.sealer();
      const sealed = msgs.map(([p, ad], i) => s.seal(p, { ad, final: i === msgs.length - 1 }));
      const o = b.opener(s.header);
      sealed.forEach((m, i) => assert.deepEqual(new Uint8Array(o.open(m, { ad: msgs[i]![1] })), msgs[i]![0]));
      o.end();
    }),
    { numRuns: 100 },
  );
});
