// Command handling of a single SimController and GAP behaviour between controllers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimAir, SimError, SimOpcodes } from '../src/index.js';
import { ManualTimers, OP, Probe, advData, advParams, connectPair, createConn } from './helpers/probe.js';

function air1(): { air: SimAir; p: Probe } {
  const air = new SimAir();
  return { air, p: new Probe(air.createController()) };
}

test('unknown commands get status 0x01 (Unknown HCI Command) and the controller carries on', (t) => {
  const { air, p } = air1();
  t.after(() => air.close());
  for (const op of [0x0c13 /* Write Local Name */, 0xfc01 /* vendor */, 0x2032 /* LE Set PHY */]) {
    const r = p.cmd(op, Buffer.from([1, 2, 3]));
    assert.equal(r.status, 0x01, `opcode 0x${op.toString(16)}`);
  }
  assert.equal(p.c.stats.unknownCommands, 3);
  assert.equal(p.cmd(OP.Reset).status, 0);
});

test('Num_HCI_Command_Packets is 1 by default and configurable', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  for (const [opts, want] of [[{}, 1], [{ numHciCommandPackets: 5 }, 5]] as const) {
    const p = new Probe(air.createController(opts), false);
    p.cmd(OP.Reset);
    assert.equal(p.events[0].params[0], want);
  }
});

test('Read Local Supported Commands claims exactly the commands that are answered', (t) => {
  const { air, p } = air1();
  t.after(() => air.close());
  const bitmap = p.cmd(0x1002).ret.subarray(1);
  assert.equal(bitmap.length, 64);
  const claimed = bitmap.reduce((n, b) => n + [...Array(8).keys()].filter((i) => b & (1 << i)).length, 0);
  // Read Local Supported Commands has no bit of its own: it is always supported.
  const implemented = Object.values(SimOpcodes).filter((op) => op !== 0x1002);
  assert.equal(claimed, implemented.length);
  for (const op of implemented) {
    // Empty parameters: either a real answer or 0x12, never "unknown".
    const fresh = new Probe(air.createController());
    assert.notEqual(fresh.cmd(op).status, 0x01, `0x${op.toString(16)} is claimed but unknown`);
  }
  // Spot checks against the spec's table (Vol 4 Part E §6.27).
  assert.ok(bitmap[5] & (1 << 7), 'Reset: octet 5 bit 7');
  assert.ok(bitmap[27] & (1 << 6), 'LE Encrypt: octet 27 bit 6');
  assert.ok(bitmap[41] & (1 << 5), 'LE Read Buffer Size v2: octet 41 bit 5');
});

test('informational commands: version, BD_ADDR, buffer sizes, features, states', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = new Probe(air.createController({ aclDataPacketLength: 27, totalNumAclDataPackets: 3 }));
  const b = new Probe(air.createController({ address: '11:22:33:44:55:66' }));
  assert.equal(a.c.address, '02:5A:F0:00:00:01', 'deterministic from the index');
  assert.deepEqual(b.cmd(0x1009).ret.subarray(1), Buffer.from([0x66, 0x55, 0x44, 0x33, 0x22, 0x11]), 'little-endian on the wire');
  const v = a.cmd(0x1001).ret;
  assert.equal(v.length, 9);
  assert.ok(v[1] >= 0x06, 'HCI version is 4.0 or later');
  assert.deepEqual(a.cmd(0x2002).ret, Buffer.from([0, 27, 0, 3]));
  assert.deepEqual(a.cmd(0x2060).ret, Buffer.from([0, 27, 0, 3, 0, 0, 0]));
  const lmp = a.cmd(0x1003).ret;
  assert.ok(lmp[1 + 4] & (1 << 6), 'LE Supported (Controller)');
  const le = a.cmd(0x2003).ret;
  assert.ok(le[1] & 1, 'LE Encryption feature');
  assert.equal(a.cmd(0x201c).ret.length, 9);
  assert.deepEqual(a.cmd(0x202f).ret, Buffer.from([0, 251, 0, 0x90, 0x42, 251, 0, 0x90, 0x42]));
});

test('LE Encrypt is AES-128 with little-endian key, plaintext and result (FIPS-197 C.1)', (t) => {
  const { air, p } = air1();
  t.after(() => air.close());
  const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex').reverse();
  const pt = Buffer.from('00112233445566778899aabbccddeeff', 'hex').reverse();
  const r = p.cmd(0x2017, Buffer.concat([key, pt]));
  assert.equal(r.status, 0);
  assert.equal(Buffer.from(r.ret.subarray(1)).reverse().toString('hex'), '69c4e0d86a7b0430d8cdb78070b4c55a');
  assert.equal(p.cmd(0x2017, key).status, 0x12, 'short parameters');
});

test('LE Rand comes from the air’s injectable random source', (t) => {
  let n = 0;
  const air = new SimAir({ random: (len) => Buffer.alloc(len, ++n) });
  t.after(() => air.close());
  const p = new Probe(air.createController());
  assert.deepEqual(p.cmd(0x2018).ret, Buffer.from([0, 1, 1, 1, 1, 1, 1, 1, 1]));
  assert.deepEqual(p.cmd(0x2018).ret.subarray(1), Buffer.alloc(8, 2));
});

test('malformed packets are typed errors', (t) => {
  const { air, p } = air1();
  t.after(() => air.close());
  assert.throws(() => p.c.receive(Buffer.from([0x01, 0x03, 0x0c, 0x05])), (e: unknown) => e instanceof SimError && e.code === 'MALFORMED_PACKET');
  assert.throws(() => p.c.receive(Buffer.from([0x09, 0, 0])), (e: unknown) => e instanceof SimError && e.code === 'UNKNOWN_PACKET_TYPE');
  air.close();
  assert.throws(() => p.c.receive(Buffer.from([0x01, 0x03, 0x0c, 0x00])), (e: unknown) => e instanceof SimError && e.code === 'CLOSED');
});

test('scanning: report types per advertising type, scan responses only when active, duplicates filtered', (t) => {
  const air = new SimAir({ rssi: -42 });
  t.after(() => air.close());
  const scanner = new Probe(air.createController());
  const advs = [0x00, 0x02, 0x03].map((type) => {
    const p = new Probe(air.createController());
    p.cmd(OP.LESetAdvParams, advParams(type));
    p.cmd(OP.LESetAdvData, advData(Buffer.from([0x02, 0x01, 0x06])));
    p.cmd(OP.LESetScanRsp, advData(Buffer.from([0x03, 0x09, 0x41, 0x42])));
    p.cmd(OP.LESetAdvEnable, Buffer.from([1]));
    return p;
  });
  const reports = (): Array<[number, string, number]> =>
    scanner.le(0x02).map((r) => [r[1], Buffer.from(r.subarray(3, 9)).reverse().toString('hex'), r[9]] as [number, string, number]);
  const addr = (i: number): string => Buffer.from(advs[i].c.publicAddress).reverse().toString('hex');

  // Passive scan, duplicates filtered.
  scanner.cmd(OP.LESetScanParams, Buffer.from([0, 16, 0, 16, 0, 0, 0]));
  scanner.cmd(OP.LESetScanEnable, Buffer.from([1, 1]));
  assert.deepEqual(reports(), [
    [0x00, addr(0), 3],
    [0x02, addr(1), 3],
    [0x03, addr(2), 3],
  ]);
  assert.equal(scanner.le(0x02)[0].at(-1), 256 - 42, 'RSSI');
  advs[0].cmd(OP.LESetAdvData, advData(Buffer.from([0x02, 0x01, 0x04]))); // re-advertises
  assert.equal(scanner.le(0x02).length, 3, 'duplicate filtered');

  // Active scan without duplicate filtering: SCAN_RSP for scannable advertisers, repeats allowed.
  scanner.cmd(OP.LESetScanEnable, Buffer.from([0, 0]));
  scanner.clear();
  scanner.cmd(OP.LESetScanParams, Buffer.from([1, 16, 0, 16, 0, 0, 0]));
  scanner.cmd(OP.LESetScanEnable, Buffer.from([1, 0]));
  assert.deepEqual(
    reports().map(([type, a]) => [type, a]),
    [
      [0x00, addr(0)],
      [0x04, addr(0)],
      [0x02, addr(1)],
      [0x04, addr(1)],
      [0x03, addr(2)],
    ],
  );
  assert.equal(scanner.le(0x02)[1][9], 4, 'SCAN_RSP carries the scan response data');
  advs[2].cmd(OP.LESetAdvData, advData(Buffer.from([0x02, 0x01, 0x04])));
  assert.equal(scanner.le(0x02).length, 6, 'without duplicate filtering, re-advertising is reported again');
  assert.equal(reports()[5][1], addr(2));

  // A non-connectable advertiser cannot be connected to; the ADV_IND one can.
  const init = new Probe(air.createController());
  assert.equal(init.cmd(OP.LECreateConn, createConn(advs[2].c.publicAddress)).status, 0);
  assert.equal(init.le(0x01).length, 0);
  assert.equal(init.cmd(OP.LECreateConn, createConn(advs[0].c.publicAddress)).status, 0x0c, 'already initiating');
  init.cmd(OP.LECreateConnCancel);
  assert.equal(init.le(0x01)[0][0], 0x02, 'cancel: LE Connection Complete with Unknown Connection Identifier');
  assert.equal(init.cmd(OP.LECreateConnCancel).status, 0x0c, 'nothing to cancel');
});

test('random own address: required before use, reported with address type 1', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = new Probe(air.createController());
  const b = new Probe(air.createController());
  a.cmd(OP.LESetAdvParams, advParams(0, 1));
  assert.equal(a.cmd(OP.LESetAdvEnable, Buffer.from([1])).status, 0x12, 'no random address set yet');
  const rnd = Buffer.from([1, 2, 3, 4, 5, 0xc6]); // static random: two top bits set
  assert.equal(a.cmd(0x2005, rnd).status, 0);
  assert.equal(a.cmd(OP.LESetAdvEnable, Buffer.from([1])).status, 0);
  assert.equal(a.cmd(0x2005, rnd).status, 0x0c, 'not while advertising');
  const [ch] = connectPairTo(b, a, rnd, 1);
  const cc = b.le(0x01)[0];
  assert.equal(cc[4], 1, 'peer address type random');
  assert.deepEqual(cc.subarray(5, 11), rnd);
  assert.equal(cc.readUInt16LE(1), ch);
});

function connectPairTo(central: Probe, peripheral: Probe, addr: Buffer, type: number): [number, number] {
  central.cmd(OP.LECreateConn, createConn(addr, type));
  return [central.le(0x01)[0].readUInt16LE(1), peripheral.le(0x01)[0].readUInt16LE(1)];
}

test('LE Enhanced Connection Complete replaces the legacy event when unmasked', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const c = new Probe(air.createController());
  const p = new Probe(air.createController());
  const mask = Buffer.alloc(8);
  mask.writeBigUInt64LE(0x1fn | (1n << 9n));
  c.cmd(OP.LESetEventMask, mask);
  connectPairViaLegacyPeripheral(c, p);
  assert.equal(c.le(0x01).length, 0);
  const e = c.le(0x0a)[0];
  assert.equal(e.length, 30);
  assert.equal(e[3], 0, 'central role');
  assert.deepEqual(e.subarray(5, 11), p.c.publicAddress);
  assert.equal(p.le(0x01)[0][3], 1, 'the peripheral, masked, gets the legacy event with role peripheral');
});

function connectPairViaLegacyPeripheral(c: Probe, p: Probe): void {
  p.cmd(OP.LESetAdvParams, advParams());
  p.cmd(OP.LESetAdvEnable, Buffer.from([1]));
  c.cmd(OP.LECreateConn, createConn(p.c.publicAddress));
}

test('Disconnect: 0x16 locally, the given reason remotely; masked Disconnection Complete is not sent', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const c = new Probe(air.createController());
  const p = new Probe(air.createController());
  let [ch, ph] = connectPair(c, p);
  assert.equal(c.cmd(OP.Disconnect, Buffer.from([ch, ch >> 8, 0x99])).status, 0x12, 'invalid reason');
  assert.equal(c.cmd(OP.Disconnect, Buffer.from([ch, ch >> 8, 0x15])).status, 0);
  assert.deepEqual(c.of(0x05).at(-1), Buffer.from([0, ch, ch >> 8, 0x16]));
  assert.deepEqual(p.of(0x05).at(-1), Buffer.from([0, ph, ph >> 8, 0x15]));

  [ch, ph] = connectPair(c, p);
  p.cmd(OP.SetEventMask, Buffer.from('efffffffffffff3f', 'hex')); // bit 4 cleared
  const before = p.of(0x05).length;
  c.cmd(OP.Disconnect, Buffer.from([ch, ch >> 8, 0x13]));
  assert.equal(p.of(0x05).length, before);
  assert.equal(p.c.connectionCount, 0);
});

test('link procedures: connection update, remote features and version, data length, PHY', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const c = new Probe(air.createController());
  const p = new Probe(air.createController());
  const [ch, ph] = connectPair(c, p);
  const upd = Buffer.alloc(14);
  upd.writeUInt16LE(ch, 0);
  upd.writeUInt16LE(40, 2);
  upd.writeUInt16LE(56, 4);
  upd.writeUInt16LE(2, 6);
  upd.writeUInt16LE(600, 8);
  assert.equal(c.cmd(0x2013, upd).status, 0);
  assert.deepEqual(c.le(0x03)[0], Buffer.from([0, ch, ch >> 8, 40, 0, 2, 0, 0x58, 0x02]));
  assert.deepEqual(p.le(0x03)[0], Buffer.from([0, ph, ph >> 8, 40, 0, 2, 0, 0x58, 0x02]));
  upd.writeUInt16LE(ph, 0);
  assert.equal(p.cmd(0x2013, upd).status, 0x0c, 'peripheral-initiated update needs the CPR procedure');

  assert.equal(c.cmd(0x2016, Buffer.from([ch, ch >> 8])).status, 0);
  const rf = c.le(0x04)[0];
  assert.equal(rf[0], 0);
  assert.ok(rf[3] & 1, 'remote supports LE Encryption');
  assert.equal(p.cmd(0x041d, Buffer.from([ph, ph >> 8])).status, 0);
  assert.equal(p.of(0x0c)[0].length, 8);

  const dl = Buffer.alloc(6);
  dl.writeUInt16LE(ch, 0);
  dl.writeUInt16LE(251, 2);
  dl.writeUInt16LE(2120, 4);
  assert.equal(c.cmd(0x2022, dl).status, 0);
  const mask = Buffer.alloc(8);
  mask.writeBigUInt64LE(0x7fn);
  // Data Length Change is masked by default: nothing yet; unmask on both and change again.
  assert.equal(c.le(0x07).length, 0);
  c.cmd(OP.LESetEventMask, mask);
  p.cmd(OP.LESetEventMask, mask);
  dl.writeUInt16LE(200, 2);
  c.cmd(0x2022, dl);
  const cdl = c.le(0x07)[0];
  assert.equal(cdl.readUInt16LE(2), 200, 'central MaxTxOctets');
  assert.equal(p.le(0x07)[0].readUInt16LE(6), 200, 'peripheral MaxRxOctets');
  assert.deepEqual(c.cmd(0x2030, Buffer.from([ch, ch >> 8])).ret, Buffer.from([0, ch, ch >> 8, 1, 1]));
});

test('Reset drops links: the peer sees a supervision timeout (0x08), the reset host nothing', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const c = new Probe(air.createController());
  const p = new Probe(air.createController());
  const [, ph] = connectPair(c, p);
  c.clear();
  c.cmd(OP.Reset);
  assert.deepEqual(p.of(0x05), [Buffer.from([0, ph, ph >> 8, 0x08])]);
  assert.deepEqual(c.events.map((e) => e.code), [0x0e]);
  assert.equal(c.c.isAdvertising || c.c.isScanning || c.c.isInitiating, false);
});

test('high duty cycle directed advertising times out after 1.28 s with LE Connection Complete 0x3C', (t) => {
  const timers = new ManualTimers();
  const air = new SimAir({ timers });
  t.after(() => air.close());
  const p = new Probe(air.createController());
  const params = advParams(0x01);
  Buffer.from([1, 2, 3, 4, 5, 6]).copy(params, 7); // a target that is not on the air
  assert.equal(p.cmd(OP.LESetAdvParams, params).status, 0);
  p.cmd(OP.LESetAdvEnable, Buffer.from([1]));
  assert.equal(p.c.isAdvertising, true);
  timers.tick();
  assert.equal(p.le(0x01)[0][0], 0x3c);
  assert.equal(p.c.isAdvertising, false);
  // Stopped and restarted: only the new session's timeout counts.
  p.clear();
  p.cmd(OP.LESetAdvEnable, Buffer.from([1]));
  p.cmd(OP.LESetAdvEnable, Buffer.from([0]));
  timers.tick();
  assert.equal(p.le(0x01).length, 0, 'no timeout once stopped');
});

test('Filter Accept List: scanner filter policy reports listed advertisers only; a full list is 0x07', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const scanner = new Probe(air.createController({ filterAcceptListSize: 2 }));
  const [listed, other] = [0, 1].map(() => {
    const p = new Probe(air.createController());
    p.cmd(OP.LESetAdvParams, advParams());
    p.cmd(OP.LESetAdvEnable, Buffer.from([1]));
    return p;
  });
  const entry = (addr: Buffer): Buffer => Buffer.concat([Buffer.from([0]), addr]);
  assert.equal(scanner.cmd(0x2011, entry(listed.c.publicAddress)).status, 0);
  scanner.cmd(OP.LESetScanParams, Buffer.from([0, 16, 0, 16, 0, 0, 1])); // filter policy 1
  scanner.cmd(OP.LESetScanEnable, Buffer.from([1, 1]));
  const seen = scanner.le(0x02).map((r) => Buffer.from(r.subarray(3, 9)));
  assert.deepEqual(seen, [listed.c.publicAddress]);
  assert.equal(scanner.cmd(0x2011, entry(other.c.publicAddress)).status, 0);
  assert.equal(scanner.cmd(0x2011, entry(Buffer.alloc(6, 9))).status, 0x07, 'Memory Capacity Exceeded');
  assert.equal(scanner.cmd(0x2011, entry(other.c.publicAddress)).status, 0, 'adding an entry again is not a new entry');
  // Initiator filter policy 1: connects to whichever listed device advertises.
  const init = new Probe(air.createController());
  init.cmd(0x2011, entry(other.c.publicAddress));
  const cc = createConn(Buffer.alloc(6));
  cc[4] = 1;
  init.cmd(OP.LECreateConn, cc);
  assert.deepEqual(Buffer.from(init.le(0x01)[0].subarray(5, 11)), other.c.publicAddress);
});
