import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressFromBytes,
  addressToBytes,
  buildCommand,
  buildCommandComplete,
  buildCommandStatus,
  buildEvent,
  decodeEvent,
  decodePacket,
  encodeAcl,
  HciError,
  Opcode,
  parseCommand,
  parseReturnParameters,
  statusName,
  HciStatus,
  opcodeName,
} from '../src/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('opcodes are OGF<<10|OCF as in the spec', () => {
  assert.equal(Opcode.HCI_Reset, 0x0c03);
  assert.equal(Opcode.HCI_LE_Set_Advertising_Parameters, 0x2006);
  assert.equal(Opcode.HCI_LE_Create_Connection, 0x200d);
  assert.equal(Opcode.HCI_LE_Read_Buffer_Size_v2, 0x2060);
  assert.equal(Opcode.HCI_Disconnect, 0x0406);
  assert.equal(opcodeName(0x2019), 'HCI_LE_Enable_Encryption');
});

test('status codes carry the spec names', () => {
  assert.equal(statusName(0x05), 'Authentication Failure');
  assert.equal(statusName(0x06), 'PIN or Key Missing');
  assert.equal(statusName(0x13), 'Remote User Terminated Connection');
  assert.equal(statusName(0x16), 'Connection Terminated By Local Host');
  assert.equal(statusName(HciStatus.Connection_Terminated_due_to_MIC_Failure), 'Connection Terminated due to MIC Failure');
  assert.match(statusName(0x99), /Reserved/);
});

test('HCI_Reset encodes to 01 03 0c 00', () => {
  assert.deepEqual(buildCommand('HCI_Reset', {}), hex('01 03 0c 00'));
});

test('LE Set Advertising Parameters byte-exact and back', () => {
  const params = {
    advertisingIntervalMin: 0x0800,
    advertisingIntervalMax: 0x0800,
    advertisingType: 0,
    ownAddressType: 1,
    peerAddressType: 0,
    peerAddress: '00:00:00:00:00:00',
    advertisingChannelMap: 7,
    advertisingFilterPolicy: 0,
  };
  const b = buildCommand('HCI_LE_Set_Advertising_Parameters', params);
  assert.deepEqual(b, hex('01 06 20 0f 0008 0008 00 01 00 000000000000 07 00'));
  const parsed = parseCommand(b);
  assert.equal(parsed.name, 'HCI_LE_Set_Advertising_Parameters');
  assert.deepEqual(parsed.name && parsed.params, params);
});

test('LE Set Advertising Data pads to 31 bytes and parses back to the significant part', () => {
  const ad = hex('020106');
  const b = buildCommand('HCI_LE_Set_Advertising_Data', { advertisingData: ad });
  assert.equal(b.length, 4 + 32);
  assert.equal(b[3], 32);
  assert.equal(b[4], 3);
  const p = parseCommand(b);
  assert.ok(p.name === 'HCI_LE_Set_Advertising_Data');
  assert.deepEqual(p.params.advertisingData, ad);
});

test('LE Create Connection with address little-endian', () => {
  const b = buildCommand('HCI_LE_Create_Connection', {
    leScanInterval: 0x60,
    leScanWindow: 0x30,
    initiatorFilterPolicy: 0,
    peerAddressType: 1,
    peerAddress: 'C0:11:22:33:44:55',
    ownAddressType: 1,
    connectionIntervalMin: 0x18,
    connectionIntervalMax: 0x28,
    maxLatency: 0,
    supervisionTimeout: 0x2a,
    minCeLength: 0,
    maxCeLength: 0,
  });
  assert.deepEqual(b, hex('01 0d 20 19 6000 3000 00 01 554433 2211c0 01 1800 2800 0000 2a00 0000 0000'));
});

test('Command Complete for Read BD_ADDR parses typed return parameters', () => {
  const ev = hex('04 0e 0a 01 09 10 00 66 55 44 33 22 11');
  const d = decodeEvent(ev);
  assert.equal(d.name, 'Command_Complete');
  assert.ok(d.name === 'Command_Complete');
  assert.equal(d.params.numHciCommandPackets, 1);
  assert.equal(d.params.commandOpcode, Opcode.HCI_Read_BD_ADDR);
  const r = parseReturnParameters('HCI_Read_BD_ADDR', d.params.returnParameters);
  assert.deepEqual(r, { status: 0, bdAddr: '11:22:33:44:55:66' });
  assert.deepEqual(buildCommandComplete('HCI_Read_BD_ADDR', r), ev);
});

test('failed Command Complete with only a status decodes to the status', () => {
  const r = parseReturnParameters('HCI_LE_Read_Buffer_Size_v2', hex('01'));
  assert.equal(r.status, 1);
});

test('Command Status byte-exact', () => {
  assert.deepEqual(buildCommandStatus(Opcode.HCI_LE_Create_Connection, 0, 1), hex('04 0f 04 00 01 0d 20'));
  const d = decodeEvent(hex('04 0f 04 0c 01 0d 20'));
  assert.ok(d.name === 'Command_Status');
  assert.equal(d.params.status, HciStatus.Command_Disallowed);
});

test('Disconnection Complete, Encryption Change, Key Refresh', () => {
  const dc = decodeEvent(hex('04 05 04 00 40 00 13'));
  assert.deepEqual(dc, { name: 'Disconnection_Complete', code: 5, params: { status: 0, connectionHandle: 0x40, reason: 0x13 } });
  const ec = decodeEvent(hex('04 08 04 00 40 00 01'));
  assert.ok(ec.name === 'Encryption_Change_v1');
  assert.equal(ec.params.encryptionEnabled, 1);
  const kr = decodeEvent(hex('04 30 03 00 40 00'));
  assert.ok(kr.name === 'Encryption_Key_Refresh_Complete');
  for (const e of [dc, ec, kr]) {
    assert.ok(e.name);
    assert.deepEqual(decodeEvent(buildEvent(e.name as never, (e as unknown as { params: never }).params)), e);
  }
});

test('Number Of Completed Packets with two handles', () => {
  const b = hex('04 13 09 02 4000 0300 4100 0100');
  const d = decodeEvent(b);
  assert.ok(d.name === 'Number_Of_Completed_Packets');
  assert.deepEqual(d.params.handles, [
    { connectionHandle: 0x40, numCompletedPackets: 3 },
    { connectionHandle: 0x41, numCompletedPackets: 1 },
  ]);
  assert.deepEqual(buildEvent('Number_Of_Completed_Packets', d.params), b);
});

test('LE Connection Complete and Enhanced', () => {
  const b = hex('04 3e 13 01 00 4000 01 01 665544332211 2800 0000 2a00 00');
  const d = decodeEvent(b);
  assert.ok(d.name === 'LE_Connection_Complete');
  assert.equal(d.subevent, 1);
  assert.deepEqual(d.params, {
    status: 0,
    connectionHandle: 0x40,
    role: 1,
    peerAddressType: 1,
    peerAddress: '11:22:33:44:55:66',
    connectionInterval: 0x28,
    peripheralLatency: 0,
    supervisionTimeout: 0x2a,
    centralClockAccuracy: 0,
  });
  assert.deepEqual(buildEvent('LE_Connection_Complete', d.params), b);
  const enh = buildEvent('LE_Enhanced_Connection_Complete', {
    ...d.params,
    localResolvablePrivateAddress: '00:00:00:00:00:00',
    peerResolvablePrivateAddress: '00:00:00:00:00:00',
  });
  assert.equal(enh.length, 3 + 31);
  assert.equal(decodeEvent(enh).name, 'LE_Enhanced_Connection_Complete');
});

test('LE Advertising Report with AD data and negative RSSI', () => {
  const b = hex('04 3e 0f 02 01 00 01 665544332211 03 020106 c4');
  const d = decodeEvent(b);
  assert.ok(d.name === 'LE_Advertising_Report');
  assert.deepEqual(d.params.reports, [
    { eventType: 0, addressType: 1, address: '11:22:33:44:55:66', data: hex('020106'), rssi: -60 },
  ]);
  assert.deepEqual(buildEvent('LE_Advertising_Report', d.params), b);
});

test('LE Long Term Key Request, Data Length Change, Connection Update Complete', () => {
  const ltk = hex('04 3e 0d 05 4000 0102030405060708 3412');
  const d = decodeEvent(ltk);
  assert.ok(d.name === 'LE_Long_Term_Key_Request');
  assert.equal(d.params.encryptedDiversifier, 0x1234);
  assert.deepEqual(d.params.randomNumber, hex('0102030405060708'));
  assert.deepEqual(buildEvent('LE_Long_Term_Key_Request', d.params), ltk);
  const dl = decodeEvent(hex('04 3e 0b 07 4000 fb00 4808 fb00 4808'));
  assert.ok(dl.name === 'LE_Data_Length_Change');
  assert.equal(dl.params.maxTxOctets, 251);
  const cu = decodeEvent(hex('04 3e 0a 03 00 4000 1800 0000 4800'));
  assert.ok(cu.name === 'LE_Connection_Update_Complete');
  assert.equal(cu.params.supervisionTimeout, 0x48);
});

test('unknown events and commands keep raw bytes', () => {
  const d = decodeEvent(hex('04 3e 02 7f aa'));
  assert.equal(d.name, undefined);
  assert.equal(d.subevent, 0x7f);
  const c = parseCommand(hex('01 ff fc 01 aa'));
  assert.equal(c.name, undefined);
});

test('ACL header: handle, PB, BC, length', () => {
  const b = encodeAcl(0x40, 0b10, 0, hex('0500 0400 0a0100 ff'));
  assert.deepEqual(b.subarray(0, 5), hex('02 4020 0800'));
  const p = decodePacket(b);
  assert.deepEqual(p, { type: 'acl', handle: 0x40, pb: 2, bc: 0, data: hex('0500 0400 0a0100 ff') });
});

test('short or malformed input gives typed errors', () => {
  assert.throws(() => decodeEvent(hex('04 05 04 00 40')), (e: unknown) => e instanceof HciError && e.code === 'TRUNCATED');
  assert.throws(() => decodeEvent(hex('04 05 01 00')), (e: unknown) => e instanceof HciError && e.code === 'TRUNCATED');
  assert.throws(() => decodePacket(hex('09 00')), (e: unknown) => e instanceof HciError && e.code === 'UNKNOWN_PACKET_TYPE');
  assert.throws(() => parseCommand(hex('01 06 20 01 00')), (e: unknown) => e instanceof HciError && e.code === 'TRUNCATED');
  assert.throws(
    () => buildCommand('HCI_Disconnect', { connectionHandle: 0x10000, reason: 0x13 }),
    (e: unknown) => e instanceof HciError && e.code === 'INVALID_PARAMETER',
  );
});

test('address helpers are little-endian on the wire', () => {
  assert.deepEqual(addressToBytes('AA:BB:CC:DD:EE:FF'), hex('ffeeddccbbaa'));
  assert.equal(addressFromBytes(hex('ffeeddccbbaa')), 'AA:BB:CC:DD:EE:FF');
  assert.throws(() => addressToBytes('AA:BB'), (e: unknown) => e instanceof HciError && e.code === 'INVALID_PARAMETER');
});
