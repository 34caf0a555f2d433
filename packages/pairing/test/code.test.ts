import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { PairingCode, PairingCodeError, nearestWord } from '../src/index.js';

// BIP39 reference vector (trezor/python-mnemonic): 16 bytes of 0x7f.
const LEGAL = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
const LEGAL_ENTROPY = new Uint8Array(16).fill(0x7f);

function codeError(fn: () => unknown): PairingCodeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PairingCodeError, `expected PairingCodeError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a PairingCodeError');
}

test('generate: 12 BIP39 words from 16 CSPRNG bytes, parse round-trips', () => {
  const a = PairingCode.generate();
  const b = PairingCode.generate();
  assert.equal(a.words.length, 12);
  assert.equal(a.entropy.length, 16);
  assert.notEqual(a.toString(), b.toString());
  const parsed = PairingCode.parse(a.toString());
  assert.ok(parsed.equals(a));
  assert.ok(!a.equals(b) && !b.equals(a));
  const oneBit = Uint8Array.from(a.entropy);
  oneBit[15] = oneBit[15]! ^ 1;
  assert.ok(!PairingCode.fromEntropy(oneBit).equals(a), 'codes differing in one bit are not equal');
  assert.deepEqual(parsed.entropy, a.entropy);
  assert.deepEqual(parsed.sessionId, a.sessionId);
});

test('generate uses the injected random source; fromEntropy matches the BIP39 reference', () => {
  const code = PairingCode.generate(() => LEGAL_ENTROPY);
  assert.equal(code.toString(), LEGAL);
  assert.equal(PairingCode.fromEntropy(LEGAL_ENTROPY).toString(), LEGAL);
  assert.throws(() => PairingCode.generate(() => new Uint8Array(15)), TypeError);
});

test('parse tolerates case, extra spaces, hyphens, commas and 4-letter prefixes', () => {
  const inputs = [
    LEGAL.toUpperCase(),
    `   ${LEGAL.replaceAll(' ', '   ')}\n`,
    LEGAL.replaceAll(' ', '-'),
    LEGAL.replaceAll(' ', ', '),
    'lega winn than year wave saus wort usef lega winn than yell',
    'Legal-WINN, thank  year wave sausa worth usef; lega. winner_than Yell',
  ];
  for (const input of inputs) {
    const code = PairingCode.parse(input);
    assert.equal(code.toString(), LEGAL);
    assert.deepEqual(code.entropy, LEGAL_ENTROPY);
  }
});

test('wrong word count', () => {
  for (const [input, count] of [
    ['', 0],
    [LEGAL.split(' ').slice(0, 11).join(' '), 11],
    [`${LEGAL} legal`, 13],
  ] as const) {
    const e = codeError(() => PairingCode.parse(input));
    assert.equal(e.code, 'WRONG_WORD_COUNT');
    assert.equal(e.count, count);
  }
});

test('unknown word: position, the word and the nearest suggestion; no other word leaks', () => {
  const words = LEGAL.split(' ');
  words[3] = 'yaer';
  const e = codeError(() => PairingCode.parse(words.join(' ')));
  assert.equal(e.code, 'UNKNOWN_WORD');
  assert.equal(e.position, 4);
  assert.equal(e.word, 'yaer');
  assert.equal(e.suggestion, 'year');
  assert.match(e.message, /word 4 "yaer".*"year"/);
  for (const other of ['legal', 'winner', 'thank', 'wave', 'sausage', 'worth', 'useful', 'yellow']) {
    assert.ok(!e.message.includes(other), `message leaks ${other}`);
  }
  // A prefix must be a prefix: too long or too short prefixes are unknown.
  assert.equal(codeError(() => PairingCode.parse(LEGAL.replace('sausage', 'sausages'))).suggestion, 'sausage');
  assert.equal(codeError(() => PairingCode.parse(LEGAL.replace('sausage', 'sau'))).code, 'UNKNOWN_WORD');
  assert.equal(codeError(() => PairingCode.parse(LEGAL.replace('wave', 'w4ve'))).position, 5);
  assert.equal(nearestWord('abandun'), 'abandon');
});

test('bad checksum', () => {
  const e = codeError(() => PairingCode.parse(LEGAL.replace(/yellow$/, 'winner')));
  assert.equal(e.code, 'BAD_CHECKSUM');
  assert.ok(!e.message.includes('legal'));
});

test('the code does not leak through inspect or JSON', () => {
  const code = PairingCode.fromEntropy(LEGAL_ENTROPY);
  assert.ok(!inspect(code).includes('legal'));
  assert.ok(!JSON.stringify({ code }).includes('legal'));
});

test('sessionId and authKey are different 32-byte values derived from the entropy', () => {
  const code = PairingCode.fromEntropy(LEGAL_ENTROPY);
  assert.equal(code.sessionId.length, 32);
  assert.equal(code.authKey.length, 32);
  assert.notDeepEqual(code.sessionId, code.authKey);
  const other = PairingCode.fromEntropy(new Uint8Array(16).fill(0x80));
  assert.notDeepEqual(code.sessionId, other.sessionId);
});
