import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HciConnection,
  decodeL2capPdu,
  decodeSignaling,
  encodeL2capPdu,
  encodeSignaling,
  type ConnectionHost,
  type SignalingCommand,
} from '../src/index.js';

function harness(role: 'central' | 'peripheral', servers: Record<number, { requireEncryption?: boolean }> = {}) {
  const out: SignalingCommand[] = [];
  const commands: { name: string; params: unknown }[] = [];
  const host: ConnectionHost = {
    command: async (name, params) => {
      commands.push({ name, params });
      return undefined;
    },
    sendAcl: async (_h, pdu) => {
      const { cid, payload } = decodeL2capPdu(pdu);
      if (cid === 0x0005) out.push(decodeSignaling(payload));
    },
    psmServer: (psm) => (servers[psm] ? { options: { ...servers[psm], mtu: 200, mps: 50, initialCredits: 3 }, onChannel: () => {} } : undefined),
  };
  const conn = new HciConnection(
    { handle: 1, role, peerAddress: 'C0:00:00:00:00:01', peerAddressType: 1, localAddress: 'C0:00:00:00:00:02', localAddressType: 1, connectionInterval: 24, peripheralLatency: 0, supervisionTimeout: 400 },
    host,
  );
  const feed = (c: Exclude<SignalingCommand, { unknown: true }> | Buffer) =>
    conn.receiveAcl(0b10, encodeL2capPdu(0x0005, Buffer.isBuffer(c) ? c : encodeSignaling(c)));
  return { conn, out, commands, feed, flush: () => new Promise((r) => setImmediate(r)) };
}

test('unknown signaling codes get Command Reject "command not understood" with the same identifier', async () => {
  const h = harness('central');
  h.feed(Buffer.from([0x30, 7, 0, 0]));
  await h.flush();
  assert.deepEqual(h.out, [{ code: 0x01, identifier: 7, reason: 0x0000, data: Buffer.alloc(0) }]);
});

test('central accepts a valid connection parameter update request and issues HCI_LE_Connection_Update', async () => {
  const h = harness('central');
  h.feed({ code: 0x12, identifier: 3, intervalMin: 40, intervalMax: 56, latency: 0, timeout: 500 });
  await h.flush();
  assert.deepEqual(h.out, [{ code: 0x13, identifier: 3, result: 0 }]);
  assert.equal(h.commands[0].name, 'HCI_LE_Connection_Update');
  assert.deepEqual(h.commands[0].params, { connectionHandle: 1, connectionIntervalMin: 40, connectionIntervalMax: 56, maxLatency: 0, supervisionTimeout: 500, minCeLength: 0, maxCeLength: 0 });
});

test('central rejects impossible parameters; a peripheral rejects the request as not understood', async () => {
  const h = harness('central');
  h.feed({ code: 0x12, identifier: 4, intervalMin: 100, intervalMax: 50, latency: 0, timeout: 500 });
  await h.flush();
  assert.deepEqual(h.out, [{ code: 0x13, identifier: 4, result: 1 }]);
  assert.equal(h.commands.length, 0);
  const p = harness('peripheral');
  p.feed({ code: 0x12, identifier: 5, intervalMin: 40, intervalMax: 56, latency: 0, timeout: 500 });
  await p.flush();
  assert.equal(p.out[0].code, 0x01);
});

test('LE credit-based connection requests: unknown PSM, bad source CID, low MTU, security, success, duplicate CID', async () => {
  const h = harness('peripheral', { 0x80: {}, 0x81: { requireEncryption: true } });
  const req = (identifier: number, spsm: number, sourceCid: number, mtu = 100) =>
    h.feed({ code: 0x14, identifier, spsm, sourceCid, mtu, mps: 50, initialCredits: 2 });
  req(1, 0x99, 0x40);
  req(2, 0x80, 0x0001);
  req(3, 0x80, 0x40, 22);
  req(4, 0x81, 0x40);
  req(5, 0x80, 0x40);
  req(6, 0x80, 0x40);
  await h.flush();
  const results = h.out.map((c) => (c.code === 0x15 ? (c as Extract<SignalingCommand, { code: 0x15 }>).result : -1));
  assert.deepEqual(results, [0x0002, 0x0009, 0x000b, 0x0005, 0x0000, 0x000a]);
  const ok = h.out[4] as Extract<SignalingCommand, { code: 0x15 }>;
  assert.deepEqual([ok.destinationCid, ok.mtu, ok.mps, ok.initialCredits], [0x40, 200, 50, 3]);
});

test('disconnection request for an unknown channel gets Command Reject "invalid CID"', async () => {
  const h = harness('central');
  h.feed({ code: 0x06, identifier: 9, destinationCid: 0x55, sourceCid: 0x66 });
  await h.flush();
  assert.equal(h.out[0].code, 0x01);
  assert.equal((h.out[0] as Extract<SignalingCommand, { code: 0x01 }>).reason, 0x0002);
});

test('unhandled ATT requests get "Request Not Supported"; unhandled SMP gets Pairing Failed', async () => {
  const sent: Buffer[] = [];
  const conn = new HciConnection(
    { handle: 1, role: 'central', peerAddress: 'C0:00:00:00:00:01', peerAddressType: 1, localAddress: 'C0:00:00:00:00:02', localAddressType: 1, connectionInterval: 24, peripheralLatency: 0, supervisionTimeout: 400 },
    { command: async () => undefined, sendAcl: async (_h, p) => void sent.push(p), psmServer: () => undefined },
  );
  conn.receiveAcl(0b10, encodeL2capPdu(0x0004, Buffer.from([0x10, 1, 0, 0xff, 0xff, 0x00, 0x28])));
  conn.receiveAcl(0b10, encodeL2capPdu(0x0006, Buffer.from([0x01, 3, 0, 1, 16, 7, 7])));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent.map((p) => decodeL2capPdu(p)), [
    { cid: 4, payload: Buffer.from([0x01, 0x10, 0, 0, 0x06]) },
    { cid: 6, payload: Buffer.from([0x05, 0x05]) },
  ]);
});

test('an SMP PDU that arrives before the app attached its handler (same read as the connection) reaches it, unanswered by the host', async () => {
  const sent: Buffer[] = [];
  const conn = new HciConnection(
    { handle: 1, role: 'central', peerAddress: 'C0:00:00:00:00:01', peerAddressType: 1, localAddress: 'C0:00:00:00:00:02', localAddressType: 1, connectionInterval: 24, peripheralLatency: 0, supervisionTimeout: 400 },
    { command: async () => undefined, sendAcl: async (_h, p) => void sent.push(p), psmServer: () => undefined },
  );
  // A peripheral's Security Request, then (say) a second PDU, before anyone listens.
  conn.receiveAcl(0b10, encodeL2capPdu(0x0006, Buffer.from([0x0b, 0x0d])));
  conn.receiveAcl(0b10, encodeL2capPdu(0x0006, Buffer.from([0x0b, 0x09])));
  const got: Buffer[] = [];
  await Promise.resolve(); // the app attaches after `await connect()`: a microtask later
  conn.setFixedChannelHandler(0x0006, (p) => got.push(Buffer.from(p)));
  conn.receiveAcl(0b10, encodeL2capPdu(0x0006, Buffer.from([0x0b, 0x01])));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, [Buffer.from([0x0b, 0x0d]), Buffer.from([0x0b, 0x09]), Buffer.from([0x0b, 0x01])], 'in arrival order');
  assert.deepEqual(sent, [], 'no Pairing Failed "not supported" for a handler that came late');
});
