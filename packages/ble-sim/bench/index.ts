// ble-sim figures: controller event rate, raw ACL forwarding, discovery (legacy vs extended) and LE credit-based channel
// throughput between two @pairkit/hci hosts (in-process and over H4/TCP). Prints, never asserts.
import { performance } from 'node:perf_hooks';
import { HciHost, fromPacketPort, type HciConnection, type L2capChannel } from '@pairkit/hci';
import { SimAir, SimServer, SimTransport, type SimController } from '../src/index.js';

const MB = 1024 * 1024;

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(64)} ${value}\n`);
}

/** Commands straight into one controller (sans-IO, no transport): events out per second. */
function controllerEventRate(): void {
  const air = new SimAir();
  const c = air.createController();
  let events = 0;
  c.on('packet', () => events++);
  const cmds = [Buffer.from('01092000', 'hex'), Buffer.from('01182000', 'hex'), Buffer.from('01011000', 'hex')];
  const n = 300_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) c.receive(cmds[i % 3]);
  const s = (performance.now() - t0) / 1000;
  line('controller alone: commands answered (events/s)', `${Math.round(events / s).toLocaleString('en-US')}`);
  air.close();
}

/** 251-octet ACL packets from one controller to another, credits respected by the sender. */
function rawAclRate(): void {
  const air = new SimAir();
  const a = air.createController({ totalNumAclDataPackets: 8 });
  const b = air.createController();
  const le = Buffer.from('01010c08ffffffffffffff3f', 'hex');
  a.receive(le);
  b.receive(le);
  let aHandle = -1;
  a.on('packet', (p) => {
    if (p[0] === 0x04 && p[1] === 0x3e && p[3] === 0x01) aHandle = p.readUInt16LE(5);
  });
  b.receive(Buffer.from('0106200f200020000000000000000000000700', 'hex'));
  b.receive(Buffer.from('010a200101', 'hex'));
  const cc = Buffer.alloc(29);
  cc.set([0x01, 0x0d, 0x20, 25]);
  cc.writeUInt16LE(16, 4);
  cc.writeUInt16LE(16, 6);
  b.publicAddress.copy(cc, 10);
  cc.writeUInt16LE(6, 17);
  cc.writeUInt16LE(6, 19);
  cc.writeUInt16LE(400, 23);
  a.receive(cc);
  let bytes = 0;
  b.on('packet', (p) => {
    if (p[0] === 0x02) bytes += p.length - 5;
  });
  const pkt = Buffer.alloc(256);
  pkt[0] = 0x02;
  pkt.writeUInt16LE(aHandle | (0b10 << 12), 1);
  pkt.writeUInt16LE(251, 3);
  const n = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) a.receive(pkt); // delay 0: each packet completes at once, credits return
  const s = (performance.now() - t0) / 1000;
  line('raw ACL forwarding, 251-octet packets (MB/s)', (bytes / MB / s).toFixed(1));
  air.close();
}

async function link(a: HciHost, b: HciHost): Promise<HciConnection> {
  const name = `bench-${Math.random().toString(16).slice(2, 8)}`;
  await a.startAdvertising({ data: { flags: 0x06, completeLocalName: name } });
  const accepted = a.accept();
  const seen = await b.scanFor((r) => r.ad?.completeLocalName === name, { timeoutMs: 5000 });
  const central = await b.connect(seen.address, { addressType: seen.addressType });
  await accepted;
  return central;
}

/** Moves `size` bytes from the central to the peripheral over a CoC; returns MB/s. */
async function cocThroughput(a: HciHost, b: HciHost, size: number): Promise<number> {
  const psm = 0x80 + Math.floor(Math.random() * 0x70);
  const serverSide = new Promise<L2capChannel>((resolve) => a.listen(psm, (ch) => resolve(ch), { mtu: 4096, mps: 247, initialCredits: 16 }));
  const central = await link(a, b);
  const client = await central.openChannel(psm, { mtu: 4096, mps: 247, initialCredits: 16 });
  const server = await serverSide;
  const data = Buffer.alloc(size, 0x5a);
  const t0 = performance.now();
  const drain = (async () => {
    let got = 0;
    for await (const sdu of server) {
      got += sdu.length;
      if (got >= size) break;
    }
  })();
  for (let off = 0; off < size; off += client.peerMtu) await client.write(data.subarray(off, off + client.peerMtu));
  await drain;
  const s = (performance.now() - t0) / 1000;
  await central.disconnect();
  return size / MB / s;
}

async function inProcess(delayMs: number, size: number, acl: { aclDataPacketLength: number; totalNumAclDataPackets: number }): Promise<number> {
  const air = new SimAir({ delayMs });
  const open = async (c: SimController): Promise<HciHost> => {
    const h = new HciHost(fromPacketPort(new SimTransport(c)));
    await h.init();
    return h;
  };
  const a = await open(air.createController(acl));
  const b = await open(air.createController(acl));
  try {
    return await cocThroughput(a, b, size);
  } finally {
    await a.close();
    await b.close();
    air.close();
  }
}

async function overTcp(size: number): Promise<number> {
  const air = new SimAir();
  const server = new SimServer(air, { controller: { aclDataPacketLength: 251, totalNumAclDataPackets: 8 } });
  const { port } = await server.listen(0);
  const a = await HciHost.open(`tcp:127.0.0.1:${port}`);
  const b = await HciHost.open(`tcp:127.0.0.1:${port}`);
  try {
    return await cocThroughput(a, b, size);
  } finally {
    await a.close();
    await b.close();
    await server.close();
    air.close();
  }
}

controllerEventRate();
rawAclRate();
/** Advertise-to-found time (ms, median) of our hosts: legacy PDUs vs a 1,000-octet extended advertisement. */
async function discovery(legacyAdvertising: boolean, bytes: number): Promise<number> {
  const air = new SimAir();
  const open = async () => {
    const h = new HciHost(fromPacketPort(new SimTransport(air.createController())), { legacyAdvertising });
    await h.init();
    return h;
  };
  const a = await open();
  const b = await open();
  const data = Buffer.alloc(bytes); // zero padding: valid, empty AD of the wanted size
  const times: number[] = [];
  try {
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      await a.startAdvertising({ data, type: 0x03 });
      await b.scanFor((r) => r.address === a.address && r.data.length === bytes, { timeoutMs: 10_000 });
      times.push(performance.now() - t0);
      await a.stopAdvertising();
    }
  } finally {
    await a.close();
    await b.close();
    air.close();
  }
  return times.sort((x, y) => x - y)[10];
}

line('advertise + scan until found, legacy commands, 31-octet AD (ms, median of 21)', (await discovery(true, 31)).toFixed(2));
line('advertise + scan until found, extended, 1,000-octet AD in 5 reports (ms, median of 21)', (await discovery(false, 1000)).toFixed(2));

const big = { aclDataPacketLength: 251, totalNumAclDataPackets: 8 };
const small = { aclDataPacketLength: 27, totalNumAclDataPackets: 4 };
line('CoC in-process, 251 x 8 buffers, no delay, 8 MB (MB/s)', (await inProcess(0, 8 * MB, big)).toFixed(2));
line('CoC in-process, 27 x 4 buffers, no delay, 2 MB (MB/s)', (await inProcess(0, 2 * MB, small)).toFixed(2));
line('CoC over H4/TCP loopback, 251 x 8 buffers, 8 MB (MB/s)', (await overTcp(8 * MB)).toFixed(2));
line('CoC in-process, 251 x 8, 7.5 ms interval delay, 256 KB (MB/s)', (await inProcess(7.5, 256 * 1024, big)).toFixed(3));
