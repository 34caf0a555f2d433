import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  DropError,
  DropReceiver,
  DropSender,
  FrameDecoder,
  FrameType,
  MAX_DATA_PAYLOAD,
  encodeControl,
  encodeFrame,
  type ReceiverAction,
  type SenderAction,
} from '../src/index.js';

function sent(actions: (SenderAction | ReceiverAction)[]): Uint8Array[] {
  return actions.filter((a) => a.type === 'send').map((a) => (a as { bytes: Uint8Array }).bytes);
}

function errorCode(actions: (SenderAction | ReceiverAction)[]): string | undefined {
  const e = actions.find((a) => a.type === 'error') as { error: DropError } | undefined;
  return e?.error.code;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}

test('the sender never has more bytes in flight than the receiver granted', () => {
  const size = 5 * 1024 * 1024;
  const sender = new DropSender([{ name: 'f.bin', size, mtimeMs: 1 }], { chunkSize: 64 * 1024 });
  sender.start();
  const window = 1024 * 1024;
  let actions = sender.receive(encodeControl(FrameType.ACCEPT, { window, files: [{ offset: 0 }] }));
  let inFlight = 0;
  let total = 0;
  let credits = 0;
  // Provide every read immediately; grant credit back only every few rounds.
  for (let round = 0; round < 10_000 && total < size; round++) {
    const read = actions.find((a) => a.type === 'read') as Extract<SenderAction, { type: 'read' }> | undefined;
    if (read !== undefined) {
      actions = sender.provide(new Uint8Array(read.length));
      const dataBytes = actions
        .filter((a) => a.type === 'send' && a.bytes[0] === FrameType.DATA)
        .reduce((n, a) => n + (a as { bytes: Uint8Array }).bytes.length - 5, 0);
      inFlight += dataBytes;
      total += dataBytes;
      assert.ok(inFlight <= window, `in flight ${inFlight} > window ${window}`);
      continue;
    }
    // stalled: no read without credit
    assert.equal(inFlight, window);
    credits++;
    actions = sender.receive(encodeControl(FrameType.CREDIT, { bytes: window / 2 }));
    inFlight -= window / 2;
  }
  assert.equal(total, size);
  assert.ok(credits >= 8, `sender had to wait for credit ${credits} times`);
  assert.ok(actions.some((a) => a.type === 'send' && a.bytes[0] === FrameType.FILE_END));
});

test('a receiver refuses a sender that ignores flow control', () => {
  const r = new DropReceiver();
  r.receive(encodeControl(FrameType.OFFER, { version: 1, files: [{ name: 'a', size: 10 * 1024 * 1024, mtimeMs: 0 }] }));
  r.accept([], { window: 1024 * 1024 });
  r.receive(encodeControl(FrameType.FILE_START, { index: 0, offset: 0 }));
  const chunk = encodeFrame(FrameType.DATA, new Uint8Array(512 * 1024));
  assert.equal(errorCode(r.receive(chunk)), undefined);
  assert.equal(errorCode(r.receive(chunk)), undefined);
  const out = r.receive(chunk);
  assert.equal(errorCode(out), 'DROP_PROTOCOL');
  // and says so to the sender
  assert.equal(sent(out)[0]![0], FrameType.ERROR);
});

for (const [name, why] of [
  ['../../etc/passwd', 'path separator'],
  ['a\\b', 'path separator'],
  ['..', 'not a file name'],
  ['', 'empty'],
  ['bell\u0007', 'control'],
  ['x'.repeat(256), '255 bytes'],
  ['movie.part', 'reserved'],
]) {
  test(`an offer naming ${JSON.stringify(name.slice(0, 20))} is refused (${why})`, () => {
    const r = new DropReceiver();
    const out = r.receive(encodeControl(FrameType.OFFER, { version: 1, files: [{ name, size: 1, mtimeMs: 0 }] }));
    assert.equal(errorCode(out), 'DROP_BAD_OFFER');
    assert.equal(out.some((a) => a.type === 'offer'), false);
  });
}

test('offers with bad shapes are refused', () => {
  const bad: unknown[] = [
    { version: 2, files: [{ name: 'a', size: 1, mtimeMs: 0 }] },
    { version: 1, files: [] },
    { version: 1, files: [{ name: 'a', size: -1, mtimeMs: 0 }] },
    { version: 1, files: [{ name: 'a', size: 1.5, mtimeMs: 0 }] },
    { version: 1, files: [{ name: 'a', size: 1, mtimeMs: 0, path: '/etc' }] },
    { version: 1, files: [{ name: 'a', size: 1, mtimeMs: 0 }, { name: 'a', size: 2, mtimeMs: 0 }] },
  ];
  for (const body of bad) {
    const code = errorCode(new DropReceiver().receive(encodeControl(FrameType.OFFER, body)));
    assert.ok(code === 'DROP_BAD_OFFER' || code === 'DROP_PROTOCOL', `${JSON.stringify(body)} gave ${code}`);
  }
  assert.equal(errorCode(new DropReceiver().receive(encodeFrame(FrameType.OFFER, Buffer.from('{not json')))), 'DROP_PROTOCOL');
});

test('frames out of order are protocol errors', () => {
  const offer = encodeControl(FrameType.OFFER, { version: 1, files: [{ name: 'a', size: 4, mtimeMs: 0 }] });
  // data before any FILE_START
  let r = new DropReceiver();
  r.receive(offer);
  r.accept();
  assert.equal(errorCode(r.receive(encodeFrame(FrameType.DATA, new Uint8Array(4)))), 'DROP_PROTOCOL');
  // FILE_START before accept
  r = new DropReceiver();
  r.receive(offer);
  assert.equal(errorCode(r.receive(encodeControl(FrameType.FILE_START, { index: 0, offset: 0 }))), 'DROP_PROTOCOL');
  // resume at an offset the receiver never offered
  r = new DropReceiver();
  r.receive(offer);
  r.accept();
  assert.equal(errorCode(r.receive(encodeControl(FrameType.FILE_START, { index: 0, offset: 2 }))), 'DROP_PROTOCOL');
  // more data than the announced size
  r = new DropReceiver();
  r.receive(offer);
  r.accept();
  r.receive(encodeControl(FrameType.FILE_START, { index: 0, offset: 0 }));
  assert.equal(errorCode(r.receive(encodeFrame(FrameType.DATA, new Uint8Array(5)))), 'DROP_PROTOCOL');
  // FILE_END early
  r = new DropReceiver();
  r.receive(offer);
  r.accept();
  r.receive(encodeControl(FrameType.FILE_START, { index: 0, offset: 0 }));
  r.receive(encodeFrame(FrameType.DATA, new Uint8Array(3)));
  assert.equal(errorCode(r.receive(encodeControl(FrameType.FILE_END, { index: 0, sha256: '0'.repeat(64) }))), 'DROP_PROTOCOL');
  // the sender gets an ACCEPT with a prefix hash but no offset
  const s = new DropSender([{ name: 'a', size: 4, mtimeMs: 0 }]);
  s.start();
  assert.equal(errorCode(s.receive(encodeControl(FrameType.ACCEPT, { window: 10, files: [{ offset: 0, prefixSha256: '0'.repeat(64) }] }))), 'DROP_PROTOCOL');
});

test('the receiver verifies the whole-file hash, including a resumed prefix', () => {
  const data = Buffer.from('hello, resumable world');
  const r = new DropReceiver();
  r.receive(encodeControl(FrameType.OFFER, { version: 1, files: [{ name: 'h.txt', size: data.length, mtimeMs: 0 }] }));
  const prefix = createHash('sha256').update(data.subarray(0, 7));
  const accept = r.accept([{ offset: 7, hash: prefix }]);
  const body = JSON.parse(Buffer.from(sent(accept)[0]!.subarray(5)).toString());
  assert.deepEqual(body.files, [{ offset: 7, prefixSha256: createHash('sha256').update(data.subarray(0, 7)).digest('hex') }]);
  r.receive(encodeControl(FrameType.FILE_START, { index: 0, offset: 7 }));
  r.receive(encodeFrame(FrameType.DATA, data.subarray(7)));
  const end = r.receive(encodeControl(FrameType.FILE_END, { index: 0, sha256: createHash('sha256').update(data).digest('hex') }));
  const fe = end.find((a) => a.type === 'file-end') as Extract<ReceiverAction, { type: 'file-end' }>;
  assert.equal(fe.ok, true);
  assert.ok(end.some((a) => a.type === 'done'));
});

test('decoder: frames survive any split of the byte stream; oversize and unknown frames are refused', () => {
  const frames = [
    encodeControl(FrameType.OFFER, { version: 1, files: [{ name: 'a', size: 3, mtimeMs: 0 }] }),
    encodeFrame(FrameType.DATA, Buffer.from('abc')),
    encodeControl(FrameType.CREDIT, { bytes: 3 }),
    encodeFrame(FrameType.DATA, new Uint8Array(0)),
  ];
  const stream = concat(frames);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 10 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const d = new FrameDecoder();
      const got: { type: number; payload: Uint8Array }[] = [];
      let at = 0;
      for (const p of [...points, stream.length]) {
        got.push(...d.push(stream.subarray(at, p)));
        at = p;
      }
      assert.equal(got.length, frames.length);
      got.forEach((f, i) => assert.deepEqual(Buffer.from(encodeFrame(f.type as FrameType, f.payload)), Buffer.from(frames[i]!)));
      assert.equal(d.buffered, 0);
    }),
  );
  const big = Buffer.alloc(5);
  big[0] = FrameType.DATA;
  big.writeUInt32BE(MAX_DATA_PAYLOAD + 1, 1);
  assert.throws(() => new FrameDecoder().push(big), (e: DropError) => e.code === 'DROP_FRAME_TOO_LARGE');
  assert.throws(() => new FrameDecoder().push(Buffer.from([99, 0, 0, 0, 0])), (e: DropError) => e.code === 'DROP_PROTOCOL');
});
