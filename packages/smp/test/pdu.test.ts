import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../src/bytes.js';
import { decodePdu, encodePdu, SmpCode, SmpError, PairingFailedReason, reasonName, ioCapOf, type SmpPdu } from '../src/index.js';

const k16 = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const samples: SmpPdu[] = [
  { code: 0x01, ioCapability: 4, oobDataFlag: false, authReq: 0x2d, maxEncryptionKeySize: 16, initiatorKeyDistribution: 0x07, responderKeyDistribution: 0x0f },
  { code: 0x02, ioCapability: 1, oobDataFlag: true, authReq: 0x09, maxEncryptionKeySize: 7, initiatorKeyDistribution: 0x02, responderKeyDistribution: 0x03 },
  { code: 0x03, confirm: k16 },
  { code: 0x04, random: k16 },
  { code: 0x05, reason: 0x0c },
  { code: 0x06, ltk: k16 },
  { code: 0x07, ediv: 0xbeef, rand: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
  { code: 0x08, irk: k16 },
  { code: 0x09, addressType: 'random', address: 'C0:11:22:33:44:55' },
  { code: 0x0a, csrk: k16 },
  { code: 0x0b, authReq: 0x0d },
  { code: 0x0c, x: new Uint8Array(32).fill(7), y: Uint8Array.from({ length: 32 }, (_, i) => i) },
  { code: 0x0d, check: k16 },
  { code: 0x0e, notification: 4 },
];

test('every PDU round-trips and has its exact length', () => {
  const lengths: Record<number, number> = { 1: 7, 2: 7, 3: 17, 4: 17, 5: 2, 6: 17, 7: 11, 8: 17, 9: 8, 10: 17, 11: 2, 12: 65, 13: 17, 14: 2 };
  assert.equal(samples.length, Object.keys(SmpCode).length);
  for (const s of samples) {
    const bytes = encodePdu(s);
    assert.equal(bytes.length, lengths[s.code], `code ${s.code}`);
    assert.deepEqual(decodePdu(bytes), s);
  }
});

test('multi-octet fields go on the wire least significant octet first', () => {
  assert.equal(toHex(encodePdu({ code: 0x03, confirm: k16 })), '03100f0e0d0c0b0a090807060504030201');
  assert.equal(toHex(encodePdu({ code: 0x07, ediv: 0x1234, rand: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) })), '0734120807060504030201');
  assert.equal(toHex(encodePdu({ code: 0x09, addressType: 'public', address: '56:12:37:37:BF:CE' })), '0900cebf37371256');
  // f6 IOcap is the request's three octets after the opcode, reversed.
  assert.equal(toHex(ioCapOf(samples[0] as Extract<SmpPdu, { code: 1 }>)), '2d0004');
});

test('every truncated or over-long PDU fails with INVALID_PARAMETERS', () => {
  for (const s of samples) {
    const bytes = encodePdu(s);
    for (const bad of [bytes.subarray(0, bytes.length - 1), Uint8Array.from([...bytes, 0])]) {
      assert.throws(() => decodePdu(bad), (e: unknown) => e instanceof SmpError && e.code === 'INVALID_PARAMETERS' && e.reason === 0x0a, `code ${s.code} length ${bad.length}`);
    }
  }
  assert.throws(() => decodePdu(new Uint8Array(0)), (e: unknown) => e instanceof SmpError && e.code === 'INVALID_PARAMETERS');
});

test('unknown codes fail with COMMAND_NOT_SUPPORTED; reserved values with INVALID_PARAMETERS', () => {
  for (const code of [0x00, 0x0f, 0x10, 0xff]) {
    assert.throws(() => decodePdu(Uint8Array.of(code, 0)), (e: unknown) => e instanceof SmpError && e.code === 'COMMAND_NOT_SUPPORTED');
  }
  const bad = [
    Uint8Array.of(0x01, 5, 0, 0, 16, 0, 0), // IO capability 5
    Uint8Array.of(0x01, 3, 2, 0, 16, 0, 0), // OOB flag 2
    Uint8Array.of(0x02, 3, 0, 0, 6, 0, 0), // key size 6
    Uint8Array.of(0x02, 3, 0, 0, 17, 0, 0), // key size 17
    Uint8Array.of(0x0e, 5),
    Uint8Array.of(0x09, 2, 1, 2, 3, 4, 5, 6),
  ];
  for (const b of bad) assert.throws(() => decodePdu(b), (e: unknown) => e instanceof SmpError && e.code === 'INVALID_PARAMETERS', toHex(b));
});

test('all fifteen failure reasons carry their spec names', () => {
  const expected = ['PASSKEY_ENTRY_FAILED', 'OOB_NOT_AVAILABLE', 'AUTHENTICATION_REQUIREMENTS', 'CONFIRM_VALUE_FAILED',
    'PAIRING_NOT_SUPPORTED', 'ENCRYPTION_KEY_SIZE', 'COMMAND_NOT_SUPPORTED', 'UNSPECIFIED_REASON', 'REPEATED_ATTEMPTS',
    'INVALID_PARAMETERS', 'DHKEY_CHECK_FAILED', 'NUMERIC_COMPARISON_FAILED', 'BR_EDR_PAIRING_IN_PROGRESS',
    'CROSS_TRANSPORT_KEY_DERIVATION_NOT_ALLOWED', 'KEY_REJECTED'];
  expected.forEach((name, i) => {
    assert.equal(reasonName(i + 1), name);
    assert.equal(PairingFailedReason[name as keyof typeof PairingFailedReason], i + 1);
    const err = new SmpError(i + 1);
    assert.equal(err.code, name);
  });
  assert.equal(reasonName(0x10), 'RESERVED_0x10');
});
