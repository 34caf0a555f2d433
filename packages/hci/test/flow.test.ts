import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AclFlow,
  CommandQueue,
  HciError,
  HciHost,
  HciStatus,
  Opcode,
  buildCommand,
  buildCommandComplete,
  buildCommandCompleteRaw,
  buildCommandStatus,
  buildEvent,
  decodePacket,
  type CommandName,
} from '../src/index.js';
import { FakeController, settle } from './helpers/fake-controller.js';

const cc = (numHciCommandPackets: number, name: CommandName) =>
  buildEvent('Command_Complete', { numHciCommandPackets, commandOpcode: Opcode[name], returnParameters: Buffer.from([0]) });

test('command queue: one command in flight until the controller grants more', async () => {
  const q = new CommandQueue(1000);
  const results: string[] = [];
  for (const n of ['HCI_Reset', 'HCI_LE_Set_Advertising_Enable', 'HCI_LE_Set_Scan_Enable'] as const) {
    q.submit(Opcode[n], buildCommand('HCI_Reset', {})).then(() => results.push(n));
  }
  assert.equal(q.drain(0).length, 1, 'one credit before the first event');
  assert.equal(q.drain(0).length, 0);
  // Command Complete for Reset granting 0 credits: nothing more may go out.
  const ev = decodePacket(cc(0, 'HCI_Reset'));
  assert.ok(ev.type === 'event');
  q.onEvent(ev.code, ev.params);
  assert.equal(q.drain(1).length, 0, 'Num_HCI_Command_Packets = 0 blocks');
  // HCI_NOP (opcode 0) returns credits.
  const nop = decodePacket(buildCommandCompleteRaw(0, Buffer.alloc(0), 2));
  assert.ok(nop.type === 'event');
  q.onEvent(nop.code, nop.params);
  assert.equal(q.drain(2).length, 2, 'two credits: both queued commands go');
  await settle();
  assert.deepEqual(results, ['HCI_Reset']);
});

test('command queue: timeout rejects with COMMAND_TIMEOUT and frees the queue', async () => {
  const q = new CommandQueue(1000);
  const p1 = q.submit(Opcode.HCI_Reset, buildCommand('HCI_Reset', {}));
  const p2 = q.submit(Opcode.HCI_Read_BD_ADDR, buildCommand('HCI_Read_BD_ADDR', {}));
  assert.equal(q.drain(0).length, 1);
  assert.equal(q.nextDeadline(), 1000);
  q.tick(999);
  assert.equal(q.outstanding, 1);
  q.tick(1000);
  await assert.rejects(p1, (e: unknown) => e instanceof HciError && e.code === 'COMMAND_TIMEOUT');
  assert.equal(q.drain(1000).length, 1, 'the next command goes out after the timeout');
  q.close(new HciError('CLOSED', 'bye'));
  await assert.rejects(p2, (e: unknown) => e instanceof HciError && e.code === 'CLOSED');
});

test('command queue: failure status gives COMMAND_FAILED with the HCI status and its name', async () => {
  const q = new CommandQueue();
  const p = q.submit(Opcode.HCI_LE_Create_Connection, Buffer.alloc(4));
  q.drain(0);
  const ev = decodePacket(buildCommandStatus(Opcode.HCI_LE_Create_Connection, HciStatus.Command_Disallowed));
  assert.ok(ev.type === 'event');
  q.onEvent(ev.code, ev.params);
  await assert.rejects(p, (e: unknown) => e instanceof HciError && e.code === 'COMMAND_FAILED' && e.status === 0x0c && /Command Disallowed/.test(e.message));
});

test('ACL flow: fragments to the buffer size with PB 0b00 then 0b01, never more than the free buffers', async () => {
  const f = new AclFlow();
  f.setBuffers(10, 2);
  const pdu = Buffer.alloc(35, 1);
  let sent = false;
  const done = f.send(0x40, pdu).then(() => (sent = true));
  const first = f.drain().map((p) => decodePacket(p));
  assert.equal(first.length, 2);
  assert.deepEqual(first.map((p) => p.type === 'acl' && p.pb), [0b00, 0b01]);
  assert.equal(f.drain().length, 0, 'no free buffers');
  f.completed(0x40, 1);
  assert.equal(f.drain().length, 1);
  f.completed(0x40, 2);
  const last = f.drain().map((p) => decodePacket(p));
  assert.equal(last.length, 1);
  assert.ok(last[0].type === 'acl' && last[0].data.length === 5);
  await done;
  assert.ok(sent);
  assert.equal(f.bufferSize.free, 1);
});

test('ACL flow: connections share buffers round-robin; a disconnect frees its buffers', async () => {
  const f = new AclFlow();
  f.setBuffers(4, 3);
  const a = f.send(1, Buffer.alloc(12));
  const b = f.send(2, Buffer.alloc(8));
  const out = f.drain().map((p) => decodePacket(p));
  assert.deepEqual(out.map((p) => p.type === 'acl' && p.handle), [1, 2, 1]);
  f.disconnected(1, new HciError('DISCONNECTED', 'gone'));
  await assert.rejects(a, (e: unknown) => e instanceof HciError && e.code === 'DISCONNECTED');
  assert.equal(f.bufferSize.free, 2, 'handle 1 buffers returned');
  assert.equal(f.drain().length, 1);
  await b;
  f.completed(2, 99); // over-reporting is clamped
  assert.equal(f.bufferSize.free, 3);
});

function initAnswers(overrides: Partial<Record<CommandName, Buffer>>) {
  return (cmd: { name: string | undefined; opcode: number }) => {
    const o = overrides[cmd.name as CommandName];
    if (o) return [o];
    switch (cmd.name) {
      case 'HCI_Read_Local_Version_Information':
        return [buildCommandComplete('HCI_Read_Local_Version_Information', { status: 0, hciVersion: 9, hciSubversion: 1, lmpVersion: 9, companyIdentifier: 0xffff, lmpSubversion: 1 })];
      case 'HCI_Read_BD_ADDR':
        return [buildCommandComplete('HCI_Read_BD_ADDR', { status: 0, bdAddr: '00:11:22:33:44:55' })];
      case 'HCI_Read_Local_Supported_Commands':
        return [buildCommandComplete('HCI_Read_Local_Supported_Commands', { status: 0, supportedCommands: Buffer.alloc(64, 0xff) })];
      case 'HCI_Read_Local_Supported_Features':
        return [buildCommandComplete('HCI_Read_Local_Supported_Features', { status: 0, lmpFeatures: Buffer.alloc(8) })];
      case 'HCI_LE_Read_Local_Supported_Features':
        return [buildCommandComplete('HCI_LE_Read_Local_Supported_Features', { status: 0, leFeatures: Buffer.alloc(8) })];
      case 'HCI_Read_Buffer_Size':
        return [buildCommandComplete('HCI_Read_Buffer_Size', { status: 0, aclDataPacketLength: 1021, synchronousDataPacketLength: 0, totalNumAclDataPackets: 6, totalNumSynchronousDataPackets: 0 })];
      default:
        return [buildCommandCompleteRaw(cmd.opcode, Buffer.from([0]))];
    }
  };
}

test('init: LE Read Buffer Size v2 unknown -> v1 reports 0 -> shared Read Buffer Size', async (t) => {
  const fake = new FakeController(
    initAnswers({
      HCI_LE_Read_Buffer_Size_v2: buildCommandCompleteRaw(Opcode.HCI_LE_Read_Buffer_Size_v2, Buffer.from([HciStatus.Unknown_HCI_Command])),
      HCI_LE_Read_Buffer_Size: buildCommandComplete('HCI_LE_Read_Buffer_Size', { status: 0, leAclDataPacketLength: 0, totalNumLeAclDataPackets: 0 }),
    }),
  );
  const host = new HciHost(fake.host);
  t.after(() => host.close());
  const info = await host.init();
  assert.deepEqual(info.aclBuffers, { maxLength: 1021, total: 6, source: 'Read_Buffer_Size' });
  const order = fake.received.map((c) => c.name);
  assert.deepEqual(order.slice(0, 3), ['HCI_Reset', 'HCI_Read_Local_Version_Information', 'HCI_Read_BD_ADDR']);
  assert.ok(order.indexOf('HCI_LE_Read_Buffer_Size_v2') < order.indexOf('HCI_LE_Read_Buffer_Size'));
  assert.ok(order.indexOf('HCI_LE_Read_Buffer_Size') < order.indexOf('HCI_Read_Buffer_Size'));
  assert.equal(order.at(-1), 'HCI_LE_Set_Random_Address');
});

test('init: v2 answers -> its sizes are used and v1 is not asked', async (t) => {
  const fake = new FakeController(
    initAnswers({
      HCI_LE_Read_Buffer_Size_v2: buildCommandComplete('HCI_LE_Read_Buffer_Size_v2', { status: 0, leAclDataPacketLength: 251, totalNumLeAclDataPackets: 4, isoDataPacketLength: 0, totalNumIsoDataPackets: 0 }),
    }),
  );
  const host = new HciHost(fake.host);
  t.after(() => host.close());
  const info = await host.init();
  assert.deepEqual(info.aclBuffers, { maxLength: 251, total: 4, source: 'LE_Read_Buffer_Size_v2' });
  assert.ok(!fake.received.some((c) => c.name === 'HCI_LE_Read_Buffer_Size'));
});

test('host: controller that never answers -> COMMAND_TIMEOUT, host stays usable', async (t) => {
  let silent = true;
  const fake = new FakeController((cmd) => (silent ? [] : [buildCommandCompleteRaw(cmd.opcode, Buffer.from([0]))]));
  const host = new HciHost(fake.host, { commandTimeoutMs: 50 });
  t.after(() => host.close());
  await assert.rejects(host.command('HCI_Reset', {}), (e: unknown) => e instanceof HciError && e.code === 'COMMAND_TIMEOUT');
  silent = false;
  await host.command('HCI_Reset', {});
});

test('host: command with AbortSignal rejects ABORTED; closing rejects pending with CLOSED', async () => {
  const fake = new FakeController(() => []);
  const host = new HciHost(fake.host, { commandTimeoutMs: 10_000 });
  const ac = new AbortController();
  const p = host.command('HCI_Reset', {}, { signal: ac.signal });
  ac.abort();
  await assert.rejects(p, (e: unknown) => e instanceof HciError && e.code === 'ABORTED');
  const q = host.command('HCI_Read_BD_ADDR', {});
  await host.close();
  await assert.rejects(q, (e: unknown) => e instanceof HciError && e.code === 'CLOSED');
  assert.equal(fake.host.closed, true);
});

test('host: ACL to the controller waits for Number Of Completed Packets', async (t) => {
  const fake = new FakeController(
    initAnswers({
      HCI_LE_Read_Buffer_Size_v2: buildCommandComplete('HCI_LE_Read_Buffer_Size_v2', { status: 0, leAclDataPacketLength: 27, totalNumLeAclDataPackets: 2, isoDataPacketLength: 0, totalNumIsoDataPackets: 0 }),
    }),
  );
  const host = new HciHost(fake.host);
  t.after(() => host.close());
  await host.init();
  fake.send(
    buildEvent('LE_Connection_Complete', {
      status: 0, connectionHandle: 0x40, role: 0, peerAddressType: 1, peerAddress: 'C1:00:00:00:00:01',
      connectionInterval: 24, peripheralLatency: 0, supervisionTimeout: 400, centralClockAccuracy: 0,
    }),
  );
  await settle();
  const conn = host.connections.get(0x40)!;
  assert.ok(conn);
  const sent = conn.sendFixed(0x0004, Buffer.alloc(100, 9)); // 104 bytes -> 4 fragments of <= 27
  await settle();
  assert.equal(fake.acl.length, 2, 'only two buffers');
  fake.send(buildEvent('Number_Of_Completed_Packets', { handles: [{ connectionHandle: 0x40, numCompletedPackets: 2 }] }));
  await settle();
  assert.equal(fake.acl.length, 4);
  await sent;
  const pbs = fake.acl.map((p) => (p.readUInt16LE(1) >> 12) & 3);
  assert.deepEqual(pbs, [0, 1, 1, 1]);
  const payload = Buffer.concat(fake.acl.map((p) => p.subarray(5)));
  assert.equal(payload.readUInt16LE(0), 100);
  assert.equal(payload.readUInt16LE(2), 0x0004);
});
