import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P256KeyPair } from '@pairkit/smp';
import {
  OOB_TEXT_PREFIX,
  base32Decode,
  base32Encode,
  checkOobConfirm,
  createLocalOob,
  encodeOobAd,
  encodeOobText,
  parseOobAd,
  parseOobInput,
  parseOobText,
  oobAdHex,
  terminalQr,
} from '../src/index.js';
import { code } from './helpers/errors.js';

const NOW = 1_800_000_000_000;
const ADDR = { address: 'C3:11:22:33:44:55', type: 'random' as const };

test('base32 round-trips every length and rejects junk', () => {
  for (let n = 0; n < 40; n++) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    assert.deepEqual(base32Decode(base32Encode(b)), b);
  }
  assert.equal(base32Encode(new TextEncoder().encode('foobar')), 'mzxw6ytboi');
  assert.equal(code(() => base32Decode('mzxw6ytb0i')), 'MALFORMED');
  assert.equal(code(() => base32Decode('mzxw6ytbop')), 'MALFORMED'); // non-zero trailing bits
});

test('text form: round trip, tolerant of case/spaces/hyphens, and C checks against the key', () => {
  const local = createLocalOob({ address: ADDR, now: NOW, ttlMs: 60_000 });
  const text = encodeOobText(local.data);
  assert.ok(text.startsWith(OOB_TEXT_PREFIX));
  const back = parseOobText(text, { now: NOW });
  assert.deepEqual(back.address, ADDR);
  assert.deepEqual(back.r, local.data.r);
  assert.deepEqual(back.c, local.data.c);
  assert.equal(back.expiresAt, NOW + 60_000);
  const messy = '  PAIRKIT-OOB:' + text.slice(OOB_TEXT_PREFIX.length).toUpperCase().replace(/(.{8})/g, '$1- ') + '\n';
  assert.deepEqual(parseOobText(messy, { now: NOW }).c, local.data.c);
  checkOobConfirm(back, local.sc.keyPair.x);
  assert.equal(code(() => checkOobConfirm(back, P256KeyPair.generate().x)), 'CONFIRM_VALUE_FAILED');
});

test('text form: a typo fails the checksum, stale data fails with EXPIRED', () => {
  const local = createLocalOob({ address: ADDR, now: NOW, ttlMs: 60_000 });
  const text = encodeOobText(local.data);
  const body = text.slice(OOB_TEXT_PREFIX.length);
  for (const i of [0, 5, 20, 40, body.length - 2]) {
    const ch = body[i] === 'a' ? 'b' : 'a';
    const typo = OOB_TEXT_PREFIX + body.slice(0, i) + ch + body.slice(i + 1);
    assert.ok(['BAD_CHECKSUM', 'MALFORMED', 'UNSUPPORTED_VERSION'].includes(code(() => parseOobText(typo, { now: NOW }))));
  }
  assert.equal(code(() => parseOobText(text.slice(0, -3), { now: NOW })), 'MALFORMED');
  assert.equal(code(() => parseOobText(text, { now: NOW + 60_000 })), 'EXPIRED');
  assert.equal(code(() => parseOobText('pairkit-oobx:' + body, { now: NOW })), 'MALFORMED');
  assert.equal(code(() => parseOobText('hello', { now: NOW })), 'MALFORMED');
});

test('a forged C (valid checksum, wrong value) fails with CONFIRM_VALUE_FAILED', () => {
  const local = createLocalOob({ address: ADDR, now: NOW });
  const forged = { ...local.data, c: Uint8Array.from(local.data.c) };
  forged.c[3] ^= 0x40;
  const parsed = parseOobText(encodeOobText(forged), { now: NOW });
  assert.equal(code(() => checkOobConfirm(parsed, local.sc.keyPair.x)), 'CONFIRM_VALUE_FAILED');
  const wrongR = { ...local.data, r: new Uint8Array(16) };
  assert.equal(code(() => checkOobConfirm(wrongR, local.sc.keyPair.x)), 'CONFIRM_VALUE_FAILED');
});

test('AD structures: types 0x1B, 0x22, 0x23 (and 0x1C), little-endian fields, strict parse', () => {
  const local = createLocalOob({ address: ADDR, now: NOW, role: 'peripheral' });
  const ad = encodeOobAd(local.data);
  assert.deepEqual(Array.from(ad.subarray(0, 9)), [8, 0x1b, 0x55, 0x44, 0x33, 0x22, 0x11, 0xc3, 1]);
  assert.deepEqual(Array.from(ad.subarray(9, 11)), [17, 0x22]);
  assert.equal(ad[11], local.data.c[15]); // LSB first
  assert.deepEqual(Array.from(ad.subarray(27, 29)), [17, 0x23]);
  assert.deepEqual(Array.from(ad.subarray(45)), [2, 0x1c, 0]);
  const back = parseOobAd(ad);
  assert.deepEqual(back, { address: ADDR, r: local.data.r, c: local.data.c, role: 'peripheral' });
  // Other AD types (flags) and zero padding are fine; the hex form is accepted as --oob input.
  const withFlags = Uint8Array.of(2, 0x01, 0x06, ...ad, 0, 0);
  assert.deepEqual(parseOobAd(withFlags).c, local.data.c);
  assert.deepEqual(parseOobInput(oobAdHex(local.data), { now: NOW }).r, local.data.r);
  assert.equal(code(() => parseOobAd(ad.subarray(0, 27))), 'MALFORMED'); // no r
  assert.equal(code(() => parseOobAd(Uint8Array.of(...ad, ...ad.subarray(9, 27)))), 'MALFORMED'); // C twice
  assert.equal(code(() => parseOobAd(ad.subarray(0, ad.length - 1))), 'MALFORMED'); // runs past end
  const badLen = Uint8Array.from(ad);
  badLen[9] = 16;
  assert.equal(code(() => parseOobAd(badLen)), 'MALFORMED');
  assert.equal(code(() => parseOobAd(Uint8Array.of(...ad, 0, 1))), 'MALFORMED');
  assert.equal(code(() => parseOobInput('zz', { now: NOW })), 'MALFORMED');
});

test('the QR encodes the text as terminal blocks', () => {
  const text = encodeOobText(createLocalOob({ address: ADDR, now: NOW }).data);
  const qr = terminalQr(text);
  const lines = qr.trimEnd().split('\n');
  assert.ok(lines.length > 15);
  assert.ok(/[\u2580\u2584\u2588]/.test(qr));
  assert.notEqual(terminalQr(text + 'x'), qr);
  assert.equal(code(() => terminalQr('')), 'INVALID_INPUT');
});
