// SimServer: H4 over TCP, one controller per accepted connection, all on one air.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { H4Deframer, SimAir, SimServer, type SimController, type SimError } from '../src/index.js';

/** A raw H4 client: write bytes, read whole packets. */
class Client {
  private readonly deframer = new H4Deframer();
  private readonly packets: Buffer[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  constructor(readonly socket: Socket) {
    socket.on('data', (c) => {
      this.packets.push(...this.deframer.push(c));
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static async open(port: number): Promise<Client> {
    const s = connect({ host: '127.0.0.1', port });
    await once(s, 'connect');
    return new Client(s);
  }
  /** Sends a command; resolves with the first event matching `pred`. */
  async until(pred: (p: Buffer) => boolean, signal = AbortSignal.timeout(5000)): Promise<Buffer> {
    for (;;) {
      const i = this.packets.findIndex(pred);
      if (i >= 0) return this.packets.splice(i, 1)[0];
      if (this.closed) throw new Error('closed');
      signal.throwIfAborted();
      await new Promise<void>((r) => {
        this.waiters.push(r);
        signal.addEventListener('abort', () => r(), { once: true });
      });
    }
  }
  cmd(opcode: number, params: number[] = []): Buffer {
    return Buffer.from([0x01, opcode & 0xff, opcode >> 8, params.length, ...params]);
  }
  commandComplete(opcode: number): Promise<Buffer> {
    return this.until((p) => p[0] === 0x04 && p[1] === 0x0e && p.readUInt16LE(4) === opcode);
  }
}

async function serve(t: { after(fn: () => unknown): void }): Promise<{ air: SimAir; server: SimServer; port: number; controllers: SimController[] }> {
  const air = new SimAir();
  const server = new SimServer(air);
  const controllers: SimController[] = [];
  server.on('client', (c) => controllers.push(c));
  const { port } = await server.listen(0);
  t.after(async () => {
    await server.close();
    air.close();
  });
  return { air, server, port, controllers };
}

test('each TCP client is its own controller; split and merged H4 packets are framed', async (t) => {
  const { port, controllers } = await serve(t);
  const a = await Client.open(port);
  const b = await Client.open(port);
  t.after(() => (a.socket.destroy(), b.socket.destroy()));
  // Two commands in one write, then one command split byte by byte.
  a.socket.write(Buffer.concat([a.cmd(0x0c03), a.cmd(0x1009)]));
  assert.equal((await a.commandComplete(0x0c03))[6], 0);
  const bdA = (await a.commandComplete(0x1009)).subarray(7, 13);
  for (const byte of b.cmd(0x1009)) b.socket.write(Buffer.from([byte]));
  const bdB = (await b.commandComplete(0x1009)).subarray(7, 13);
  assert.notDeepEqual(bdA, bdB, 'two controllers, two addresses');
  assert.equal(controllers.length, 2);
  assert.deepEqual(bdA, controllers[0].publicAddress);
});

test('two clients see each other on the air: advertising report and connection', async (t) => {
  const { port } = await serve(t);
  const adv = await Client.open(port);
  const scan = await Client.open(port);
  t.after(() => (adv.socket.destroy(), scan.socket.destroy()));
  const leMeta = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f];
  for (const c of [adv, scan]) {
    c.socket.write(c.cmd(0x0c01, leMeta));
    await c.commandComplete(0x0c01);
  }
  adv.socket.write(adv.cmd(0x1009));
  const addr = [...(await adv.commandComplete(0x1009)).subarray(7, 13)];
  adv.socket.write(adv.cmd(0x2006, [0x20, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0]));
  adv.socket.write(adv.cmd(0x200a, [1]));
  await adv.commandComplete(0x200a);
  scan.socket.write(scan.cmd(0x200c, [1, 1]));
  const report = await scan.until((p) => p[1] === 0x3e && p[3] === 0x02);
  assert.deepEqual([...report.subarray(7, 13)], addr);
  scan.socket.write(scan.cmd(0x200c, [0, 0]));
  scan.socket.write(scan.cmd(0x200d, [16, 0, 16, 0, 0, 0, ...addr, 0, 24, 0, 40, 0, 0, 0, 0x90, 1, 0, 0, 0, 0]));
  const [cc, pc] = await Promise.all([
    scan.until((p) => p[1] === 0x3e && p[3] === 0x01),
    adv.until((p) => p[1] === 0x3e && p[3] === 0x01),
  ]);
  assert.equal(cc[4], 0, 'central status');
  assert.equal(cc[7], 0, 'central role');
  assert.equal(pc[7], 1, 'peripheral role');
});

test('a client sending garbage is dropped; the others carry on', async (t) => {
  const { server, port } = await serve(t);
  const good = await Client.open(port);
  const bad = await Client.open(port);
  t.after(() => (good.socket.destroy(), bad.socket.destroy()));
  const dropped = once(server, 'clientClosed') as Promise<[SimController, SimError | undefined]>;
  bad.socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  const [, err] = await dropped;
  assert.equal(err?.code, 'UNKNOWN_PACKET_TYPE');
  await once(bad.socket, 'close');
  good.socket.write(good.cmd(0x0c03));
  assert.equal((await good.commandComplete(0x0c03))[6], 0);
  assert.equal(server.clientCount, 1);
});

test('close() disconnects clients and frees the port', async (t) => {
  const air = new SimAir();
  const server = new SimServer(air);
  const { port } = await server.listen(0);
  t.after(async () => {
    await server.close(); // a no-op when the test got that far
    air.close();
  });
  const c = await Client.open(port);
  const closed = once(c.socket, 'close');
  await server.close();
  await closed;
  air.close();
  await assert.rejects(Client.open(port), /ECONNREFUSED/);
  const again = new SimServer(new SimAir());
  t.after(() => again.close());
  await again.listen(port);
  await again.close();
});

test('listening on a busy port is a typed LISTEN_FAILED error', async (t) => {
  const { port } = await serve(t);
  const other = new SimServer(new SimAir());
  await assert.rejects(other.listen(port), (e: unknown) => (e as SimError).code === 'LISTEN_FAILED');
});
