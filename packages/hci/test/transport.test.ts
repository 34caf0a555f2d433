import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { DEFAULT_SIM_PORT, HciError, HciHost, UsbPacketAccumulator, openTransport, parseTransportUri, buildEvent } from '../src/index.js';

test('transport URIs parse, bad ones are BAD_URI', () => {
  assert.deepEqual(parseTransportUri('sim'), { kind: 'tcp', host: '127.0.0.1', port: DEFAULT_SIM_PORT });
  assert.deepEqual(parseTransportUri('tcp:localhost:9000'), { kind: 'tcp', host: 'localhost', port: 9000 });
  assert.deepEqual(parseTransportUri('tcp:[::1]:9000'), { kind: 'tcp', host: '::1', port: 9000 });
  assert.deepEqual(parseTransportUri('unix:/tmp/hci.sock'), { kind: 'unix', path: '/tmp/hci.sock' });
  assert.deepEqual(parseTransportUri('hci1'), { kind: 'hci', index: 1 });
  assert.deepEqual(parseTransportUri('usb:0a12:0001'), { kind: 'usb', vendorId: 0x0a12, productId: 0x0001 });
  assert.deepEqual(parseTransportUri('serial:/dev/ttyUSB0@115200'), { kind: 'serial', path: '/dev/ttyUSB0', baudRate: 115200 });
  assert.deepEqual(parseTransportUri('serial:/dev/ttyACM0'), { kind: 'serial', path: '/dev/ttyACM0', baudRate: 1_000_000 });
  for (const bad of ['', 'tcp:host', 'tcp::80', 'tcp:h:99999', 'usb:xyz', 'bogus:1', 'hci', 'serial:']) {
    assert.throws(() => parseTransportUri(bad), (e: unknown) => e instanceof HciError && e.code === 'BAD_URI', bad);
  }
});

test('hci0 on a kernel without AF_BLUETOOTH is a clear NO_BLUETOOTH error', async () => {
  await assert.rejects(openTransport('hci0'), (e: unknown) => e instanceof HciError && e.code === 'NO_BLUETOOTH' && /no Bluetooth in this kernel/.test(e.message));
});

test('usb: with no such device is a typed error', async () => {
  // The usb package loads here (WebUSB API) but the machine has no USB bus: a TRANSPORT error, not a crash.
  await assert.rejects(openTransport('usb:ffff:fffe'), (e: unknown) => e instanceof HciError && e.code === 'TRANSPORT' && /usb:ffff:fffe/.test(e.message));
});

test('tcp: refused connection is a typed TRANSPORT error', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  await assert.rejects(openTransport(`tcp:127.0.0.1:${port}`), (e: unknown) => e instanceof HciError && e.code === 'TRANSPORT');
});

test('tcp: garbage from the far end is reported as a typed error and valid packets still arrive', async (t) => {
  const sockets = new Set<import('node:net').Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.write(Buffer.concat([Buffer.from([0x99, 0x98]), buildEvent('Hardware_Error', { hardwareCode: 7 })]));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  // server.close() waits for open connections: end ours even when the test failed half-way
  t.after(() => new Promise<void>((r) => (srv.close(() => r()), sockets.forEach((s) => s.destroy()))));
  const port = (srv.address() as { port: number }).port;
  const tr = await openTransport(`tcp:127.0.0.1:${port}`);
  t.after(() => tr.close());
  const errors: HciError[] = [];
  tr.on('error', (e) => errors.push(e));
  const host = new HciHost(tr);
  const hostErrors: HciError[] = [];
  host.on('error', (e) => hostErrors.push(e));
  await new Promise<void>((resolve) => host.once('event', () => resolve()));
  await host.close();
  assert.equal(errors[0]?.code, 'UNKNOWN_PACKET_TYPE');
  assert.match(hostErrors[0]?.message ?? '', /hardware error 0x7/);
});

test('USB endpoint data split across transfers is rebuilt into whole H4 packets', () => {
  const events = new UsbPacketAccumulator(0x04, 2, (b) => b[1]);
  const ev = buildEvent('Disconnection_Complete', { status: 0, connectionHandle: 1, reason: 0x13 });
  const body = ev.subarray(1); // USB carries no H4 indicator
  const twice = Buffer.concat([body, body]);
  const out = [...events.push(twice.subarray(0, 3)), ...events.push(twice.subarray(3, 9)), ...events.push(twice.subarray(9))];
  assert.deepEqual(out, [ev, ev]);
  const acl = new UsbPacketAccumulator(0x02, 4, (b) => b.readUInt16LE(2));
  const aclPkt = Buffer.from('0240200500aabbccddee', 'hex');
  assert.deepEqual([...acl.push(aclPkt.subarray(1, 4)), ...acl.push(aclPkt.subarray(4))], [aclPkt]);
});
