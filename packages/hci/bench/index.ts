// @pairkit/hci benchmarks: host CPU per 1,000 HCI commands and codec rates. Prints figures,
// never asserts. CoC throughput through ble-sim lives in packages/ble-sim/bench.
import {
  ExtendedReportAssembler,
  H4Deframer,
  HciHost,
  L2capReassembler,
  Opcode,
  buildCommand,
  buildCommandCompleteRaw,
  buildEvent,
  createPacketPipe,
  decodeEvent,
  encodeAcl,
  parseCommand,
} from '../src/index.js';

function line(name: string, value: string): void {
  console.log(`${name.padEnd(58)} ${value}`);
}

function rate(name: string, iterations: number, f: () => void): void {
  for (let i = 0; i < Math.min(1000, iterations); i++) f(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) f();
  const ns = Number(process.hrtime.bigint() - t0);
  line(name, `${Math.round((iterations / ns) * 1e9).toLocaleString('en-US')} ops/s`);
}

/** Host CPU for `n` commands against a responder that answers each with a prebuilt Command Complete. */
async function hostCpuPerCommands(n: number, credits: number): Promise<{ cpuMs: number; wallMs: number }> {
  const [hostSide, ctrlSide] = createPacketPipe();
  const answer = buildCommandCompleteRaw(Opcode.HCI_LE_Set_Scan_Enable, Buffer.from([0]), credits);
  ctrlSide.on('data', () => ctrlSide.write(answer));
  const host = new HciHost(hostSide);
  const params = { leScanEnable: 0, filterDuplicates: 0 };
  for (let i = 0; i < 200; i++) await host.command('HCI_LE_Set_Scan_Enable', params);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) pending.push(host.command('HCI_LE_Set_Scan_Enable', params));
  await Promise.all(pending);
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await host.close();
  return { cpuMs: (c.user + c.system) / 1000, wallMs };
}

console.log('@pairkit/hci bench (node ' + process.version + ')');
for (const credits of [1, 4]) {
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await hostCpuPerCommands(1000, credits));
  runs.sort((a, b) => a.cpuMs - b.cpuMs);
  const med = runs[2];
  line(`host CPU per 1,000 commands, Num_HCI_Command_Packets=${credits} (median of 5)`, `${med.cpuMs.toFixed(1)} ms CPU, ${med.wallMs.toFixed(1)} ms wall (incl. in-process responder)`);
}

const cmd = buildCommand('HCI_LE_Create_Connection', {
  leScanInterval: 0x60, leScanWindow: 0x30, initiatorFilterPolicy: 0, peerAddressType: 1, peerAddress: 'C0:11:22:33:44:55',
  ownAddressType: 1, connectionIntervalMin: 24, connectionIntervalMax: 40, maxLatency: 0, supervisionTimeout: 400, minCeLength: 0, maxCeLength: 0,
});
rate('buildCommand(HCI_LE_Create_Connection)', 200_000, () => {
  buildCommand('HCI_LE_Create_Connection', {
    leScanInterval: 0x60, leScanWindow: 0x30, initiatorFilterPolicy: 0, peerAddressType: 1, peerAddress: 'C0:11:22:33:44:55',
    ownAddressType: 1, connectionIntervalMin: 24, connectionIntervalMax: 40, maxLatency: 0, supervisionTimeout: 400, minCeLength: 0, maxCeLength: 0,
  });
});
rate('parseCommand(HCI_LE_Create_Connection)', 200_000, () => parseCommand(cmd));
const adv = buildEvent('LE_Advertising_Report', { reports: [{ eventType: 0, addressType: 1, address: 'C0:11:22:33:44:55', data: Buffer.alloc(31, 2), rssi: -50 }] });
rate('decodeEvent(LE_Advertising_Report, 31 bytes AD)', 200_000, () => decodeEvent(adv));
{
  // A 1,000-octet extended advertisement as a controller delivers it: five report fragments.
  const data = Buffer.alloc(1000, 3);
  const events: Buffer[] = [];
  for (let off = 0; off < data.length; off += 229) {
    const more = off + 229 < data.length;
    events.push(buildEvent('LE_Extended_Advertising_Report', { reports: [{
      eventType: more ? 0x20 : 0, addressType: 1, address: 'C0:11:22:33:44:55', primaryPhy: 1, secondaryPhy: 1, advertisingSid: 0,
      txPower: 127, rssi: -50, periodicAdvertisingInterval: 0, directAddressType: 0, directAddress: '00:00:00:00:00:00', data: data.subarray(off, off + 229),
    }] }));
  }
  const asm = new ExtendedReportAssembler();
  rate('decode + reassemble a 1,000-octet extended advertisement (5 reports)', 50_000, () => {
    for (const e of events) {
      const ev = decodeEvent(e);
      if (ev.name === 'LE_Extended_Advertising_Report') asm.push(ev.params.reports[0]);
    }
  });
}
const nocp = buildEvent('Number_Of_Completed_Packets', { handles: [{ connectionHandle: 0x40, numCompletedPackets: 1 }] });
rate('decodeEvent(Number_Of_Completed_Packets)', 500_000, () => decodeEvent(nocp));
rate('buildEvent(LE_Connection_Complete)', 200_000, () =>
  buildEvent('LE_Connection_Complete', {
    status: 0, connectionHandle: 0x40, role: 0, peerAddressType: 1, peerAddress: 'C0:11:22:33:44:55',
    connectionInterval: 24, peripheralLatency: 0, supervisionTimeout: 400, centralClockAccuracy: 0,
  }),
);

// Deframing throughput: 251-byte ACL packets in 1 KB chunks.
const acl = encodeAcl(0x40, 0, 0, Buffer.alloc(251, 7));
const stream = Buffer.concat(Array.from({ length: 4096 }, () => acl));
{
  const d = new H4Deframer();
  const t0 = performance.now();
  let packets = 0;
  for (let round = 0; round < 5; round++) for (let off = 0; off < stream.length; off += 1024) packets += d.push(stream.subarray(off, off + 1024)).packets.length;
  const s = (performance.now() - t0) / 1000;
  line('H4Deframer, 256-byte ACL packets in 1 KB chunks', `${((stream.length * 5) / s / 1e6).toFixed(1)} MB/s (${Math.round(packets / s).toLocaleString('en-US')} packets/s)`);
}
{
  // L2CAP reassembly of a 2,000-byte PDU from 27-byte fragments.
  const pdu = Buffer.alloc(2004);
  pdu.writeUInt16LE(2000, 0);
  pdu.writeUInt16LE(0x40, 2);
  const frags: Buffer[] = [];
  for (let off = 0; off < pdu.length; off += 27) frags.push(pdu.subarray(off, off + 27));
  const r = new L2capReassembler();
  rate('L2CAP reassembly of a 2,000-byte PDU from 27-byte fragments', 20_000, () => {
    frags.forEach((f, i) => r.push(i === 0 ? 0b10 : 0b01, f));
  });
}
