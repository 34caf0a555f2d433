// The independent npm `ble-host` stack runs on ble-sim controllers: in-process and over TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { SimAir, SimServer, SimTransport, H4Deframer } from '../src/index.js';
import { advertise, connect, createManager, scanFor, type BleConnection } from './helpers/ble-host.js';

/** Move `size` bytes from a to b over an L2CAP CoC opened by ble-host; resolves with what b got. */
async function cocTransfer(server: BleConnection, client: BleConnection, size: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let total = 0;
  const done = new Promise<Buffer>((resolve) => {
    server.l2capCoCManager.registerLePsm(0x80, (_txMtu: number, cb: (r: number, paused: boolean, mtu: number) => EventEmitter) => {
      const coc = cb(0, false, 1024);
      coc.on('data', (d: Buffer) => {
        got.push(d);
        total += d.length;
        if (total >= size) resolve(Buffer.concat(got));
      });
    });
  });
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 7) & 0xff;
  await new Promise<void>((resolve, reject) => {
    client.l2capCoCManager.connect(0x80, false, 1024, (result: number, coc: { send(b: Buffer): void; txMtu: number }) => {
      if (result !== 0) return reject(new Error(`CoC connect result ${result}`));
      for (let off = 0; off < size; off += coc.txMtu) coc.send(payload.subarray(off, off + coc.txMtu));
      resolve();
    });
  });
  const received = await done;
  assert.deepEqual(received, payload);
  return received;
}

test('ble-host initialises, advertises and is connected to by a second ble-host (in-process)', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const pt = new SimTransport(air.createController({ aclDataPacketLength: 27 }));
  const ct = new SimTransport(air.createController());
  const [peripheral, central] = await Promise.all([createManager(pt), createManager(ct)]);

  const adv = advertise(peripheral, 'sim-peripheral');
  await adv.started;
  const found = await scanFor(central, 'sim-peripheral', AbortSignal.timeout(10_000));
  assert.equal(found.type, 'public');
  assert.equal(found.address, pt.controller.address);

  const [cConn, pConn] = await Promise.all([connect(central, found.type, found.address), adv.connected]);
  assert.equal(cConn.peerAddress, pt.controller.address);
  assert.equal(pConn.peerAddress, ct.controller.address);
  assert.equal(pt.controller.isAdvertising, false, 'legacy advertising stops on connection');

  // Real L2CAP traffic both ways: the peripheral's 27-octet buffers force re-fragmentation.
  await cocTransfer(pConn, cConn, 20_000);
  await cocTransfer(cConn, pConn, 20_000);

  const reasons = await new Promise<[number, number]>((resolve) => {
    const r: number[] = [-1, -1];
    const check = (): void => void (r[0] >= 0 && r[1] >= 0 && resolve([r[0], r[1]]));
    cConn.on('disconnect', (reason: number) => ((r[0] = reason), check()));
    pConn.on('disconnect', (reason: number) => ((r[1] = reason), check()));
    cConn.disconnect();
  });
  assert.deepEqual(reasons, [0x16, 0x13], 'local host sees 0x16, remote sees the reason sent (0x13)');
});

/** A ble-host transport over TCP: H4 stream in, one 'data' event per whole packet out. */
class TcpH4 extends EventEmitter {
  private readonly deframer = new H4Deframer();
  constructor(readonly socket: Socket) {
    super();
    // The host side receives events and ACL; H4Deframer frames both directions.
    socket.on('data', (chunk) => {
      for (const p of this.deframer.push(chunk)) this.emit('data', p);
    });
    socket.on('close', () => this.emit('close'));
  }
  write(b: Buffer): void {
    this.socket.write(b);
  }
}

async function dial(port: number): Promise<TcpH4> {
  const s = tcpConnect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  return new TcpH4(s);
}

test('ble-host over H4/TCP: two clients of one SimServer connect to each other (with a radio delay)', async (t) => {
  const air = new SimAir({ delayMs: 2 });
  const server = new SimServer(air);
  const { port } = await server.listen(0);
  const a = await dial(port);
  const b = await dial(port);
  t.after(async () => {
    a.socket.destroy();
    b.socket.destroy();
    await server.close();
    air.close();
  });
  const [peripheral, central] = await Promise.all([createManager(a), createManager(b)]);
  const adv = advertise(peripheral, 'tcp-peripheral');
  await adv.started;
  const found = await scanFor(central, 'tcp-peripheral', AbortSignal.timeout(10_000));
  const [cConn, pConn] = await Promise.all([connect(central, found.type, found.address), adv.connected]);
  assert.equal(server.clientCount, 2);
  await cocTransfer(cConn, pConn, 8_000);
  const reason = await new Promise<number>((resolve) => {
    cConn.on('disconnect', resolve);
    a.socket.destroy(); // the peripheral's controller vanishes: the central sees a supervision timeout
  });
  assert.equal(reason, 0x08);
});
