import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BtsnoopWriter,
  HciError,
  buildCommand,
  buildEvent,
  createPacketPipe,
  encodeAcl,
  parseBtsnoop,
  readBtsnoop,
} from '../src/index.js';

test('BTSnoop: a tapped transport writes H4 records that parse back to the same packets', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pairkit-btsnoop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'x.btsnoop');
  let clock = 1_700_000_000_000_000n;
  const w = new BtsnoopWriter(file, () => (clock += 10n));
  const [hostSide, ctrlSide] = createPacketPipe();
  const tapped = w.tap(hostSide);
  const sent = [buildCommand('HCI_Reset', {}), encodeAcl(0x40, 0, 0, Buffer.from('0100040002', 'hex'))];
  const received = [buildEvent('Command_Complete', { numHciCommandPackets: 1, commandOpcode: 0x0c03, returnParameters: Buffer.from([0]) }), encodeAcl(0x40, 2, 0, Buffer.from('00000400', 'hex'))];
  const got: Buffer[] = [];
  tapped.on('data', (p) => got.push(p));
  tapped.write(sent[0]);
  ctrlSide.write(received[0]);
  await new Promise((r) => setImmediate(r));
  tapped.write(sent[1]);
  ctrlSide.write(received[1]);
  await new Promise((r) => setImmediate(r));
  await tapped.close();
  await w.close();
  assert.deepEqual(got, received);

  const bytes = await readFile(file);
  assert.equal(bytes.subarray(0, 8).toString('latin1'), 'btsnoop\0');
  assert.equal(bytes.readUInt32BE(12), 1002);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const recs = await readBtsnoop(file);
  assert.deepEqual(
    recs.map((r) => [r.direction, r.packet.toString('hex'), r.flags]),
    [
      ['sent', sent[0].toString('hex'), 2],
      ['received', received[0].toString('hex'), 3],
      ['sent', sent[1].toString('hex'), 0],
      ['received', received[1].toString('hex'), 1],
    ],
  );
  assert.deepEqual(recs.map((r) => r.timestampUs), [1_700_000_000_000_010n, 1_700_000_000_000_020n, 1_700_000_000_000_030n, 1_700_000_000_000_040n]);
});

test('BTSnoop: bad files are typed errors', () => {
  assert.throws(() => parseBtsnoop(Buffer.from('not a capture')), (e: unknown) => e instanceof HciError && e.code === 'BTSNOOP_FORMAT');
  const h = Buffer.alloc(16);
  h.write('btsnoop\0', 'latin1');
  h.writeUInt32BE(1, 8);
  h.writeUInt32BE(1001, 12);
  assert.throws(() => parseBtsnoop(h), (e: unknown) => e instanceof HciError && /1001/.test(e.message));
  h.writeUInt32BE(1002, 12);
  assert.deepEqual(parseBtsnoop(h), []);
  assert.throws(() => parseBtsnoop(Buffer.concat([h, Buffer.alloc(10)])), (e: unknown) => e instanceof HciError && e.code === 'BTSNOOP_FORMAT');
});
