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
  checkFreeSpace,
  checkMaxSize,
  encodeControl,
  encodeFrame,
  parseSize,
  spaceNeeded,
  type Offer,
  type ReceiverAction,
  type RejectCode,
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

/** A sender that offered `files` and got `reply` back; returns its actions. */
function senderGets(reply: Uint8Array, files = [{ name: 'a.bin', size: 10, mtimeMs: 0 }]): SenderAction[] {
  const s = new DropSender(files);
  s.start();
  return s.receive(reply);
}

function rejectBody(frame: Uint8Array): Record<string, unknown> {
  assert.equal(frame[0], FrameType.REJECT);
  return JSON.parse(Buffer.from(frame.subarray(5)).toString('utf8')) as Record<string, unknown>;
}

for (const [code, error] of [
  ['NOT_ALLOWED', 'DROP_NOT_ALLOWED'],
  ['TOO_LARGE', 'DROP_TOO_LARGE'],
  ['NO_SPACE', 'DROP_NO_SPACE'],
  ['DECLINED', 'DROP_REJECTED'],
] as const) {
  test(`a REJECT with ${code} ends both sides with ${error}, and the sender answers nothing`, () => {
    const r = new DropReceiver();
    r.receive(encodeControl(FrameType.OFFER, { version: 1, files: [{ name: 'a.bin', size: 10, mtimeMs: 0 }] }));
    const out = r.reject('because', code);
    assert.equal(errorCode(out), error);
    assert.equal(r.state, 'failed');
    const frames = sent(out);
    assert.equal(frames.length, 1);
    assert.deepEqual(rejectBody(frames[0]!), { code, message: 'because' });
    // the sender's side of the same frame
    const s = senderGets(frames[0]!);
    assert.equal(errorCode(s), error);
    const e = s.find((a) => a.type === 'error') as { error: DropError };
    assert.match(e.error.message, /because/);
    assert.deepEqual(sent(s), [], 'no ERROR frame back: the receiver already knows');
    assert.equal(s.some((a) => a.type === 'read'), false, 'not one byte of the file is read');
  });
}

test('REJECT stays compatible: a reason code this version does not know is a plain decline', () => {
  // a newer receiver with a new reason, and an old one that only ever sent DECLINED
  assert.equal(errorCode(senderGets(encodeControl(FrameType.REJECT, { code: 'QUOTA', message: 'over quota', limit: 5 }))), 'DROP_REJECTED');
  assert.equal(errorCode(senderGets(encodeControl(FrameType.REJECT, { code: 'DECLINED', message: 'no' }))), 'DROP_REJECTED');
  assert.equal(errorCode(senderGets(encodeControl(FrameType.REJECT, {}))), 'DROP_REJECTED');
  // the receiver core only sends codes it knows
  const r = new DropReceiver();
  r.receive(encodeControl(FrameType.OFFER, { version: 1, files: [{ name: 'a', size: 1, mtimeMs: 0 }] }));
  assert.throws(() => r.reject('x', 'QUOTA' as RejectCode), /unknown reject code/);
});

test("the receiver's reason reaches the sender without terminal control characters", () => {
  const out = senderGets(encodeControl(FrameType.REJECT, { code: 'TOO_LARGE', message: 'big\u001b[2J\u0007 file\u009b' }));
  const e = out.find((a) => a.type === 'error') as { error: DropError };
  assert.equal(e.error.code, 'DROP_TOO_LARGE');
  assert.equal(e.error.message, 'the receiver refused: big?[2J? file?');
});

const offerOf = (...sizes: number[]): Offer => ({ version: 1, files: sizes.map((size, i) => ({ name: `f${i}`, size, mtimeMs: 0 })) });

test('--max-size: an offer whose total is over the limit is TOO_LARGE; exactly the limit is fine', () => {
  assert.equal(checkMaxSize(offerOf(600, 424), 1024), undefined);
  const r = checkMaxSize(offerOf(600, 425), 1024);
  assert.equal(r?.code, 'TOO_LARGE');
  // sizes that would round to the same text are shown in bytes
  assert.equal(r?.message, "2 files of 1025 bytes is over this receiver's limit of 1024 bytes");
  assert.equal(checkMaxSize(offerOf(3 * 1024 * 1024), 1024 * 1024)?.message, "1 file of 3.0 MiB is over this receiver's limit of 1.0 MiB");
  assert.equal(checkMaxSize(offerOf(10 ** 12), undefined), undefined);
  assert.equal(checkMaxSize(offerOf(0), 0), undefined);
  assert.equal(checkMaxSize(offerOf(1), 0)?.code, 'TOO_LARGE');
});

test('free space: whole blocks per file plus one for its resume record; bytes already held count', () => {
  // 1 byte takes a block; 4096 exactly one; 4097 two; plus a block each for .part.json
  assert.equal(spaceNeeded(offerOf(1, 4096, 4097, 0), [], 4096), 4096 * (1 + 1 + 2 + 0) + 4 * 4096);
  // resuming: only the missing 1000 bytes of the first file
  assert.equal(spaceNeeded(offerOf(1_000_000), [999_000], 4096), 4096 + 4096);
  const needed = spaceNeeded(offerOf(1_000_000, 5), [], 512);
  assert.equal(checkFreeSpace(offerOf(1_000_000, 5), [], { available: needed, blockSize: 512 }), undefined);
  const r = checkFreeSpace(offerOf(1_000_000, 5), [], { available: needed - 1, blockSize: 512 });
  assert.equal(r?.code, 'NO_SPACE');
  assert.equal(r!.message, `not enough disk space: 2 files need 979 KiB, 978 KiB free`);
  assert.equal(
    checkFreeSpace(offerOf(100), [], { available: 1500, blockSize: 1000 })?.message,
    'not enough disk space: 1 file needs 2.0 KiB, 1.5 KiB free',
  );
  // what is already on disk is not asked for twice
  assert.equal(checkFreeSpace(offerOf(1_000_000), [1_000_000 - 100], { available: 1024, blockSize: 512 }), undefined);
});

test('SIZE arguments: bytes, K/M/G/T (1024) and KB/MB/GB (1000); anything else is a usage error', () => {
  const MiB = 1024 * 1024;
  assert.equal(parseSize('500M'), 500 * MiB);
  assert.equal(parseSize('2G'), 2 * 1024 * MiB);
  assert.equal(parseSize('2g'), 2 * 1024 * MiB);
  assert.equal(parseSize('1.5GiB'), 1.5 * 1024 * MiB);
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('4096B'), 4096);
  assert.equal(parseSize('1K'), 1024);
  assert.equal(parseSize('10MB'), 10_000_000);
  assert.equal(parseSize(' 3 T '), 3 * 1024 ** 4);
  for (const bad of ['', 'M', '-1', '1e3', '5X', '2 GB extra', '0x10', '1.5.2K', '9'.repeat(20)]) {
    assert.throws(() => parseSize(bad), (e: DropError) => e.code === 'DROP_USAGE', bad);
  }
});
