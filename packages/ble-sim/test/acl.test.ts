// ACL between two controllers: re-fragmented to the receiver's buffer size, PB flags as a
// controller delivers them, Number Of Completed Packets per packet, bad packets dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimAir } from '../src/index.js';
import { ManualTimers, OP, Probe, advParams, connectPair, createConn } from './helpers/probe.js';

function pair(senderLen: number, receiverLen: number, credits = 4): { air: SimAir; s: Probe; r: Probe; sh: number; rh: number } {
  const air = new SimAir();
  const s = new Probe(air.createController({ aclDataPacketLength: senderLen, totalNumAclDataPackets: credits }));
  const r = new Probe(air.createController({ aclDataPacketLength: receiverLen }));
  const [sh, rh] = connectPair(s, r);
  s.clear();
  r.clear();
  return { air, s, r, sh, rh };
}

const l2cap = (len: number): Buffer => {
  const b = Buffer.alloc(4 + len);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(0x0040, 2);
  for (let i = 0; i < len; i++) b[4 + i] = i & 0xff;
  return b;
};

test('a 251-octet fragment reaches a 27-octet receiver as 27-octet fragments, first PB=0b10 then 0b01', (t) => {
  const { air, s, r, sh, rh } = pair(251, 27);
  t.after(() => air.close());
  const pdu = l2cap(247); // 251 octets on the wire
  s.sendAcl(sh, 0b00, pdu); // hosts may send the first fragment as 0b00 (ble-host does)
  assert.equal(r.acl.length, Math.ceil(251 / 27));
  for (const [i, p] of r.acl.entries()) {
    const word = p.readUInt16LE(1);
    assert.equal(word & 0x0fff, rh, 'receiver handle');
    assert.equal((word >> 12) & 3, i === 0 ? 0b10 : 0b01);
    assert.ok(p.readUInt16LE(3) <= 27);
  }
  assert.deepEqual(Buffer.concat(r.acl.map((p) => p.subarray(5))), pdu);
  assert.deepEqual(s.of(0x13), [Buffer.from([1, sh & 0xff, sh >> 8, 1, 0])], 'one Number Of Completed Packets for one packet');
});

test('continuations stay continuations: a PDU sent as 27-octet pieces arrives whole at a 251 receiver', (t) => {
  const { air, s, r, sh } = pair(27, 251);
  t.after(() => air.close());
  const pdu = l2cap(100);
  for (let off = 0, first = true; off < pdu.length; off += 27, first = false) s.sendAcl(sh, first ? 0b10 : 0b01, pdu.subarray(off, off + 27));
  assert.deepEqual(r.acl.map((p) => (p.readUInt16LE(1) >> 12) & 3), [0b10, 0b01, 0b01, 0b01]);
  assert.deepEqual(Buffer.concat(r.acl.map((p) => p.subarray(5))), pdu);
  const completed = s.of(0x13).reduce((n, e) => n + e.readUInt16LE(3), 0);
  assert.equal(completed, 4);
});

test('oversized ACL and ACL for unknown handles are dropped, not delivered', (t) => {
  const { air, s, r, sh } = pair(27, 27);
  t.after(() => air.close());
  const drops: string[] = [];
  s.c.on('dropped', (why) => drops.push(why));
  s.sendAcl(sh, 0b10, l2cap(30)); // 34 > 27
  s.sendAcl(0x0777, 0b10, l2cap(4));
  assert.equal(r.acl.length, 0);
  assert.equal(s.of(0x13).length, 0);
  assert.equal(drops.length, 2);
  assert.match(drops[0], /exceeds the buffer size 27/);
  assert.match(drops[1], /unknown handle/);
  assert.equal(s.c.stats.aclDropped, 2);
});

test('a host that ignores its credits loses the excess packets (and gets Data Buffer Overflow)', (t) => {
  // With a radio delay, packets stay in the controller until the next connection event.
  const timers = new ManualTimers();
  const air = new SimAir({ delayMs: 5, timers });
  t.after(() => air.close());
  const s = new Probe(air.createController({ totalNumAclDataPackets: 2 }));
  const r = new Probe(air.createController());
  assert.equal(s.cmd(OP.LESetAdvParams, Buffer.alloc(0)).status, 0x12, 'malformed parameters are answered, not fatal');
  r.cmd(OP.LESetAdvParams, advParams());
  r.cmd(OP.LESetAdvEnable, Buffer.from([1]));
  s.cmd(OP.LECreateConn, createConn(r.c.publicAddress));
  assert.equal(s.le(0x01).length, 0, 'connection needs a connection event');
  timers.tick();
  const sh = s.le(0x01)[0].readUInt16LE(1);
  for (let i = 0; i < 3; i++) s.sendAcl(sh, 0b10, l2cap(4));
  assert.equal(s.c.stats.aclDropped, 1, 'third packet exceeds the 2 buffers');
  assert.deepEqual(s.of(0x1a), [Buffer.from([0x01])]);
  assert.equal(r.acl.length, 0);
  timers.tick();
  assert.equal(r.acl.length, 2);
  assert.equal(s.of(0x13).length, 2);
  // Credits are back: a new packet is accepted.
  s.sendAcl(sh, 0b10, l2cap(4));
  assert.equal(s.c.stats.aclDropped, 1);
});

test('packets still in the controller are freed silently when the link drops', (t) => {
  const timers = new ManualTimers();
  const air = new SimAir({ delayMs: 50, timers });
  t.after(() => air.close());
  const s = new Probe(air.createController({ totalNumAclDataPackets: 1 }));
  const r = new Probe(air.createController());
  r.cmd(OP.LESetAdvParams, advParams());
  r.cmd(OP.LESetAdvEnable, Buffer.from([1]));
  s.cmd(OP.LECreateConn, createConn(r.c.publicAddress));
  timers.tick();
  const sh = s.le(0x01)[0].readUInt16LE(1);
  s.sendAcl(sh, 0b10, l2cap(4));
  s.cmd(OP.Disconnect, Buffer.from([sh & 0xff, sh >> 8, 0x13]));
  timers.tick();
  assert.equal(r.acl.length, 0, 'not delivered after the link dropped');
  assert.equal(s.of(0x13).length, 0, 'no Number Of Completed Packets for a dead link');
  assert.equal(s.of(0x05)[0][3], 0x16);
  assert.equal(r.of(0x05)[0][3], 0x13);
  // The only buffer is free again: the next connection can send at once.
  r.cmd(OP.LESetAdvEnable, Buffer.from([1]));
  s.cmd(OP.LECreateConn, createConn(r.c.publicAddress));
  timers.tick();
  const sh2 = s.le(0x01)[1].readUInt16LE(1);
  s.sendAcl(sh2, 0b10, l2cap(4));
  assert.equal(s.c.stats.aclDropped, 0);
  timers.tick();
  assert.equal(r.acl.length, 1);
});
