// Two independent readings of the spec must agree: @pairkit/hci's codec (the host side) decodes
// every packet this controller produces, byte for byte. ble-sim keeps its own wire code on
// purpose, so a disagreement here is a real bug on one side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  commandHasCompleteEvent,
  commandNameOf,
  decodeEvent,
  encodeReturnParameters,
  parseReturnParameters,
  type CompleteCommandName,
} from '@pairkit/hci';
import { SimAir, SimOpcodes } from '../src/index.js';
import { OP, Probe, advData, advParams, connectPair } from './helpers/probe.js';
import { XOP, extCreateConn, extData, extEnable, extParams, extScanEnable, extScanParams } from './helpers/extended.js';

test('Command Complete vs Command Status: the controller and the hci codec agree for every command', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  let compared = 0;
  for (const op of Object.values(SimOpcodes)) {
    if (commandNameOf(op) === undefined) continue;
    const p = new Probe(air.createController());
    assert.equal(p.cmd(op).kind === 'complete', commandHasCompleteEvent(op), `${commandNameOf(op)}`);
    compared++;
  }
  assert.ok(compared >= 30, `only ${compared} commands known to both`);
});

test('return parameters of every successful command decode and re-encode to the same bytes', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const c = new Probe(air.createController());
  const p = new Probe(air.createController());
  const [ch] = connectPair(c, p);
  const h = [ch & 0xff, ch >> 8];
  const withParams: Record<number, number[]> = {
    [SimOpcodes.SetEventMask]: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f],
    [SimOpcodes.SetEventMaskPage2]: [0, 0, 0, 0, 0, 0, 0, 0],
    [SimOpcodes.LESetEventMask]: [0x1f, 0, 0, 0, 0, 0, 0, 0],
    [SimOpcodes.WriteLEHostSupport]: [1, 0],
    [SimOpcodes.ReadRSSI]: h,
    [SimOpcodes.LEReadPHY]: h,
    [SimOpcodes.LESetDataLength]: [...h, 251, 0, 0x48, 0x08],
    [SimOpcodes.LEWriteSuggestedDefaultDataLength]: [251, 0, 0x48, 0x08],
    [SimOpcodes.LESetDefaultPHY]: [0, 1, 1],
    [SimOpcodes.LEEncrypt]: new Array(32).fill(7),
    [SimOpcodes.LESetRandomAddress]: [1, 2, 3, 4, 5, 0xc0],
    [SimOpcodes.LEAddDeviceToFilterAcceptList]: [0, 1, 2, 3, 4, 5, 6],
    [SimOpcodes.LERemoveDeviceFromFilterAcceptList]: [0, 1, 2, 3, 4, 5, 6],
    [SimOpcodes.LESetAdvertisingParameters]: [...advParams()],
    [SimOpcodes.LESetAdvertisingData]: [...advData(Buffer.from([2, 1, 6]))],
    [SimOpcodes.LESetScanResponseData]: [...advData(Buffer.from([2, 1, 6]))],
    [SimOpcodes.LESetScanParameters]: [1, 16, 0, 16, 0, 0, 0],
  };
  let checked = 0;
  for (const op of Object.values(SimOpcodes)) {
    const name = commandNameOf(op);
    if (name === undefined || !commandHasCompleteEvent(op) || op === SimOpcodes.Reset) continue;
    const params = withParams[op];
    const r = c.cmd(op, Buffer.from(params ?? []));
    if (r.status !== 0) continue; // needs parameters this table does not give
    const n = name as CompleteCommandName;
    const parsed = parseReturnParameters(n, r.ret);
    assert.deepEqual(encodeReturnParameters(n, parsed), r.ret, `${name} return parameters`);
    checked++;
  }
  assert.ok(checked >= 30, `only ${checked} commands checked`);
});

test('every event of a full session decodes with the hci codec', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const c = new Probe(air.createController());
  const p = new Probe(air.createController());
  const mask = Buffer.from([0xff, 0x0f, 0, 0, 0, 0, 0, 0]); // enhanced connection complete, data length change...
  c.cmd(OP.LESetEventMask, mask);
  p.cmd(OP.LESetAdvParams, advParams());
  p.cmd(OP.LESetAdvData, advData(Buffer.from([2, 1, 6])));
  p.cmd(OP.LESetAdvEnable, Buffer.from([1]));
  c.cmd(OP.LESetScanParams, Buffer.from([1, 16, 0, 16, 0, 0, 0]));
  c.cmd(OP.LESetScanEnable, Buffer.from([1, 0]));
  c.cmd(OP.LESetScanEnable, Buffer.from([0, 0]));
  const [ch, ph] = connectPair(c, p);
  const enc = Buffer.alloc(28);
  enc.writeUInt16LE(ch, 0);
  c.cmd(OP.LEStartEnc, enc);
  p.cmd(OP.LELtkReply, Buffer.concat([Buffer.from([ph & 0xff, ph >> 8]), Buffer.alloc(16)]));
  c.cmd(0x2016, Buffer.from([ch & 0xff, ch >> 8]));
  c.cmd(0x041d, Buffer.from([ch & 0xff, ch >> 8]));
  c.cmd(0x2022, Buffer.from([ch & 0xff, ch >> 8, 200, 0, 0x48, 0x08]));
  c.sendAcl(ch, 0b10, Buffer.from([1, 0, 0x40, 0, 9]));
  c.cmd(OP.Disconnect, Buffer.from([ch & 0xff, ch >> 8, 0x13]));
  const names = new Set<string>();
  for (const probe of [c, p]) {
    for (const e of probe.events) {
      const pkt = Buffer.concat([Buffer.from([0x04, e.code, e.params.length]), e.params]);
      const ev = decodeEvent(pkt);
      assert.ok(ev.name, `event 0x${e.code.toString(16)} sub ${e.params[0]} is known to the codec`);
      names.add(ev.name);
    }
  }
  for (const want of ['LE_Advertising_Report', 'LE_Enhanced_Connection_Complete', 'LE_Connection_Complete', 'LE_Long_Term_Key_Request', 'Encryption_Change', 'Number_Of_Completed_Packets', 'Disconnection_Complete']) {
    assert.ok([...names].some((n) => n.startsWith(want)), `${want} seen (got ${[...names].join(', ')})`);
  }
});

test('extended advertising: return parameters and every event of an extended session decode with the hci codec', (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const c = new Probe(air.createController());
  const p = new Probe(air.createController());
  const all = Buffer.from([0xff, 0xff, 0x1f, 0, 0, 0, 0, 0]); // every LE subevent up to Channel Selection Algorithm
  c.cmd(OP.LESetEventMask, all);
  p.cmd(OP.LESetEventMask, all);
  const ret = (probe: Probe, op: number, params: Buffer = Buffer.alloc(0)) => {
    const r = probe.cmd(op, params);
    assert.equal(r.status, 0, `0x${op.toString(16)}`);
    const n = commandNameOf(op) as CompleteCommandName;
    assert.deepEqual(encodeReturnParameters(n, parseReturnParameters(n, r.ret)), r.ret, n);
    return parseReturnParameters(n, r.ret) as unknown as Record<string, number>;
  };
  assert.equal(ret(p, XOP.ReadMaxAdvDataLength).maxAdvertisingDataLength, 1650);
  assert.equal(ret(p, XOP.ReadNumSets).numSupportedAdvertisingSets, 4);
  assert.equal(ret(p, XOP.SetExtAdvParams, extParams({ props: 0x01, txPower: 5 })).selectedTxPower, 5);
  ret(p, XOP.SetExtAdvData, extData(0, 3, Buffer.alloc(240, 1)));
  ret(p, XOP.SetExtAdvEnable, extEnable(1, [[0]]));
  ret(c, XOP.SetExtScanParams, extScanParams(true));
  ret(c, XOP.SetExtScanEnable, extScanEnable(1, 1, 100));
  ret(c, XOP.SetExtScanEnable, extScanEnable(0));
  assert.equal(c.cmd(XOP.ExtCreateConn, extCreateConn(p.c.publicAddress)).status, 0);
  const names = new Set<string>();
  for (const probe of [c, p]) {
    for (const e of probe.events) {
      const ev = decodeEvent(Buffer.concat([Buffer.from([0x04, e.code, e.params.length]), e.params]));
      assert.ok(ev.name, `event 0x${e.code.toString(16)} sub ${e.params[0]} is known to the codec`);
      names.add(ev.name);
    }
  }
  for (const want of ['LE_Extended_Advertising_Report', 'LE_Enhanced_Connection_Complete', 'LE_Channel_Selection_Algorithm', 'LE_Advertising_Set_Terminated']) {
    assert.ok(names.has(want), `${want} seen (got ${[...names].join(', ')})`);
  }
});
