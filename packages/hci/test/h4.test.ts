import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H4Deframer, buildCommand, buildEvent, encodeAcl } from '../src/index.js';

const packets = [
  buildCommand('HCI_Reset', {}),
  buildEvent('Disconnection_Complete', { status: 0, connectionHandle: 1, reason: 0x13 }),
  encodeAcl(1, 0, 0, Buffer.alloc(300, 7)),
  buildEvent('Number_Of_Completed_Packets', { handles: [{ connectionHandle: 1, numCompletedPackets: 2 }] }),
];
const stream = Buffer.concat(packets);

test('H4 deframer: byte-by-byte split', () => {
  const d = new H4Deframer();
  const got: Buffer[] = [];
  for (const byte of stream) {
    const r = d.push(Buffer.from([byte]));
    assert.deepEqual(r.errors, []);
    got.push(...r.packets);
  }
  assert.deepEqual(got, packets);
  assert.equal(d.buffered, 0);
});

test('H4 deframer: all merged in one chunk, and arbitrary splits', () => {
  assert.deepEqual(new H4Deframer().push(stream).packets, packets);
  for (const cut of [1, 2, 3, 5, 17, 310, stream.length - 1]) {
    const d = new H4Deframer();
    const a = d.push(stream.subarray(0, cut));
    const b = d.push(stream.subarray(cut));
    assert.deepEqual([...a.packets, ...b.packets], packets);
  }
});

test('H4 deframer: garbage gives UNKNOWN_PACKET_TYPE and resyncs', () => {
  const d = new H4Deframer();
  const r = d.push(Buffer.concat([Buffer.from([0xff, 0xee]), packets[1]]));
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0].code, 'UNKNOWN_PACKET_TYPE');
  assert.deepEqual(r.packets, [packets[1]]);
});

test('H4 deframer: size limit gives TOO_LARGE; close mode stops for good', () => {
  const d = new H4Deframer({ maxPayload: 100, onError: 'close' });
  const r = d.push(Buffer.concat([packets[2], packets[1]]));
  assert.equal(r.errors[0].code, 'TOO_LARGE');
  assert.deepEqual(r.packets, []);
  assert.equal(d.closedError?.code, 'TOO_LARGE');
  assert.equal(d.push(packets[1]).errors[0].code, 'CLOSED');
});

test('H4 deframer: only the types a side expects', () => {
  const host = new H4Deframer({ types: [2, 4, 5] });
  const r = host.push(Buffer.concat([packets[0], packets[1]]));
  assert.equal(r.errors[0].code, 'UNKNOWN_PACKET_TYPE');
  assert.ok(r.packets.some((p) => p.equals(packets[1])));
});
