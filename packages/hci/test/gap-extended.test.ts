// Extended advertising pieces of GAP that need no controller: the LE Extended Advertising
// Report codec, fragment reassembly, the choice of PDUs and the feature check of init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ExtendedReportAssembler,
  buildEvent,
  dataFragments,
  decodeEvent,
  extendedCreateConnectionParameters,
  hasExtendedAdvertising,
  planExtendedAdvertising,
  type ExtendedAdvertisingReport,
} from '../src/index.js';

const report = (over: Partial<ExtendedAdvertisingReport> = {}): ExtendedAdvertisingReport => ({
  eventType: 0x0001,
  addressType: 1,
  address: 'C0:11:22:33:44:55',
  primaryPhy: 1,
  secondaryPhy: 1,
  advertisingSid: 3,
  txPower: 127,
  rssi: -60,
  periodicAdvertisingInterval: 0,
  directAddressType: 0,
  directAddress: '00:00:00:00:00:00',
  data: Buffer.from([2, 1, 6]),
  ...over,
});

test('LE Extended Advertising Report: byte-exact layout (§7.7.65.13) and round trip', () => {
  const bytes = Buffer.from(
    '04 3e 1d 0d 01 13 00 01 55 44 33 22 11 c0 01 00 ff 7f c4 00 00 00 00 00 00 00 00 00 03 02 01 06'.replace(/ /g, ''),
    'hex',
  );
  const ev = decodeEvent(bytes);
  assert.ok(ev.name === 'LE_Extended_Advertising_Report');
  assert.deepEqual(ev.params.reports, [
    report({ eventType: 0x13, secondaryPhy: 0, advertisingSid: 0xff, txPower: 127, rssi: -60 }),
  ]);
  assert.deepEqual(buildEvent('LE_Extended_Advertising_Report', ev.params), bytes);
  const two = buildEvent('LE_Extended_Advertising_Report', { reports: [report(), report({ address: 'C0:00:00:00:00:01', data: Buffer.alloc(0), txPower: -4 })] });
  const back = decodeEvent(two);
  assert.ok(back.name === 'LE_Extended_Advertising_Report');
  assert.equal(back.params.reports.length, 2);
  assert.equal(back.params.reports[1].txPower, -4);
  assert.throws(() => decodeEvent(bytes.subarray(0, bytes.length - 1)), { code: 'TRUNCATED' });
});

test('fragments of one advertiser join in order; other advertisers in between do not disturb them; truncated is flagged', () => {
  const asm = new ExtendedReportAssembler();
  const more = 0x01 << 5;
  assert.equal(asm.push(report({ eventType: 0x00 | more, data: Buffer.from('hello ') })), undefined);
  const other = asm.push(report({ address: 'C0:99:99:99:99:99', eventType: 0x00, data: Buffer.from('x') }));
  assert.equal(other?.data.toString(), 'x', 'a complete report from someone else passes straight through');
  assert.equal(asm.push(report({ eventType: 0x00 | more, data: Buffer.from('extended ') })), undefined);
  const whole = asm.push(report({ eventType: 0x00, data: Buffer.from('world') }));
  assert.equal(whole?.data.toString(), 'hello extended world');
  assert.equal(whole?.truncated, false);
  assert.equal(asm.size, 0);
  asm.push(report({ eventType: more, data: Buffer.from('part') }));
  const cut = asm.push(report({ eventType: 0x02 << 5, data: Buffer.from('ial') }));
  assert.deepEqual([cut?.data.toString(), cut?.truncated], ['partial', true]);
  // Bounded: fragments beyond the limit end as truncated, stale advertisers are evicted.
  const small = new ExtendedReportAssembler(10, 2);
  small.push(report({ eventType: more, data: Buffer.alloc(8) }));
  const over = small.push(report({ eventType: more, data: Buffer.alloc(8) }));
  assert.deepEqual([over?.data.length, over?.truncated], [10, true]);
  for (let i = 0; i < 5; i++) small.push(report({ address: `C0:00:00:00:00:0${i}`, eventType: more, data: Buffer.alloc(1) }));
  assert.equal(small.size, 2);
});

test('PDU choice: legacy PDUs while data and scan response fit 31 octets, extended PDUs beyond; data split in 251-octet fragments', () => {
  const short = planExtendedAdvertising({ data: { flags: 6, completeLocalName: 'short' }, scanResponse: { shortenedLocalName: 's' } }, 1650);
  assert.equal(short.properties, 0x13, 'ADV_IND as legacy PDU');
  assert.equal(short.scanResponse.length, 3);
  const long = planExtendedAdvertising({ data: { flags: 6, completeLocalName: 'n'.repeat(40) }, scanResponse: { shortenedLocalName: 's' } }, 1650);
  assert.equal(long.properties, 0x01, 'extended connectable');
  assert.equal(long.data.length, 3 + 42 + 3, 'the scan response joins the data');
  assert.equal(long.scanResponse.length, 0);
  const scannable = planExtendedAdvertising({ data: Buffer.alloc(40, 1), type: 0x02 }, 1650);
  assert.deepEqual([scannable.properties, scannable.data.length, scannable.scanResponse.length], [0x02, 0, 40]);
  assert.equal(planExtendedAdvertising({ data: Buffer.alloc(10), pdu: 'extended', type: 0x03 }, 1650).properties, 0x00);
  assert.throws(() => planExtendedAdvertising({ data: Buffer.alloc(40), pdu: 'legacy' }, 1650), { code: 'TOO_LARGE' });
  assert.throws(() => planExtendedAdvertising({ data: Buffer.alloc(300) }, 251), { code: 'TOO_LARGE' });
  assert.deepEqual(dataFragments(Buffer.alloc(251)).map(([op, f]) => [op, f.length]), [[3, 251]]);
  assert.deepEqual(dataFragments(Buffer.alloc(600)).map(([op, f]) => [op, f.length]), [[1, 251], [0, 251], [2, 98]]);
  assert.equal(extendedCreateConnectionParameters({ ownAddressType: 1, peerAddressType: 1, peerAddress: 'C0:11:22:33:44:55', scanInterval: 0x60, scanWindow: 0x30, connectionIntervalMin: 24, connectionIntervalMax: 40, maxLatency: 0, supervisionTimeout: 400 }).toString('hex'),
    '000101' + '5544332211c0' + '01' + '6000' + '3000' + '1800' + '2800' + '0000' + '9001' + '0000' + '0000');
});

test('extended advertising needs the LE feature bit and every command GAP sends', () => {
  const cmds = Buffer.alloc(64);
  for (const [octet, bits] of [[36, 0xfe], [37, 0xe3]] as const) cmds[octet] = bits;
  const feats = Buffer.alloc(8);
  feats[1] = 0x10; // bit 12
  assert.equal(hasExtendedAdvertising(cmds, feats), true);
  assert.equal(hasExtendedAdvertising(cmds, Buffer.alloc(8)), false, 'no feature bit');
  const missing = Buffer.from(cmds);
  missing[37] &= ~0x80; // no LE Extended Create Connection
  assert.equal(hasExtendedAdvertising(missing, feats), false);
  assert.equal(hasExtendedAdvertising(undefined, feats), false);
});

test('fuzz: the reassembler fed arbitrary fragments never throws, stays bounded and never returns more than its limit', () => {
  const frag = fc.record({
    eventType: fc.integer({ min: 0, max: 0x7f }),
    address: fc.constantFrom('C0:00:00:00:00:01', 'C0:00:00:00:00:02', 'C0:00:00:00:00:03', 'C0:00:00:00:00:04'),
    advertisingSid: fc.integer({ min: 0, max: 3 }),
    data: fc.uint8Array({ maxLength: 229 }).map((a) => Buffer.from(a)),
  });
  fc.assert(
    fc.property(fc.array(frag, { maxLength: 40 }), (frags) => {
      const asm = new ExtendedReportAssembler(600, 3);
      for (const f of frags) {
        const out = asm.push(report(f));
        assert.ok(asm.size <= 3);
        if (out) assert.ok(out.data.length <= 600);
      }
    }),
    { numRuns: 5_000 },
  );
});
