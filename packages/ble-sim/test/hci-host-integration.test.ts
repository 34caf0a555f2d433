// Owned by engineer HCI: @pairkit/hci's host (HciHost) end to end on ble-sim controllers.
// It lives here because ble-sim depends on hci (hci cannot depend on ble-sim).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BtsnoopWriter,
  HciError,
  HciHost,
  HciStatus,
  fromPacketPort,
  openTransport,
  readBtsnoop,
  resolvePrivateAddress,
  randomAddressKind,
  type HciConnection,
  type HciTransport,
} from '@pairkit/hci';
import { SimAir, SimServer, SimTransport } from '../src/index.js';
import { advertise as bhAdvertise, createManager, scanFor as bhScanFor, connect as bhConnect } from './helpers/ble-host.js';

type Opts = { aclDataPacketLength?: number; totalNumAclDataPackets?: number };

async function hostOn(air: SimAir, opts: Opts = {}, wrap?: (t: HciTransport) => HciTransport): Promise<HciHost> {
  let t: HciTransport = fromPacketPort(new SimTransport(air.createController(opts)));
  if (wrap) t = wrap(t);
  const host = new HciHost(t);
  await host.init();
  return host;
}

/** A advertises with `name`, B scans for it and connects: returns [central on B, peripheral on A]. */
async function link(a: HciHost, b: HciHost, name = 'pairkit-test'): Promise<[HciConnection, HciConnection]> {
  await a.startAdvertising({ data: { flags: 0x06, completeLocalName: name } });
  const accepted = a.accept();
  const seen = await b.scanFor((r) => r.ad?.completeLocalName === name, { timeoutMs: 5000 });
  assert.equal(seen.address, a.address, 'the report carries the advertiser address');
  const central = await b.connect(seen.address, { addressType: seen.addressType });
  const peripheral = await accepted;
  return [central, peripheral];
}

const pattern = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

test('HciHost initialises on ble-sim (buffer sizes, BD_ADDR, static random address)', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const host = await hostOn(air, { aclDataPacketLength: 64, totalNumAclDataPackets: 3 });
  t.after(() => host.close());
  assert.equal(host.info?.aclBuffers.maxLength, 64);
  assert.equal(host.info?.aclBuffers.total, 3);
  assert.match(host.address, /^[C-F][0-9A-F]:/, 'static random: two top bits set');
  assert.match(host.info!.bdAddr, /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
});

test('two hosts connect; disconnect reasons 0x13 remote and 0x16 local', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  const [central, peripheral] = await link(a, b);
  assert.equal(central.role, 'central');
  assert.equal(peripheral.role, 'peripheral');
  assert.equal(central.info.peerAddress, a.address);
  assert.equal(peripheral.info.peerAddress, b.address);
  const remoteSaw = new Promise<number>((r) => peripheral.once('disconnect', r));
  const local = await central.disconnect(HciStatus.Remote_User_Terminated_Connection);
  assert.equal(local, HciStatus.Connection_Terminated_By_Local_Host);
  assert.equal(await remoteSaw, HciStatus.Remote_User_Terminated_Connection);
  assert.equal(a.connections.size + b.connections.size, 0);
});

test('two hosts move 1 MB each way over an LE credit-based channel', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air, { aclDataPacketLength: 251, totalNumAclDataPackets: 8 });
  const b = await hostOn(air, { aclDataPacketLength: 27, totalNumAclDataPackets: 4 });
  t.after(() => Promise.all([a.close(), b.close()]));
  const serverSide = new Promise<import('@pairkit/hci').L2capChannel>((resolve) => a.listen(0x80, (ch) => resolve(ch), { mtu: 4096, mps: 247, initialCredits: 8 }));
  const [central] = await link(a, b);
  const client = await central.openChannel(0x80, { mtu: 2000, mps: 100, initialCredits: 5 });
  const server = await serverSide;
  assert.equal(client.peerMtu, 4096);
  assert.equal(server.peerMtu, 2000);
  const size = 1 << 20;
  const fromB = pattern(size, 1);
  const fromA = pattern(size, 2);
  const pump = async (ch: typeof client, data: Buffer) => {
    for (let off = 0; off < data.length; off += ch.peerMtu) await ch.write(data.subarray(off, off + ch.peerMtu));
  };
  const drain = async (ch: typeof client, n: number) => {
    const parts: Buffer[] = [];
    let got = 0;
    for await (const sdu of ch) {
      parts.push(sdu);
      got += sdu.length;
      if (got >= n) break;
    }
    return Buffer.concat(parts);
  };
  const [gotAtA, gotAtB] = await Promise.all([drain(server, size), drain(client, size), pump(client, fromB), pump(server, fromA)]);
  assert.ok(gotAtA.equals(fromB), 'A received B\'s megabyte intact');
  assert.ok(gotAtB.equals(fromA), 'B received A\'s megabyte intact');
  const closedAtA = new Promise((r) => server.once('close', r));
  await client.close();
  await closedAtA;
  assert.ok(server.closed);
});

test('an SDU the acceptor sends right after accepting reaches the opener (no setup race)', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  for (let round = 0; round < 5; round++) {
    const psm = 0x83 + round;
    a.listen(psm, (ch) => void ch.write(Buffer.from(`hello ${round}`)));
    const [central] = round === 0 ? await link(a, b) : [centralLink!];
    centralLink = central;
    const client = await central.openChannel(psm);
    const first = await Promise.race([
      client.read(),
      new Promise<'lost'>((r) => setTimeout(() => r('lost'), 5000).unref()),
    ]);
    assert.notEqual(first, 'lost', 'the first SDU was lost');
    assert.equal(first?.toString(), `hello ${round}`);
    await client.close();
  }
});
let centralLink: HciConnection | undefined;

test('LE credit-based connection to an unknown PSM is refused with SPSM not supported', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  const [central] = await link(a, b);
  await assert.rejects(central.openChannel(0x99), (e: unknown) => e instanceof HciError && e.code === 'L2CAP_REFUSED' && e.status === 0x0002);
});

test('encryption: same LTK encrypts both sides; negative reply gives 0x06; different LTKs drop the link with 0x3D', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  const ltk = Buffer.alloc(16, 0x5a);
  const rand = Buffer.from('0102030405060708', 'hex');

  // 1. matching keys
  let [central, peripheral] = await link(a, b, 'enc-ok');
  peripheral.on('ltkRequest', ({ rand: r, ediv }) => {
    assert.deepEqual(r, rand);
    assert.equal(ediv, 0x1234);
    void peripheral.ltkReply(ltk);
  });
  const periphEnc = new Promise<{ encrypted: boolean }>((r) => peripheral.once('encryptionChange', r));
  await central.startEncryption(ltk, 0x1234, rand);
  assert.equal(central.encrypted, true);
  assert.equal((await periphEnc).encrypted, true);
  await central.disconnect();

  // 2. the peripheral has no key
  [central, peripheral] = await link(a, b, 'enc-missing');
  peripheral.on('ltkRequest', () => void peripheral.ltkNegativeReply());
  await assert.rejects(central.startEncryption(ltk, 0, rand), (e: unknown) => e instanceof HciError && e.status === HciStatus.PIN_or_Key_Missing);
  assert.equal(central.encrypted, false);
  if (central.connected) await central.disconnect();

  // 3. different keys
  [central, peripheral] = await link(a, b, 'enc-mismatch');
  peripheral.on('ltkRequest', () => void peripheral.ltkReply(Buffer.alloc(16, 0x77)));
  const periphDrop = new Promise<number>((r) => peripheral.once('disconnect', r));
  await assert.rejects(
    central.startEncryption(ltk, 0, rand),
    (e: unknown) => e instanceof HciError && e.code === 'DISCONNECTED' && e.status === HciStatus.Connection_Terminated_due_to_MIC_Failure,
  );
  assert.equal(await periphDrop, HciStatus.Connection_Terminated_due_to_MIC_Failure);
});

test('connect aborted with AbortSignal sends LE Create Connection Cancel', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const b = await hostOn(air);
  t.after(() => b.close());
  const ac = new AbortController();
  const p = b.connect('C1:22:33:44:55:66', { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(p, (e: unknown) => e instanceof HciError && e.code === 'ABORTED');
  assert.equal(b.connections.size, 0);
});

test('HciHost over H4/TCP to a SimServer (tcp: URI), with a BTSnoop capture that parses back', async (t) => {
  const air = new SimAir();
  const server = new SimServer(air);
  const { port } = await server.listen(0);
  const dir = await mkdtemp(join(tmpdir(), 'pairkit-hci-'));
  t.after(async () => {
    await server.close();
    air.close();
    await rm(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'capture.btsnoop');
  const a = await HciHost.open(`tcp:127.0.0.1:${port}`, { btsnoop: file });
  // Second host in-process, recording what it saw for comparison.
  const seen: { dir: string; p: Buffer }[] = [];
  const b = await hostOn(air, {}, (tr) => {
    const w = new BtsnoopWriter(join(dir, 'b.btsnoop'));
    t.after(() => w.close());
    const tapped = w.tap(tr);
    const write = tapped.write.bind(tapped);
    tapped.write = (p: Buffer) => {
      seen.push({ dir: 'sent', p: Buffer.from(p) });
      write(p);
    };
    tapped.on('data', (p) => seen.push({ dir: 'received', p: Buffer.from(p) }));
    return tapped;
  });
  const [central] = await link(a, b, 'tcp-peer');
  await central.disconnect();
  await a.close();
  await b.close();
  const recs = await readBtsnoop(file);
  assert.ok(recs.length > 20);
  assert.deepEqual(recs[0].packet, Buffer.from('01030c00', 'hex'), 'first record: HCI_Reset sent');
  assert.equal(recs[0].direction, 'sent');
  assert.ok(recs.some((r) => r.direction === 'received' && r.packet[0] === 0x04));
  const bRecs = await readBtsnoop(join(dir, 'b.btsnoop'));
  assert.deepEqual(
    bRecs.map((r) => [r.direction, r.packet.toString('hex')]),
    seen.map((s) => [s.dir, s.p.toString('hex')]),
  );
});

test('ble-host (npm) advertises; our host scans, connects, and the link works both ways', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const pt = new SimTransport(air.createController({ aclDataPacketLength: 27 }));
  const manager = await createManager(pt);
  const adv = bhAdvertise(manager, 'ble-host-peer');
  await adv.started;
  const host = await hostOn(air);
  t.after(() => host.close());
  const seen = await host.scanFor((r) => r.ad?.completeLocalName === 'ble-host-peer', { timeoutMs: 5000 });
  const conn = await host.connect(seen.address, { addressType: seen.addressType });
  const bhConn = await adv.connected;
  assert.ok(bhConn);
  const gone = new Promise<number>((r) => conn.once('disconnect', r));
  await conn.disconnect();
  assert.equal(await gone, HciStatus.Connection_Terminated_By_Local_Host);
  pt.close();
});

test('ble-host (npm) connects to our advertising host', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const host = await hostOn(air);
  t.after(() => host.close());
  await host.startAdvertising({ data: { flags: 0x06, completeLocalName: 'pairkit-adv' } });
  const accepted = host.accept();
  const pt = new SimTransport(air.createController());
  t.after(() => pt.close());
  const manager = await createManager(pt);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('scan timeout')), 5000);
  const found = await bhScanFor(manager, 'pairkit-adv', ac.signal);
  clearTimeout(timer);
  await bhConnect(manager, found.type, found.address);
  const conn = await accepted;
  assert.equal(conn.role, 'peripheral');
});

// A pseudo-terminal pair bridged to the SimServer by a small Python child: the host opens the
// pty's slave as a UART through the optional `serialport` package.
const PTY_RELAY = `
import os, pty, socket, select, sys, tty
m, s = pty.openpty()
tty.setraw(s)
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(os.ttyname(s), flush=True)
while True:
    r, _, _ = select.select([m, sock], [], [])
    try:
        if m in r:
            d = os.read(m, 65536)
            if not d: break
            sock.sendall(d)
        if sock in r:
            d = sock.recv(65536)
            if not d: break
            os.write(m, d)
    except OSError:
        break
`;

test('serial:PATH@BAUD (H4 over a pseudo-terminal UART) initialises and connects on ble-sim', async (t) => {
  const air = new SimAir();
  const server = new SimServer(air);
  const { port } = await server.listen(0);
  const relay = spawn('python3', ['-c', PTY_RELAY, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    relay.kill();
    await server.close();
    air.close();
  });
  const path = await new Promise<string>((resolve, reject) => {
    relay.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    relay.once('error', reject);
  });
  const a = await HciHost.open(`serial:${path}@1000000`);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  assert.ok(a.info?.aclBuffers.total);
  const [central, peripheral] = await link(b, a, 'over-uart');
  const got = new Promise<Buffer>((r) => peripheral.setFixedChannelHandler(0x0044, r));
  await central.sendFixed(0x0044, Buffer.from('hello over a UART'));
  assert.equal((await got).toString(), 'hello over a UART');
});

test('unix:PATH (H4 over a Unix socket) initialises on ble-sim', async (t) => {
  const air = new SimAir();
  const server = new SimServer(air);
  const { port } = await server.listen(0);
  const dir = await mkdtemp(join(tmpdir(), 'pairkit-unix-'));
  const sockPath = join(dir, 'hci.sock');
  // Bridge the Unix socket to the simulator's TCP port.
  const bridge = createServer((u) => {
    const tcp = netConnect(port, '127.0.0.1');
    u.pipe(tcp).pipe(u);
    u.on('close', () => tcp.destroy());
    tcp.on('close', () => u.destroy());
  });
  await new Promise<void>((r) => bridge.listen(sockPath, r));
  t.after(async () => {
    await new Promise<void>((r) => bridge.close(() => r()));
    await server.close();
    air.close();
    await rm(dir, { recursive: true, force: true });
  });
  const host = await HciHost.open(`unix:${sockPath}`);
  t.after(() => host.close());
  assert.ok(host.info?.aclBuffers.maxLength);
  await host.close();
});

test('our host opens an LE credit-based channel to ble-host (npm) and data flows both ways', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const pt = new SimTransport(air.createController({ aclDataPacketLength: 27 }));
  t.after(() => pt.close());
  const manager = await createManager(pt);
  const adv = bhAdvertise(manager, 'coc-peer');
  await adv.started;
  const host = await hostOn(air);
  t.after(() => host.close());
  const seen = await host.scanFor((r) => r.ad?.completeLocalName === 'coc-peer', { timeoutMs: 5000 });
  const conn = await host.connect(seen.address, { addressType: seen.addressType });
  const bhConn = await adv.connected;
  const bhGot: Buffer[] = [];
  const bhReceived = new Promise<Buffer>((resolve) => {
    bhConn.l2capCoCManager.registerLePsm(0x81, (_txMtu: number, cb: (r: number, paused: boolean, mtu: number) => import('node:events').EventEmitter & { send(b: Buffer): void }) => {
      const coc = cb(0, false, 512);
      coc.on('data', (d: Buffer) => {
        bhGot.push(d);
        if (Buffer.concat(bhGot).length >= 3000) {
          resolve(Buffer.concat(bhGot));
          coc.send(Buffer.from('echo from ble-host'));
        }
      });
    });
  });
  const ch = await conn.openChannel(0x81, { mtu: 512, mps: 100, initialCredits: 4 });
  assert.equal(ch.peerMtu, 512);
  const data = pattern(3000, 9);
  for (let off = 0; off < data.length; off += 500) await ch.write(data.subarray(off, off + 500));
  assert.ok((await bhReceived).equals(data));
  const reply = await ch.read();
  assert.equal(reply?.toString(), 'echo from ble-host');
});

test('peripheral asks for new connection parameters over LE signaling; the central applies them', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  const [central, peripheral] = await link(a, b, 'conn-update');
  const centralUpdate = new Promise<{ status: number; interval: number }>((r) => central.once('connectionUpdate', r));
  const periphUpdate = new Promise<{ status: number; interval: number }>((r) => peripheral.once('connectionUpdate', r));
  const accepted = await peripheral.requestConnectionParameterUpdate({ intervalMin: 80, intervalMax: 80, latency: 0, timeout: 600 });
  assert.equal(accepted, true);
  const [cu, pu] = await Promise.all([centralUpdate, periphUpdate]);
  assert.equal(cu.status, 0);
  assert.equal(cu.interval, 80);
  assert.equal(pu.interval, 80);
  assert.equal(peripheral.info.connectionInterval, 80);
  assert.equal(await peripheral.requestConnectionParameterUpdate({ intervalMin: 80, intervalMax: 40, latency: 0, timeout: 600 }), false);
});

test('active scanning yields ADV_IND and SCAN_RSP reports with parsed AD', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  await a.startAdvertising({
    data: { flags: 0x06, serviceUuids: ['180d', '6e400001-b5a3-f393-e0a9-e50e24dcca9e'] },
    scanResponse: { completeLocalName: 'scan-me', manufacturerData: [{ companyIdentifier: 0xffff, data: Buffer.from('pk') }] },
  });
  const ac = new AbortController();
  let adv: import('@pairkit/hci').AdvertisementReport | undefined;
  let rsp: import('@pairkit/hci').AdvertisementReport | undefined;
  for await (const r of b.scan({ active: true, signal: ac.signal })) {
    if (r.address !== a.address) continue;
    if (r.eventType === 0x00) adv = r;
    if (r.eventType === 0x04) rsp = r;
    if (adv && rsp) ac.abort();
  }
  assert.deepEqual(adv?.ad?.serviceUuids, ['180d', '6e400001-b5a3-f393-e0a9-e50e24dcca9e']);
  assert.equal(adv?.ad?.flags, 0x06);
  assert.equal(rsp?.ad?.completeLocalName, 'scan-me');
  assert.deepEqual(rsp?.ad?.manufacturerData, [{ companyIdentifier: 0xffff, data: Buffer.from('pk') }]);
});

test('connecting to nobody times out with COMMAND_TIMEOUT after LE Create Connection Cancel', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const b = await hostOn(air);
  t.after(() => b.close());
  await assert.rejects(b.connect('C1:22:33:44:55:77', { timeoutMs: 50 }), (e: unknown) => e instanceof HciError && e.code === 'COMMAND_TIMEOUT');
  // The host is usable afterwards.
  await b.command('HCI_LE_Rand', {});
});

test('link loss in the middle of a channel transfer fails the writer and reader with DISCONNECTED', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air, { aclDataPacketLength: 27, totalNumAclDataPackets: 2 });
  const b = await hostOn(air, { aclDataPacketLength: 27, totalNumAclDataPackets: 2 });
  t.after(() => Promise.all([a.close(), b.close()]));
  const serverSide = new Promise<import('@pairkit/hci').L2capChannel>((resolve) => a.listen(0x82, (ch) => resolve(ch), { initialCredits: 50, mps: 200, mtu: 60000 }));
  const [central, peripheral] = await link(a, b, 'drop-mid');
  const client = await central.openChannel(0x82);
  const server = await serverSide;
  const writing = client.write(Buffer.alloc(50_000, 1));
  const reading = server.read();
  await new Promise((r) => setTimeout(r, 5)); // some frames are in flight
  setImmediate(() => void peripheral.disconnect(HciStatus.Remote_User_Terminated_Connection));
  const isDisconnected = (e: unknown) => e instanceof HciError && e.code === 'DISCONNECTED';
  await Promise.all([assert.rejects(writing, isDisconnected), assert.rejects(reading, isDisconnected)]);
  await assert.rejects(central.openChannel(0x82), (e: unknown) => e instanceof HciError && e.code === 'DISCONNECTED');
});

test('privacy: a host advertising from an RPA is resolved by a peer holding its IRK', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  const irk = Buffer.from('0f0e0d0c0b0a09080706050403020100', 'hex');
  const rpa = await a.usePrivateAddress(irk);
  assert.equal(randomAddressKind(rpa), 'resolvable');
  const [central, peripheral] = await link(a, b, 'private');
  assert.equal(central.info.peerAddress, rpa, 'the link uses the RPA');
  assert.equal(peripheral.info.localAddress, rpa);
  assert.equal(resolvePrivateAddress(central.info.peerAddress, [Buffer.alloc(16, 1), irk]), 1, 'resolved with the right IRK');
});

test('data length extension and RSSI on a link', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  const [central, peripheral] = await link(a, b, 'dle');
  const changed = new Promise<{ maxTxOctets: number; maxRxOctets: number }>((r) => central.once('dataLengthChange', r));
  const peerChanged = new Promise<{ maxTxOctets: number; maxRxOctets: number }>((r) => peripheral.once('dataLengthChange', r));
  await central.setDataLength(251);
  assert.equal((await changed).maxTxOctets, 251);
  assert.equal((await peerChanged).maxRxOctets, 251);
  assert.equal(typeof (await central.readRssi()), 'number');
  await assert.rejects(central.setDataLength(5), (e: unknown) => e instanceof HciError && e.status === HciStatus.Invalid_HCI_Command_Parameters);
});

test('over H4/TCP: ble-host (on our tcp: transport) connects to our host and opens a channel to it', async (t) => {
  const air = new SimAir();
  const server = new SimServer(air);
  const { port } = await server.listen(0);
  t.after(async () => {
    await server.close();
    air.close();
  });
  const host = await HciHost.open(`tcp:127.0.0.1:${port}`);
  t.after(() => host.close());
  const got = new Promise<Buffer>((resolve) => host.listen(0x90, async (ch) => resolve((await ch.read())!)));
  await host.startAdvertising({ data: { flags: 0x06, completeLocalName: 'tcp-pairkit' } });
  const accepted = host.accept();
  // ble-host takes any object with write(Buffer) and whole-packet 'data' events: our StreamTransport is one.
  const bhTransport = await openTransport(`tcp:127.0.0.1:${port}`);
  t.after(() => bhTransport.close());
  const manager = await createManager(bhTransport as never);
  const found = await bhScanFor(manager, 'tcp-pairkit', AbortSignal.timeout(10_000));
  const bhConn = await bhConnect(manager, found.type, found.address);
  const conn = await accepted;
  assert.equal(found.address.toUpperCase(), host.address, 'ble-host saw our static random address');
  assert.equal(conn.role, 'peripheral');
  await new Promise<void>((resolve, reject) => {
    bhConn.l2capCoCManager.connect(0x90, false, 512, (result: number, coc: { send(b: Buffer): void }) => {
      if (result !== 0) return reject(new Error(`CoC connect result ${result}`));
      coc.send(Buffer.from('from ble-host over TCP'));
      resolve();
    });
  });
  assert.equal((await got).toString(), 'from ble-host over TCP');
});

test('startEncryption honours an AbortSignal while the peer does not answer the LTK request', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const a = await hostOn(air);
  const b = await hostOn(air);
  t.after(() => Promise.all([a.close(), b.close()]));
  const [central, peripheral] = await link(a, b, 'enc-abort');
  const asked = new Promise<void>((r) => peripheral.on('ltkRequest', () => r())); // and never answers
  const ac = new AbortController();
  const p = central.startEncryption(Buffer.alloc(16, 1), 0, Buffer.alloc(8));
  void p.catch(() => {});
  const q = central.startEncryption(Buffer.alloc(16, 1), 0, Buffer.alloc(8), ac.signal);
  await assert.rejects(q, (e: unknown) => e instanceof HciError && e.code === 'INVALID_PARAMETER', 'one procedure at a time');
  await asked;
  await central.disconnect();
  await assert.rejects(p, (e: unknown) => e instanceof HciError && e.code === 'DISCONNECTED');
  const [c2, p2] = await link(a, b, 'enc-abort-2');
  p2.on('ltkRequest', () => {});
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(c2.startEncryption(Buffer.alloc(16, 1), 0, Buffer.alloc(8), ac.signal), (e: unknown) => e instanceof HciError && e.code === 'ABORTED');
  assert.equal(c2.encrypted, false);
});

test('the @pairkit/hci README quick start runs against a SimServer and prints hello', async (t) => {
  const { readFile, writeFile } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const air = new SimAir();
  const server = new SimServer(air);
  const { port } = await server.listen(0);
  const dir = await mkdtemp(join(tmpdir(), 'pairkit-readme-'));
  t.after(async () => {
    await server.close();
    air.close();
    await rm(dir, { recursive: true, force: true });
  });
  const hciEntry = import.meta.resolve('@pairkit/hci');
  const readme = await readFile(join(fileURLToPath(new URL('.', hciEntry)), '../../README.md'), 'utf8');
  const block = /```js\n(import \{ HciHost, HciStatus \}[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'quick start block found');
  const code = block.replace("from '@pairkit/hci'", `from ${JSON.stringify(hciEntry)}`).replace("const uri = 'sim';", `const uri = 'tcp:127.0.0.1:${port}';`);
  const file = join(dir, 'quickstart.mjs');
  await writeFile(file, code);
  const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const code_ = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code_, 0, err);
  assert.equal(out.trim(), 'hello');
  const recs = await readBtsnoop(join(dir, 'central.btsnoop'));
  assert.ok(recs.some((r) => r.direction === 'sent' && r.packet[0] === 0x02), 'the capture holds our ACL data');
});
