// LE extended advertising, scanning and connecting on SimController, driven with raw HCI
// commands (Vol 4 Part E §7.8.53-7.8.66, §7.7.65.13) and checked byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEvent } from '@pairkit/hci';
import { SimAir, SimOpcodes } from '../src/index.js';
import { ManualTimers, OP, Probe, advData, advParams, connectPair, createConn } from './helpers/probe.js';
import { XOP, extCreateConn, extData, extEnable, extParams, extScanEnable, extScanParams, parseExtReport } from './helpers/extended.js';

/** LE event mask with these subevents unmasked (bit = subevent - 1). */
function leMask(...subevents: number[]): Buffer {
  let m = 0n;
  for (const s of subevents) m |= 1n << BigInt(s - 1);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(m);
  return b;
}
const SUB = { ConnComplete: 0x01, AdvReport: 0x02, Enhanced: 0x0a, ExtReport: 0x0d, ScanTimeout: 0x11, SetTerminated: 0x12, Csa: 0x14 } as const;
const fill = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

function airWith(...opts: Parameters<SimAir['createController']>[0][]): { air: SimAir; probes: Probe[] } {
  const air = new SimAir();
  return { air, probes: opts.map((o) => new Probe(air.createController(o))) };
}

test('5.4 controller: LE Extended Advertising feature bit and exactly the extended commands it answers; 4.2 has none of them', (t) => {
  const { air, probes } = airWith({}, { coreVersion: '4.2' });
  t.after(() => air.close());
  const [v5, v4] = probes;
  const ext = Object.values(XOP);
  const bits: Array<[number, number]> = [[36, 1], [36, 2], [36, 3], [36, 4], [36, 5], [36, 6], [36, 7], [37, 0], [37, 1], [37, 5], [37, 6], [37, 7]];
  const cmds5 = v5.cmd(0x1002).ret.subarray(1);
  const cmds4 = v4.cmd(0x1002).ret.subarray(1);
  for (const [octet, bit] of bits) {
    assert.ok(cmds5[octet] & (1 << bit), `5.4 claims octet ${octet} bit ${bit}`);
    assert.ok(!(cmds4[octet] & (1 << bit)), `4.2 does not claim octet ${octet} bit ${bit}`);
  }
  const f5 = v5.cmd(0x2003).ret.readBigUInt64LE(1);
  const f4 = v4.cmd(0x2003).ret.readBigUInt64LE(1);
  assert.equal((f5 >> 12n) & 1n, 1n, 'LE Extended Advertising (bit 12)');
  assert.equal((f4 >> 12n) & 1n, 0n);
  assert.equal(v4.cmd(0x1001).ret[1], 0x08, 'HCI version 4.2');
  for (const op of ext) assert.equal(v4.cmd(op).status, 0x01, `4.2: 0x${op.toString(16)} is an unknown command`);
  assert.equal(v4.cmd(0x2060).status, 0x01, '4.2 has no LE Read Buffer Size v2');
  // 4.2 claims exactly what it answers, too.
  const claimed = cmds4.reduce((n, b) => n + [...Array(8).keys()].filter((i) => b & (1 << i)).length, 0);
  const answered = Object.values(SimOpcodes).filter((op) => op !== 0x1002 && new Probe(air.createController({ coreVersion: '4.2' })).cmd(op).status !== 0x01);
  assert.equal(claimed, answered.length);
  assert.deepEqual(v5.cmd(XOP.ReadMaxAdvDataLength).ret, Buffer.from([0, 0x72, 0x06]), '1650 octets');
  assert.deepEqual(v5.cmd(XOP.ReadNumSets).ret, Buffer.from([0, 4]));
  const small = new Probe(air.createController({ advertisingSets: 2, maxAdvertisingDataLength: 300 }));
  assert.deepEqual(small.cmd(XOP.ReadNumSets).ret, Buffer.from([0, 2]));
  assert.deepEqual(small.cmd(XOP.ReadMaxAdvDataLength).ret, Buffer.from([0, 0x2c, 0x01]));
});

test('legacy and extended advertising commands do not mix until Reset: Command Disallowed (0x0C)', (t) => {
  const { air, probes } = airWith({}, {});
  t.after(() => air.close());
  const [a, b] = probes;
  // Legacy first: every extended command is refused, as Command Complete or Command Status.
  assert.equal(a.cmd(OP.LESetScanParams, Buffer.from([1, 16, 0, 16, 0, 0, 0])).status, 0);
  assert.equal(a.cmd(XOP.SetExtAdvParams, extParams()).status, 0x0c);
  assert.equal(a.cmd(XOP.ReadNumSets).status, 0x0c);
  const st = a.cmd(XOP.ExtCreateConn, extCreateConn(b.c.publicAddress));
  assert.deepEqual([st.kind, st.status], ['status', 0x0c]);
  assert.equal(a.cmd(OP.LESetAdvParams, advParams()).status, 0, 'legacy still works');
  // Extended first: legacy ones are refused.
  assert.equal(b.cmd(XOP.ReadMaxAdvDataLength).status, 0);
  assert.equal(b.cmd(OP.LESetAdvEnable, Buffer.from([1])).status, 0x0c);
  const lc = b.cmd(OP.LECreateConn, createConn(a.c.publicAddress));
  assert.deepEqual([lc.kind, lc.status], ['status', 0x0c]);
  // Commands of neither family stay usable, and Reset forgets the choice.
  assert.equal(b.cmd(0x2018).status, 0, 'LE Rand');
  assert.equal(b.cmd(OP.Reset).status, 0);
  assert.equal(b.cmd(OP.LESetAdvParams, advParams()).status, 0);
});

test('Set Extended Advertising Parameters: selected TX power, property and PHY checks, set limit', (t) => {
  const { air, probes } = airWith({ advertisingSets: 2 });
  t.after(() => air.close());
  const [p] = probes;
  const tx = (txPower: number) => p.cmd(XOP.SetExtAdvParams, extParams({ txPower })).ret;
  assert.deepEqual(tx(127), Buffer.from([0, 0]), 'no preference: 0 dBm');
  assert.deepEqual(tx(50), Buffer.from([0, 10]), 'clamped to the +10 dBm maximum');
  assert.equal(tx(-30).readInt8(1), -20, 'clamped to the -20 dBm minimum');
  assert.equal(p.cmd(XOP.SetExtAdvParams, extParams({ props: 0x11 })).status, 0x12, 'legacy bit with no legacy PDU (connectable only)');
  assert.equal(p.cmd(XOP.SetExtAdvParams, extParams({ props: 0x03 })).status, 0x12, 'extended connectable and scannable');
  assert.equal(p.cmd(XOP.SetExtAdvParams, extParams({ props: 0x21 })).status, 0x12, 'anonymous connectable');
  assert.equal(p.cmd(XOP.SetExtAdvParams, extParams({ props: 0x01, primaryPhy: 3 })).status, 0x11, 'LE Coded primary PHY is not simulated');
  assert.equal(p.cmd(XOP.SetExtAdvParams, extParams({ props: 0x01, secondaryPhy: 2 })).status, 0x11, 'LE 2M secondary PHY is not simulated');
  assert.equal(p.cmd(XOP.SetExtAdvParams, extParams({ handle: 1 })).status, 0);
  assert.equal(p.cmd(XOP.SetExtAdvParams, extParams({ handle: 2 })).status, 0x07, 'a third set exceeds 2 sets');
  assert.equal(p.cmd(XOP.RemoveSet, Buffer.from([1])).status, 0);
  assert.equal(p.cmd(XOP.RemoveSet, Buffer.from([1])).status, 0x42, 'Unknown Advertising Identifier');
  assert.equal(p.cmd(XOP.SetExtAdvParams, extParams({ handle: 2 })).status, 0);
});

test('extended data: fragments assemble, limits give 0x12 / 0x07 / 0x45, no changes while a fragment is pending or advertising', (t) => {
  const { air, probes } = airWith({ maxAdvertisingDataLength: 600 }, {});
  t.after(() => air.close());
  const [p, s] = probes;
  s.cmd(OP.LESetEventMask, leMask(SUB.ExtReport));
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(9, 3, fill(4))).status, 0x42, 'no such set');
  p.cmd(XOP.SetExtAdvParams, extParams({ props: 0x13 }));
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 3, fill(32))).status, 0x12, 'legacy PDUs carry 31 octets');
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 1, fill(10))).status, 0x12, 'legacy PDUs take complete data only');
  p.cmd(XOP.SetExtAdvParams, extParams({ props: 0x01 }));
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 3, fill(246))).status, 0x45, 'connectable: one AUX_ADV_IND, no chain (Packet Too Long)');
  assert.equal(p.cmd(XOP.SetExtScanRsp, extData(0, 3, fill(10))).status, 0x12, 'connectable extended advertising has no scan response');
  p.cmd(XOP.SetExtAdvParams, extParams({ props: 0x00 }));
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 2, fill(10))).status, 0x12, 'a last fragment without a first');
  const big = fill(500, 3);
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 1, big.subarray(0, 200))).status, 0);
  assert.equal(p.cmd(XOP.SetExtAdvEnable, extEnable(1, [[0]])).status, 0x0c, 'enable with data half written');
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 0, big.subarray(200, 400))).status, 0);
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 2, big.subarray(400))).status, 0);
  assert.equal(p.cmd(XOP.SetExtAdvEnable, extEnable(1, [[0]])).status, 0);
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 1, fill(10))).status, 0x0c, 'fragments while advertising');
  assert.equal(p.cmd(XOP.RemoveSet, Buffer.from([0])).status, 0x0c, 'remove while advertising');
  assert.equal(p.cmd(XOP.ClearSets).status, 0x0c, 'clear while advertising');
  // An extended scanner gets the 500 octets as 229 + 229 + 42, the first two "more to come".
  s.cmd(XOP.SetExtScanParams, extScanParams(false));
  s.cmd(XOP.SetExtScanEnable, extScanEnable(1, 1));
  const reports = s.le(SUB.ExtReport).map(parseExtReport);
  assert.deepEqual(reports.map((r) => r.data.length), [229, 229, 42]);
  assert.deepEqual(reports.map((r) => (r.eventType >> 5) & 3), [1, 1, 0]);
  assert.ok(reports.every((r) => r.paramLength <= 255 && (r.eventType & 0x1f) === 0 && r.secondaryPhy === 1 && r.sid === 0));
  assert.ok(Buffer.concat(reports.map((r) => r.data)).equals(big));
  // Complete replacement while advertising is allowed; a new DID is reported again despite duplicate filtering.
  s.clear();
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 3, fill(20, 9))).status, 0);
  assert.deepEqual(s.le(SUB.ExtReport).map(parseExtReport).map((r) => r.data), [fill(20, 9)]);
  s.clear();
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 4, Buffer.alloc(0))).status, 0, 'unchanged data, new DID');
  assert.equal(s.le(SUB.ExtReport).length, 1);
  assert.equal(p.cmd(XOP.SetExtAdvEnable, extEnable(0, [])).status, 0, 'Num_Sets 0 disables all');
  p.cmd(XOP.SetExtAdvData, extData(0, 1, fill(251)));
  p.cmd(XOP.SetExtAdvData, extData(0, 0, fill(251)));
  assert.equal(p.cmd(XOP.SetExtAdvData, extData(0, 2, fill(251))).status, 0x07, 'over LE Read Maximum Advertising Data Length');
  assert.equal(p.cmd(XOP.ClearSets).status, 0);
  assert.equal(p.cmd(XOP.SetExtAdvEnable, extEnable(1, [[0]])).status, 0x42);
});

test('scanners of both kinds: legacy scanners see legacy-PDU sets only, extended scanners see legacy advertisers as legacy-type reports', (t) => {
  const { air, probes } = airWith({}, {}, {}, {});
  t.after(() => air.close());
  const [extAdv, legacyAdv, legacyScanner, extScanner] = probes;
  for (const p of probes) p.cmd(OP.LESetEventMask, leMask(SUB.AdvReport, SUB.ExtReport));
  // Two sets: legacy ADV_IND PDUs (with a scan response) and an extended non-connectable one.
  extAdv.cmd(XOP.SetExtAdvParams, extParams({ handle: 0, props: 0x13 }));
  extAdv.cmd(XOP.SetExtAdvData, extData(0, 3, Buffer.from([2, 1, 6])));
  extAdv.cmd(XOP.SetExtScanRsp, extData(0, 3, Buffer.from([3, 9, 0x41, 0x42])));
  extAdv.cmd(XOP.SetExtAdvParams, extParams({ handle: 1, props: 0x40, sid: 5, txPower: 4 }));
  extAdv.cmd(XOP.SetExtAdvData, extData(1, 3, fill(100)));
  assert.equal(extAdv.cmd(XOP.SetExtAdvEnable, extEnable(1, [[0], [1]])).status, 0, 'two sets at once');
  legacyAdv.cmd(OP.LESetAdvParams, advParams(0x02));
  legacyAdv.cmd(OP.LESetAdvData, advData(Buffer.from([2, 1, 4])));
  legacyAdv.cmd(OP.LESetAdvEnable, Buffer.from([1]));

  legacyScanner.cmd(OP.LESetScanParams, Buffer.from([1, 16, 0, 16, 0, 0, 0]));
  legacyScanner.cmd(OP.LESetScanEnable, Buffer.from([1, 1]));
  const legacy = legacyScanner.le(SUB.AdvReport).map((r) => ({ type: r[1], from: Buffer.from(r.subarray(3, 9)), data: Buffer.from(r.subarray(10, 10 + r[9])) }));
  const fromExt = legacy.filter((r) => r.from.equals(extAdv.c.publicAddress));
  assert.deepEqual(fromExt.map((r) => r.type), [0x00, 0x04], 'ADV_IND and SCAN_RSP of the legacy-PDU set, nothing of the extended one');
  assert.deepEqual(fromExt[1].data, Buffer.from([3, 9, 0x41, 0x42]));
  assert.equal(legacyScanner.le(SUB.ExtReport).length, 0);

  extScanner.cmd(XOP.SetExtScanParams, extScanParams(true));
  extScanner.cmd(XOP.SetExtScanEnable, extScanEnable(1, 1));
  const ext = extScanner.le(SUB.ExtReport).map(parseExtReport);
  assert.equal(extScanner.le(SUB.AdvReport).length, 0, 'extended scanners get extended reports only');
  const types = (addr: Buffer) => ext.filter((r) => r.address.equals(addr)).map((r) => r.eventType);
  assert.deepEqual(types(extAdv.c.publicAddress), [0x13, 0x1b, 0x00], 'ADV_IND, SCAN_RSP to ADV_IND (legacy), then the extended set');
  assert.deepEqual(types(legacyAdv.c.publicAddress), [0x12, 0x1a], 'a legacy ADV_SCAN_IND advertiser and its scan response');
  const legacyPdu = ext.find((r) => r.eventType === 0x13)!;
  assert.deepEqual([legacyPdu.sid, legacyPdu.secondaryPhy, legacyPdu.txPower], [0xff, 0, 127], 'legacy PDUs: no ADI, no secondary PHY');
  const extended = ext.find((r) => r.eventType === 0x00)!;
  assert.deepEqual([extended.sid, extended.secondaryPhy, extended.txPower], [5, 1, 4], 'SID, LE 1M secondary, included TX power');
  // The hci codec reads these events the same way.
  for (const e of extScanner.events) {
    const ev = decodeEvent(Buffer.concat([Buffer.from([0x04, e.code, e.params.length]), e.params]));
    if (ev.name === 'LE_Extended_Advertising_Report') assert.equal(ev.params.reports.length, 1);
  }
});

test('Extended Create Connection: Enhanced Connection Complete, Advertising Set Terminated, CSA event only when unmasked; legacy initiators cannot use extended PDUs', (t) => {
  const { air, probes } = airWith({}, {}, {});
  t.after(() => air.close());
  const [per, legacyInit, extInit] = probes;
  per.cmd(OP.LESetEventMask, leMask(SUB.ConnComplete, SUB.Enhanced, SUB.SetTerminated, SUB.Csa));
  extInit.cmd(OP.LESetEventMask, leMask(SUB.ConnComplete, SUB.Enhanced));
  per.cmd(XOP.SetExtAdvParams, extParams({ handle: 3, props: 0x01, ownAddressType: 1 }));
  assert.equal(per.cmd(XOP.SetExtAdvEnable, extEnable(1, [[3]])).status, 0x12, 'random own address not set for the set');
  const setAddr = Buffer.from([1, 2, 3, 4, 5, 0xc6]);
  assert.equal(per.cmd(XOP.SetSetRandomAddress, Buffer.concat([Buffer.from([3]), setAddr])).status, 0);
  per.cmd(XOP.SetExtAdvData, extData(3, 3, fill(200)));
  assert.equal(per.cmd(XOP.SetExtAdvEnable, extEnable(1, [[3]])).status, 0);
  // A legacy initiator listens for ADV_IND: it does not connect to AUX_ADV_IND.
  assert.equal(legacyInit.cmd(OP.LECreateConn, createConn(setAddr, 1)).status, 0);
  assert.equal(legacyInit.le(SUB.ConnComplete).length, 0);
  assert.equal(legacyInit.cmd(OP.LECreateConnCancel).status, 0);
  assert.equal(legacyInit.le(SUB.ConnComplete)[0][0], 0x02, 'cancelled: Unknown Connection Identifier');
  const codedOnly = extCreateConn(setAddr, 1);
  codedOnly[9] = 0x04;
  assert.equal(extInit.cmd(XOP.ExtCreateConn, codedOnly).status, 0x11, 'LE Coded only: unsupported');
  assert.equal(extInit.cmd(XOP.ExtCreateConn, extCreateConn(setAddr, 1)).kind, 'status');
  const cc = extInit.le(SUB.Enhanced);
  const pc = per.le(SUB.Enhanced);
  assert.equal(cc.length, 1);
  assert.equal(pc.length, 1);
  assert.equal(cc[0][0], 0);
  assert.deepEqual([cc[0][3], cc[0][4]], [0x00, 0x01], 'central; peer address type random');
  assert.ok(cc[0].subarray(5, 11).equals(setAddr), 'the set address is the peer address');
  const peripheralHandle = pc[0].readUInt16LE(1);
  const term = per.le(SUB.SetTerminated);
  assert.equal(term.length, 1);
  assert.deepEqual([term[0][0], term[0][1], term[0].readUInt16LE(2)], [0, 3, peripheralHandle], 'status 0, set 3, the new connection');
  const csa = per.le(SUB.Csa);
  assert.deepEqual(csa.map((b) => [b.readUInt16LE(0), b[2]]), [[peripheralHandle, 1]], 'AUX_CONNECT_REQ uses algorithm #2');
  assert.equal(extInit.le(SUB.Csa).length, 0, 'masked at the central: not sent');
  assert.equal(per.c.isAdvertising, false, 'the set stopped on connection');
  assert.equal(per.events.filter((e) => e.code === 0x3e && e.params[0] === SUB.ConnComplete).length, 0, 'the enhanced event replaces the legacy one');
});

test('duration and event limits end a set with Advertising Set Terminated 0x3C / 0x43; extended scan duration ends with Scan Timeout', (t) => {
  const timers = new ManualTimers();
  const air = new SimAir({ timers });
  t.after(() => air.close());
  const p = new Probe(air.createController());
  const s = new Probe(air.createController());
  p.cmd(OP.LESetEventMask, leMask(SUB.SetTerminated));
  s.cmd(OP.LESetEventMask, leMask(SUB.ExtReport, SUB.ScanTimeout));
  p.cmd(XOP.SetExtAdvParams, extParams({ handle: 0, props: 0x10 }));
  p.cmd(XOP.SetExtAdvParams, extParams({ handle: 1, props: 0x10 }));
  assert.equal(p.cmd(XOP.SetExtAdvEnable, extEnable(1, [[0, 5, 0], [1, 0, 3]])).status, 0);
  assert.equal(p.cmd(XOP.SetExtAdvEnable, extEnable(1, [[0], [0]])).status, 0x12, 'a handle twice');
  assert.equal(p.le(SUB.SetTerminated).length, 0);
  timers.tick();
  const term = p.le(SUB.SetTerminated).map((b) => [b[0], b[1], b[4]]);
  assert.deepEqual(term.sort((a, b) => a[1] - b[1]), [[0x3c, 0, 2], [0x43, 1, 3]], 'set 0 timed out (50 ms = 2 events of 20 ms), set 1 reached 3 events');
  assert.equal(p.c.isAdvertising, false);
  // High duty cycle directed legacy PDUs need a duration of at most 1.28 s.
  p.cmd(XOP.SetExtAdvParams, extParams({ handle: 2, props: 0x1d, peerAddress: s.c.publicAddress }));
  assert.equal(p.cmd(XOP.SetExtAdvEnable, extEnable(1, [[2, 0]])).status, 0x12);
  assert.equal(p.cmd(XOP.SetExtAdvEnable, extEnable(1, [[2, 129]])).status, 0x12);
  s.cmd(XOP.SetExtScanParams, extScanParams(false));
  assert.equal(s.cmd(XOP.SetExtScanParams, extScanParams(false, 0, 0x05)).status, 0x11, 'LE Coded scanning is not simulated');
  assert.equal(s.cmd(XOP.SetExtScanEnable, extScanEnable(1, 0, 10, 1)).status, 0x11, 'periodic scanning is not simulated');
  assert.equal(s.cmd(XOP.SetExtScanEnable, extScanEnable(1, 0, 10)).status, 0);
  assert.equal(s.le(SUB.ScanTimeout).length, 0);
  timers.tick();
  assert.equal(s.le(SUB.ScanTimeout).length, 1);
  assert.equal(s.c.isScanning, false);
});

test('LE Channel Selection Algorithm on legacy connections: #2 when both controllers support it (5.4), #1 with a 4.2 peer', (t) => {
  const { air, probes } = airWith({}, {}, { coreVersion: '4.2' });
  t.after(() => air.close());
  const [a, b, old] = probes;
  a.cmd(OP.LESetEventMask, leMask(SUB.ConnComplete, SUB.Csa));
  connectPair(a, b);
  assert.deepEqual(a.le(SUB.Csa).map((e) => e[2]), [1]);
  a.clear();
  connectPair(a, old);
  assert.deepEqual(a.le(SUB.Csa).map((e) => e[2]), [0]);
  assert.equal(old.le(SUB.Csa).length, 0, 'masked (default LE event mask) at the 4.2 side');
});
