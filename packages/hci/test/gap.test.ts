import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdFlags,
  HciError,
  ah,
  buildAd,
  generateResolvablePrivateAddress,
  generateStaticRandomAddress,
  isResolvablePrivateAddress,
  parseAd,
  randomAddressKind,
  resolvePrivateAddress,
  uuidFromBytes,
  uuidToBytes,
} from '../src/index.js';
import { loadSmpVectors } from './helpers/smp-vectors.js';

const vectors = loadSmpVectors();

test('ah() matches the spec vector (Vol 3 Part H D.7)', () => {
  const v = vectors.ah;
  assert.equal(ah(Buffer.from(v.inputs.IRK, 'hex'), Buffer.from(v.inputs.prand, 'hex')).toString('hex'), v.output);
});

test('the spec RPA resolves with its IRK and not with another', () => {
  const irk = Buffer.from(vectors.ah.inputs.IRK, 'hex');
  assert.ok(isResolvablePrivateAddress('70:81:94:0D:FB:AA'));
  assert.equal(resolvePrivateAddress('70:81:94:0D:FB:AA', [Buffer.alloc(16), irk]), 1);
  assert.equal(resolvePrivateAddress('70:81:94:0D:FB:AB', [irk]), -1);
  assert.equal(resolvePrivateAddress('C0:81:94:0D:FB:AA', [irk]), -1, 'a static address is not an RPA');
});

test('generated RPAs resolve; static random addresses have the top bits 11', () => {
  const irk = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
  for (let i = 0; i < 50; i++) {
    const rpa = generateResolvablePrivateAddress(irk);
    assert.equal(randomAddressKind(rpa), 'resolvable');
    assert.equal(resolvePrivateAddress(rpa, [irk]), 0);
    assert.equal(randomAddressKind(generateStaticRandomAddress()), 'static');
  }
});

test('AD build/parse: flags, names, UUIDs of all sizes, manufacturer data, LE SC OOB types', () => {
  const c = Buffer.alloc(16, 0xcc);
  const r = Buffer.alloc(16, 0xee);
  const addr = Buffer.from('aabbccddeeff01', 'hex');
  const full = buildAd(
    {
      flags: AdFlags.LE_General_Discoverable_Mode | AdFlags.BR_EDR_Not_Supported,
      completeLocalName: 'pk',
      serviceUuids: ['180d', '0000fe2c', '6e400001-b5a3-f393-e0a9-e50e24dcca9e'],
      manufacturerData: [{ companyIdentifier: 0xffff, data: Buffer.from([1, 2]) }],
      leBluetoothDeviceAddress: addr,
      leScConfirmationValue: c,
      leScRandomValue: r,
    },
    255,
  );
  const ad = parseAd(full);
  assert.equal(ad.flags, 0x06);
  assert.equal(ad.completeLocalName, 'pk');
  assert.deepEqual(ad.serviceUuids, ['180d', '0000fe2c', '6e400001-b5a3-f393-e0a9-e50e24dcca9e']);
  assert.deepEqual(ad.manufacturerData, [{ companyIdentifier: 0xffff, data: Buffer.from([1, 2]) }]);
  assert.deepEqual(ad.leBluetoothDeviceAddress, addr);
  assert.deepEqual(ad.leScConfirmationValue, c);
  assert.deepEqual(ad.leScRandomValue, r);
  assert.deepEqual(buildAd({ flags: 6, completeLocalName: 'ab' }), Buffer.from('0201060309' + '6162', 'hex'));
});

test('AD: legacy limit 31 bytes, malformed lengths are typed errors, zero length ends the data', () => {
  assert.throws(() => buildAd({ completeLocalName: 'x'.repeat(30) }), (e: unknown) => e instanceof HciError && e.code === 'TOO_LARGE');
  assert.throws(() => parseAd(Buffer.from('0509616263', 'hex')), (e: unknown) => e instanceof HciError && e.code === 'MALFORMED');
  assert.deepEqual(parseAd(Buffer.from('020106000000', 'hex')).structures.length, 1);
  assert.equal(parseAd(Buffer.from('03020d18', 'hex')).serviceUuidsIncomplete, true);
});

test('UUIDs are little-endian in AD', () => {
  assert.deepEqual(uuidToBytes('180d'), Buffer.from('0d18', 'hex'));
  assert.equal(uuidFromBytes(Buffer.from('0d18', 'hex')), '180d');
  assert.throws(() => uuidToBytes('xyz'), (e: unknown) => e instanceof HciError && e.code === 'INVALID_PARAMETER');
});
