import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HciError, L2capChannel, type ChannelIo } from '../src/index.js';

function make(over: Partial<ConstructorParameters<typeof L2capChannel>[0]> = {}) {
  const frames: Buffer[] = [];
  const credits: number[] = [];
  let disconnects = 0;
  const io: ChannelIo = {
    sendFrame: async (_cid, p) => {
      frames.push(p);
    },
    sendCredits: (_cid, n) => credits.push(n),
    disconnect: async () => {
      disconnects++;
    },
  };
  const ch = new L2capChannel(
    { psm: 0x80, localCid: 0x40, remoteCid: 0x41, localMtu: 100, remoteMtu: 100, localMps: 30, remoteMps: 30, txCredits: 2, rxCredits: 4, ...over },
    io,
  );
  return { ch, frames, credits, disconnects: () => disconnects };
}

const kframes = (sdu: Buffer, mps: number) => {
  const out: Buffer[] = [];
  const first = Buffer.alloc(Math.min(sdu.length + 2, mps));
  first.writeUInt16LE(sdu.length, 0);
  sdu.copy(first, 2, 0, first.length - 2);
  out.push(first);
  for (let off = first.length - 2; off < sdu.length; off += mps) out.push(sdu.subarray(off, off + mps));
  return out;
};

test('SDU segmentation: first K-frame carries the SDU length, each frame costs a credit', async () => {
  const { ch, frames } = make();
  const sdu = Buffer.alloc(70, 1);
  const w = ch.write(sdu);
  await new Promise((r) => setImmediate(r));
  assert.equal(frames.length, 2, 'two credits, two frames');
  assert.equal(frames[0].readUInt16LE(0), 70);
  assert.equal(frames[0].length, 30);
  ch.addCredits(5);
  await w;
  assert.equal(frames.length, 3);
  assert.deepEqual(Buffer.concat([frames[0].subarray(2), frames[1], frames[2]]), sdu);
  assert.equal(ch.credits.tx, 4);
});

test('SDUs larger than the peer MTU are refused with TOO_LARGE', async () => {
  const { ch } = make();
  await assert.rejects(ch.write(Buffer.alloc(101)), (e: unknown) => e instanceof HciError && e.code === 'TOO_LARGE');
});

test('receive backpressure: credits return only while unread data stays under the bound', async () => {
  const { ch, credits } = make({ localMtu: 60, localMps: 30, rxCredits: 4 });
  // 4 SDUs of 28 bytes = 4 frames; bound is max(MTU, credits*MPS) = 120 bytes of unread SDUs.
  for (let i = 0; i < 4; i++) for (const f of kframes(Buffer.alloc(28, i), 30)) ch.receiveFrame(f);
  const afterFour = credits.reduce((a, b) => a + b, 0);
  assert.equal(afterFour, 4, 'all four frames were within the bound');
  for (let i = 0; i < 2; i++) for (const f of kframes(Buffer.alloc(28, 9), 30)) ch.receiveFrame(f);
  // 6 x 28 = 168 bytes queued: some credits were withheld.
  const withheldPhase = credits.reduce((a, b) => a + b, 0);
  assert.ok(withheldPhase < 6, `credits returned while over the bound: ${withheldPhase}`);
  const got: Buffer[] = [];
  for (let i = 0; i < 6; i++) got.push((await ch.read())!);
  assert.deepEqual(got.map((b) => b[0]), [0, 1, 2, 3, 9, 9]);
  assert.equal(credits.reduce((a, b) => a + b, 0), 6, 'reading gave the withheld credits back');
});

test('a K-frame without credits or over MPS closes the channel with L2CAP_PROTOCOL', async () => {
  const b = make({ rxCredits: 2 });
  const bClosed = new Promise<HciError | undefined>((r) => b.ch.once('close', r));
  b.ch.receiveFrame(Buffer.alloc(31));
  const err = await bClosed;
  assert.equal(err?.code, 'L2CAP_PROTOCOL');
  assert.equal(b.disconnects(), 1);
  await assert.rejects(b.ch.read(), (e: unknown) => e instanceof HciError && e.code === 'L2CAP_PROTOCOL');
});

test('credit overflow beyond 65535 is a protocol error', async () => {
  const { ch } = make({ txCredits: 65000 });
  const closed = new Promise<HciError | undefined>((r) => ch.once('close', r));
  ch.addCredits(1000);
  assert.equal((await closed)?.code, 'L2CAP_PROTOCOL');
});

test('read() after a clean close returns null; pending writes fail', async () => {
  const { ch } = make({ txCredits: 0 });
  const w = ch.write(Buffer.from('x'));
  const r = ch.read();
  ch.ended(undefined);
  assert.equal(await r, null);
  await assert.rejects(w, (e: unknown) => e instanceof HciError && e.code === 'CLOSED');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(make().ch.read(ac.signal));
});
