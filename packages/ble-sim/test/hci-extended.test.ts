// Owned by engineer HCI: GAP of @pairkit/hci with LE extended advertising on ble-sim, the
// legacy fallback on a 4.2 controller, and the npm ble-host (legacy only) next to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  HciError,
  HciHost,
  Opcode,
  buildAd,
  fromPacketPort,
  type AdInput,
  type AdvertisementReport,
  type HciEvent,
} from '@pairkit/hci';
import { SimAir, SimTransport, type SimControllerOptions } from '../src/index.js';
import { advertise as bhAdvertise, createManager, connect as bhConnect } from './helpers/ble-host.js';

async function hostOn(t: { after(fn: () => unknown): void }, air: SimAir, controller: SimControllerOptions = {}, legacyAdvertising = false): Promise<HciHost> {
  const host = new HciHost(fromPacketPort(new SimTransport(air.createController(controller))), { legacyAdvertising });
  t.after(() => host.close());
  await host.init();
  return host;
}

/** Every event the host received, kept for assertions on what crossed HCI. */
function record(host: HciHost): HciEvent[] {
  const seen: HciEvent[] = [];
  host.on('event', (e) => seen.push(e));
  return seen;
}
const statusesOf = (events: HciEvent[], opcode: number) =>
  events.filter((e) => e.name === 'Command_Status' && e.params.commandOpcode === opcode).map((e) => (e.name === 'Command_Status' ? e.params.status : -1));

/** Long name, a 128-bit service UUID and LE SC OOB data: more than legacy advertising carries. */
const BIG_AD: AdInput = {
  flags: 0x06,
  serviceUuids: ['6e400001-b5a3-f393-e0a9-e50e24dcca9e'],
  completeLocalName: 'pairkit extended advertising '.repeat(6).trim(),
  leBluetoothDeviceAddress: Buffer.from([1, 2, 3, 4, 5, 0xc0, 1]),
  leScConfirmationValue: Buffer.alloc(16, 0xc1),
  leScRandomValue: Buffer.alloc(16, 0x4a),
};

test('our host advertises more than 229 octets with extended PDUs; our scanner reassembles the fragments', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const [a, b] = [await hostOn(t, air), await hostOn(t, air)];
  assert.equal(a.advertisingCommands, 'extended');
  assert.equal(a.info?.extendedAdvertising, true);
  assert.equal(a.maxAdvertisingDataLength, 1650);
  assert.equal(a.info?.numSupportedAdvertisingSets, 4);
  const want = buildAd(BIG_AD, 1650);
  assert.ok(want.length > 229 && want.length <= 245, `connectable extended data of ${want.length} octets needs two report fragments`);
  await a.startAdvertising({ data: BIG_AD });
  const events = record(b);
  const seen = await b.scanFor((r) => r.address === a.address, { timeoutMs: 10_000 });
  assert.ok(seen.data.equals(want), 'the whole advertising data, reassembled');
  assert.equal(seen.ad?.completeLocalName, BIG_AD.completeLocalName);
  assert.deepEqual(seen.ad?.serviceUuids, ['6e400001-b5a3-f393-e0a9-e50e24dcca9e']);
  assert.ok(seen.ad?.leScRandomValue?.equals(Buffer.alloc(16, 0x4a)));
  assert.deepEqual([seen.legacy, seen.connectable, seen.scannable, seen.eventType, seen.primaryPhy, seen.secondaryPhy, seen.sid], [false, true, false, 0, 1, 1, 0]);
  const fragments = events.flatMap((e) => (e.name === 'LE_Extended_Advertising_Report' ? e.params.reports : []));
  assert.deepEqual(fragments.map((r) => (r.eventType >> 5) & 3), [1, 0], 'two fragments: more to come, complete');
  await a.stopAdvertising();
});

test('non-connectable extended advertising of 1,000 octets arrives whole through the scan() iterator', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const [a, b] = [await hostOn(t, air), await hostOn(t, air)];
  const data = buildAd({ flags: 0x04, manufacturerData: [0, 1, 2, 3].map((i) => ({ companyIdentifier: 0xffff, data: Buffer.alloc(240, i) })) }, 1650);
  assert.equal(data.length, 3 + 4 * 244);
  await a.startAdvertising({ data, type: 0x03 });
  const ac = new AbortController();
  let got: AdvertisementReport | undefined;
  for await (const r of b.scan({ active: false, signal: ac.signal })) {
    if (r.address !== a.address) continue;
    got = r;
    break;
  }
  assert.ok(got?.data.equals(data));
  assert.equal(got?.connectable, false);
  assert.equal(got?.eventType, 0x03);
  assert.equal(got?.ad?.manufacturerData.length, 4);
  // Too much for the controller is refused before anything is sent.
  await assert.rejects(a.startAdvertising({ data: Buffer.alloc(1651, 1), type: 0x03 }), (e: HciError) => e.code === 'TOO_LARGE');
});

test('central connects with LE Extended Create Connection to extended advertising and an LE credit-based channel carries data both ways', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const [a, b] = [await hostOn(t, air, { aclDataPacketLength: 27 }), await hostOn(t, air)];
  const aEvents = record(a);
  const bEvents = record(b);
  a.listen(0x82, async (ch) => {
    for await (const sdu of ch) await ch.write(Buffer.from(sdu.reverse()));
  }, { mtu: 4096 });
  await a.startAdvertising({ data: BIG_AD });
  const accepted = a.accept();
  const seen = await b.scanFor((r) => r.ad?.completeLocalName === BIG_AD.completeLocalName, { timeoutMs: 10_000 });
  const conn = await b.connect(seen.address, { addressType: seen.addressType });
  const peer = await accepted;
  assert.deepEqual(statusesOf(bEvents, Opcode.HCI_LE_Extended_Create_Connection), [0], 'LE Extended Create Connection was used');
  assert.deepEqual(statusesOf(bEvents, Opcode.HCI_LE_Create_Connection), []);
  assert.ok(bEvents.some((e) => e.name === 'LE_Enhanced_Connection_Complete'));
  const terminated = aEvents.filter((e) => e.name === 'LE_Advertising_Set_Terminated');
  assert.equal(terminated.length, 1);
  assert.equal(terminated[0].name === 'LE_Advertising_Set_Terminated' && terminated[0].params.connectionHandle, peer.handle);
  assert.equal(conn.info.peerAddress, a.address);
  const ch = await conn.openChannel(0x82, { mtu: 4096, mps: 247, initialCredits: 8 });
  const payloads = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => Buffer.from(Array.from({ length: 4000 }, (_, j) => (i * 13 + j) & 0xff)));
  for (const p of payloads) {
    await ch.write(p);
    const back = await ch.read();
    assert.ok(back?.equals(Buffer.from(p).reverse()), 'echoed reversed');
  }
  await ch.close();
  await conn.disconnect();
});

test('a 4.2 controller (no LE Extended Advertising): GAP falls back to legacy; 31 octets at most; a 5.4 scanner sees it as a legacy report', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const old = await hostOn(t, air, { coreVersion: '4.2' });
  const modern = await hostOn(t, air);
  assert.equal(old.info?.extendedAdvertising, false);
  assert.equal(old.advertisingCommands, 'legacy');
  assert.equal(old.maxAdvertisingDataLength, 31);
  await assert.rejects(old.startAdvertising({ data: BIG_AD }), (e: HciError) => e.code === 'TOO_LARGE');
  await old.startAdvertising({ data: { flags: 0x06, completeLocalName: 'four-two' } });
  const accepted = old.accept();
  const seen = await modern.scanFor((r) => r.ad?.completeLocalName === 'four-two', { timeoutMs: 10_000 });
  assert.deepEqual([seen.legacy, seen.connectable, seen.eventType, seen.secondaryPhy, seen.sid], [true, true, 0, undefined, undefined]);
  const conn = await modern.connect(seen.address, { addressType: seen.addressType });
  assert.equal((await accepted).role, 'peripheral');
  assert.equal(conn.role, 'central');
});

test('a legacy scanner (4.2) sees an extended host whose data fits legacy PDUs, not one advertising extended PDUs', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const big = await hostOn(t, air);
  const small = await hostOn(t, air);
  const old = await hostOn(t, air, { coreVersion: '4.2' });
  await big.startAdvertising({ data: BIG_AD });
  await small.startAdvertising({ data: { flags: 0x06, completeLocalName: 'fits' }, scanResponse: { shortenedLocalName: 'f' } });
  const reports: AdvertisementReport[] = [];
  old.on('advertisement', (r) => reports.push(r));
  // The air answers a new scanner with every advertiser in creation order; `small` came after `big`.
  await old.scanFor((r) => r.address === small.address && r.scanResponse, { active: true, timeoutMs: 10_000 });
  assert.deepEqual(reports.filter((r) => r.address === small.address).map((r) => r.eventType), [0, 4], 'ADV_IND and SCAN_RSP');
  assert.deepEqual(reports.filter((r) => r.address === big.address), [], 'extended PDUs are invisible to a legacy scanner');
  const accepted = small.accept();
  await old.connect(small.address, { addressType: 1 });
  await accepted;
});

test('legacyAdvertising forces the legacy commands on a 5.4 controller; the controller then refuses extended ones with 0x0C, and vice versa', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const forced = await hostOn(t, air, {}, true);
  const ext = await hostOn(t, air);
  assert.equal(forced.info?.extendedAdvertising, true, 'the controller has it');
  assert.equal(forced.advertisingCommands, 'legacy', 'but GAP was told not to use it');
  await forced.startAdvertising({ data: { flags: 0x06, completeLocalName: 'forced' } });
  await assert.rejects(forced.command('HCI_LE_Set_Extended_Scan_Enable', { enable: 1, filterDuplicates: 0, duration: 0, period: 0 }), (e: HciError) => e.code === 'COMMAND_FAILED' && e.status === 0x0c);
  await assert.rejects(ext.command('HCI_LE_Set_Advertising_Enable', { advertisingEnable: 1 }), (e: HciError) => e.code === 'COMMAND_FAILED' && e.status === 0x0c);
  const seen = await ext.scanFor((r) => r.ad?.completeLocalName === 'forced', { timeoutMs: 10_000 });
  assert.equal(seen.legacy, true);
  const accepted = forced.accept();
  await ext.connect(seen.address, { addressType: seen.addressType });
  await accepted;
});

test('ble-host (npm, legacy commands) scans and connects to our extended host; our extended host connects to ble-host', async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const host = await hostOn(t, air);
  assert.equal(host.advertisingCommands, 'extended');
  // ble-host as central: its legacy scanner sees our legacy-PDU advertising.
  await host.startAdvertising({ data: { flags: 0x06, completeLocalName: 'ext-host' } });
  const accepted = host.accept();
  const pt = new SimTransport(air.createController());
  t.after(() => pt.close());
  const manager = await createManager(pt);
  const found = await new Promise<{ type: string; address: string }>((resolve) => {
    const scanner = manager.startScan({ activeScan: true });
    scanner.on('report', (r: { parsedDataItems?: { localName?: string }; addressType: string; address: string }) => {
      if (r.parsedDataItems?.localName !== 'ext-host') return;
      scanner.stopScan();
      resolve({ type: r.addressType, address: r.address });
    });
  });
  assert.equal(found.address.toUpperCase(), host.address);
  await bhConnect(manager, found.type, found.address);
  const conn = await accepted;
  assert.equal(conn.role, 'peripheral');
  await conn.disconnect();
  // ble-host as peripheral: our extended scanner sees its legacy advertising, we connect with Extended Create Connection.
  const pt2 = new SimTransport(air.createController());
  t.after(() => pt2.close());
  const m2 = await createManager(pt2);
  const adv = bhAdvertise(m2, 'bh-peripheral');
  await adv.started;
  const events = record(host);
  const seen = await host.scanFor((r) => r.ad?.completeLocalName === 'bh-peripheral', { timeoutMs: 10_000 });
  assert.deepEqual([seen.legacy, seen.connectable, seen.eventType], [true, true, 0]);
  const central = await host.connect(seen.address, { addressType: seen.addressType });
  assert.ok(await adv.connected);
  assert.deepEqual(statusesOf(events, Opcode.HCI_LE_Extended_Create_Connection), [0]);
  assert.equal(central.role, 'central');
});

test("ble-host's own HCI adapter (an independent reader of LE Extended Advertising Reports) sees our 241-octet AD as 229 + 12 octet fragments", async (t) => {
  const air = new SimAir();
  t.after(() => air.close());
  const host = await hostOn(t, air);
  await host.startAdvertising({ data: BIG_AD });
  const pt = new SimTransport(air.createController());
  t.after(() => pt.close());
  const require = createRequire(import.meta.url);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const adapter = require('ble-host/lib/internal/adapter.js')(pt);
  t.after(() => adapter.stop());
  const run = (f: (cb: (status: number) => void) => void) => new Promise<void>((resolve, reject) => f((s) => (s === 0 ? resolve() : reject(new Error(`status 0x${s.toString(16)}`)))));
  const fragments: Array<{ eventType: number; address: string; secondaryPhy: number; data: Buffer }> = [];
  const complete = new Promise<void>((resolve) => {
    const onReport = (eventType: number, _at: number, address: string, _p: number, secondaryPhy: number, _sid: number, _tx: number, _rssi: number, _pi: number, _dat: number, _da: string, data: Buffer) => {
      fragments.push({ eventType, address, secondaryPhy, data });
      if (((eventType >> 5) & 3) === 0) resolve();
    };
    void run((cb) => adapter.setEventMask(0xffffffff, 0x3fffffff, cb))
      .then(() => run((cb) => adapter.leSetEventMask(1 << 12, 0, cb)))
      .then(() => run((cb) => adapter.leSetExtendedScanParameters(0, 0, 1, [{ scanType: 0, scanInterval: 16, scanWindow: 16 }], cb)))
      .then(() => run((cb) => adapter.leSetExtendedScanEnable(true, 1, 0, 0, onReport, cb)));
  });
  await complete;
  assert.deepEqual(fragments.map((f) => [(f.eventType >> 5) & 3, f.eventType & 0x1f, f.data.length, f.secondaryPhy]), [[1, 0x01, 229, 1], [0, 0x01, 12, 1]]);
  assert.equal(fragments[0].address.toUpperCase(), host.address);
  assert.ok(Buffer.concat(fragments.map((f) => f.data)).equals(buildAd(BIG_AD, 1650)));
});
