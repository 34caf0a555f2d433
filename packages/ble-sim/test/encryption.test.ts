// LE encryption as a real controller pair behaves: the LTK Request goes to the peripheral's
// host, the two LTKs are compared, and the outcome reaches both hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimAir } from '../src/index.js';
import { OP, Probe, connectPair } from './helpers/probe.js';

const LTK_A = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const LTK_B = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
const RAND = Buffer.from('0102030405060708', 'hex');

function startEnc(handle: number, ltk: Buffer): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(handle, 0);
  RAND.copy(b, 2);
  b.writeUInt16LE(0x1234, 10);
  ltk.copy(b, 12);
  return b;
}
const handleOnly = (h: number): Buffer => Buffer.from([h & 0xff, h >> 8]);
const ltkReply = (h: number, ltk: Buffer): Buffer => Buffer.concat([handleOnly(h), ltk]);

function setup(): { air: SimAir; c: Probe; p: Probe; ch: number; ph: number } {
  const air = new SimAir();
  const c = new Probe(air.createController());
  const p = new Probe(air.createController());
  const [ch, ph] = connectPair(c, p);
  c.clear();
  p.clear();
  return { air, c, p, ch, ph };
}

test('same LTK: LTK Request reaches only the peripheral host, then Encryption Change 0x00 on both', (t) => {
  const { air, c, p, ch, ph } = setup();
  t.after(() => air.close());
  assert.equal(c.cmd(OP.LEStartEnc, startEnc(ch, LTK_A)).status, 0);
  const req = p.le(0x05);
  assert.equal(req.length, 1, 'peripheral host gets LE Long Term Key Request');
  assert.equal(req[0].readUInt16LE(0), ph);
  assert.deepEqual(req[0].subarray(2, 10), RAND);
  assert.equal(req[0].readUInt16LE(10), 0x1234);
  assert.equal(c.le(0x05).length, 0, 'central host never sees an LTK Request');

  const r = p.cmd(OP.LELtkReply, ltkReply(ph, LTK_A));
  assert.equal(r.status, 0);
  assert.equal(r.ret.readUInt16LE(1), ph, 'reply returns the handle');
  assert.deepEqual(c.of(0x08), [Buffer.from([0, ch & 0xff, ch >> 8, 1])]);
  assert.deepEqual(p.of(0x08), [Buffer.from([0, ph & 0xff, ph >> 8, 1])]);

  // Read Encryption Key Size now answers 16.
  const ks = c.cmd(0x1408, handleOnly(ch));
  assert.equal(ks.status, 0);
  assert.equal(ks.ret[3], 16);

  // Encrypting again is a key refresh: Encryption Key Refresh Complete, not Encryption Change.
  c.clear();
  p.clear();
  c.cmd(OP.LEStartEnc, startEnc(ch, LTK_A));
  p.cmd(OP.LELtkReply, ltkReply(ph, LTK_A));
  assert.deepEqual(c.of(0x30), [Buffer.from([0, ch & 0xff, ch >> 8])]);
  assert.deepEqual(p.of(0x30), [Buffer.from([0, ph & 0xff, ph >> 8])]);
  assert.equal(c.of(0x08).length + p.of(0x08).length, 0);
});

test('different LTKs: both sides get Disconnection Complete with 0x3D (MIC failure)', (t) => {
  const { air, c, p, ch, ph } = setup();
  t.after(() => air.close());
  c.cmd(OP.LEStartEnc, startEnc(ch, LTK_A));
  p.cmd(OP.LELtkReply, ltkReply(ph, LTK_B));
  assert.deepEqual(c.of(0x05), [Buffer.from([0, ch & 0xff, ch >> 8, 0x3d])]);
  assert.deepEqual(p.of(0x05), [Buffer.from([0, ph & 0xff, ph >> 8, 0x3d])]);
  assert.equal(c.of(0x08).length + p.of(0x08).length, 0, 'no Encryption Change on a MIC failure');
  assert.equal(c.c.connectionCount + p.c.connectionCount, 0);
  // The handle is gone: commands on it now fail with Unknown Connection Identifier.
  assert.equal(c.cmd(OP.Disconnect, Buffer.from([ch & 0xff, ch >> 8, 0x13])).status, 0x02);
});

test('negative reply: Encryption Change 0x06 (PIN or Key Missing) to the central; the link stays up', (t) => {
  const { air, c, p, ch, ph } = setup();
  t.after(() => air.close());
  c.cmd(OP.LEStartEnc, startEnc(ch, LTK_A));
  const r = p.cmd(OP.LELtkNegReply, handleOnly(ph));
  assert.equal(r.status, 0);
  assert.deepEqual(c.of(0x08), [Buffer.from([0x06, ch & 0xff, ch >> 8, 0])]);
  assert.equal(p.of(0x08).length, 0, 'the peripheral host only gets the Command Complete');
  assert.equal(c.c.connectionCount, 1);
  assert.equal(c.cmd(0x1408, handleOnly(ch)).status, 0x0c, 'no key size on an unencrypted link');
});

test('encryption rules: only the central starts it, replies need a pending request', (t) => {
  const { air, c, p, ch, ph } = setup();
  t.after(() => air.close());
  assert.equal(p.cmd(OP.LEStartEnc, startEnc(ph, LTK_A)).status, 0x0c, 'peripheral cannot start encryption');
  assert.equal(p.cmd(OP.LELtkReply, ltkReply(ph, LTK_A)).status, 0x0c, 'no request pending');
  assert.equal(c.cmd(OP.LEStartEnc, startEnc(0x0eee, LTK_A)).status, 0x02);
  assert.equal(c.cmd(OP.LEStartEnc, startEnc(ch, LTK_A)).status, 0);
  assert.equal(c.cmd(OP.LEStartEnc, startEnc(ch, LTK_A)).status, 0x0c, 'one procedure at a time');
});

test('a masked LTK Request makes the controller answer for the host: no key', (t) => {
  const { air, c, p, ch } = setup();
  t.after(() => air.close());
  const mask = Buffer.alloc(8);
  mask.writeBigUInt64LE(0x1fn & ~(1n << 4n)); // LE Long Term Key Request unmasked no more
  p.cmd(OP.LESetEventMask, mask);
  c.cmd(OP.LEStartEnc, startEnc(ch, LTK_A));
  assert.equal(p.le(0x05).length, 0);
  assert.deepEqual(c.of(0x08), [Buffer.from([0x06, ch & 0xff, ch >> 8, 0])]);
});
