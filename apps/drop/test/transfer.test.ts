import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, truncate, writeFile, utimes, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DropError, freeSpace, receiveFiles, sendFiles, type TransferEvent } from '../src/index.js';
import { duplexPair } from './helpers/duplex.js';
import { randomFile, sha256File, sparseFileOverFs, tempDir } from './helpers/files.js';

async function dirs(t: Parameters<typeof tempDir>[0]): Promise<{ src: string; dst: string }> {
  const root = await tempDir(t);
  const src = join(root, 'src');
  const dst = join(root, 'dst');
  await mkdir(src);
  await mkdir(dst);
  return { src, dst };
}

async function rejection(p: Promise<unknown>): Promise<DropError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DropError, `expected DropError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the promise to reject');
}

test('files arrive whole, hash-checked, under their names, with no .part left', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'photo.jpg', 3 * 1024 * 1024 + 17);
  const b = await randomFile(src, 'empty.txt', 0);
  const [x, y] = duplexPair({ fragment: 9000 });
  const events: TransferEvent[] = [];
  const [sent, received] = await Promise.all([sendFiles(x, [a, b]), receiveFiles(y, { dir: dst, sender: 'dev-a', onEvent: (e) => events.push(e) })]);
  assert.deepEqual(sent.map((f) => f.name), ['photo.jpg', 'empty.txt']);
  assert.equal(sent[0]!.sha256, await sha256File(a));
  assert.deepEqual(received.map((f) => f.sha256), sent.map((f) => f.sha256));
  assert.equal(await sha256File(join(dst, 'photo.jpg')), await sha256File(a));
  assert.equal((await stat(join(dst, 'empty.txt'))).size, 0);
  assert.deepEqual((await readdir(dst)).sort(), ['empty.txt', 'photo.jpg']);
  const last = events.filter((e) => e.type === 'progress' && e.name === 'photo.jpg').at(-1);
  assert.deepEqual(last, { type: 'progress', name: 'photo.jpg', bytes: 3 * 1024 * 1024 + 17, size: 3 * 1024 * 1024 + 17 });
});

test('an existing file is not overwritten: the new one gets a free name', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'notes.txt', 1000);
  await writeFile(join(dst, 'notes.txt'), 'mine, keep me');
  const [x, y] = duplexPair();
  const [, received] = await Promise.all([sendFiles(x, [a]), receiveFiles(y, { dir: dst, sender: 'dev-a' })]);
  assert.equal(received[0]!.path, join(dst, 'notes (1).txt'));
  assert.equal(await readFile(join(dst, 'notes.txt'), 'utf8'), 'mine, keep me');
  assert.equal(await sha256File(join(dst, 'notes (1).txt')), await sha256File(a));
});

/** Runs a transfer and cancels the sender after `cutAfter` bytes arrived at the receiver. */
async function interrupted(src: string, dst: string, cutAfter: number, sender = 'dev-a'): Promise<void> {
  const [x, y] = duplexPair();
  const ac = new AbortController();
  const s = sendFiles(x, [src], { signal: ac.signal });
  const r = receiveFiles(y, {
    dir: dst,
    sender,
    onEvent: (e) => {
      if (e.type === 'progress' && e.bytes >= cutAfter) ac.abort();
    },
  });
  const [se, re] = await Promise.all([rejection(s), rejection(r)]);
  assert.equal(se.code, 'DROP_ABORTED');
  assert.equal(re.code, 'DROP_CLOSED');
}

test('an interrupted transfer resumes from the partial copy and ends identical', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'big.bin', 6 * 1024 * 1024);
  await interrupted(a, dst, 2 * 1024 * 1024);
  const have = (await stat(join(dst, 'big.bin.part'))).size;
  assert.ok(have >= 2 * 1024 * 1024 && have < 6 * 1024 * 1024, `partial copy of ${have} bytes`);
  const [x, y] = duplexPair();
  const events: TransferEvent[] = [];
  const [, received] = await Promise.all([
    sendFiles(x, [a], { onEvent: (e) => events.push(e) }),
    receiveFiles(y, { dir: dst, sender: 'dev-a' }),
  ]);
  assert.equal(received[0]!.resumedFrom, have);
  assert.deepEqual(events.find((e) => e.type === 'file-start'), { type: 'file-start', name: 'big.bin', size: 6 * 1024 * 1024, offset: have, resumed: true });
  // only the missing part crossed the wire the second time
  assert.equal(x.written < 6 * 1024 * 1024 - have + 64 * 1024, true, `sent ${x.written}`);
  assert.equal(await sha256File(join(dst, 'big.bin')), await sha256File(a));
  assert.deepEqual(await readdir(dst), ['big.bin']);
});

test('a partial copy that does not match the sender prefix is sent again from zero', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'doc.pdf', 2 * 1024 * 1024);
  await interrupted(a, dst, 512 * 1024);
  // corrupt one byte of the partial copy (a receiver crash could leave garbage)
  const part = join(dst, 'doc.pdf.part');
  const bytes = await readFile(part);
  bytes[100] ^= 0xff;
  await writeFile(part, bytes);
  const [x, y] = duplexPair();
  const [, received] = await Promise.all([sendFiles(x, [a]), receiveFiles(y, { dir: dst, sender: 'dev-a' })]);
  assert.equal(received[0]!.resumedFrom, 0);
  assert.equal(await sha256File(join(dst, 'doc.pdf')), await sha256File(a));
});

test('a partial copy from another sender or of a changed file is not resumed', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'v.bin', 8 * 1024 * 1024);
  await interrupted(a, dst, 256 * 1024, 'dev-other');
  let [x, y] = duplexPair();
  let [, received] = await Promise.all([sendFiles(x, [a]), receiveFiles(y, { dir: dst, sender: 'dev-a' })]);
  assert.equal(received[0]!.resumedFrom, 0);
  assert.equal(await sha256File(join(dst, 'v.bin')), await sha256File(a));

  const dst2 = join(dst, 'second');
  await mkdir(dst2);
  await interrupted(a, dst2, 256 * 1024);
  await utimes(a, new Date(), new Date(Date.now() + 5000)); // the file was edited since
  [x, y] = duplexPair();
  [, received] = await Promise.all([sendFiles(x, [a]), receiveFiles(y, { dir: dst2, sender: 'dev-a' })]);
  assert.equal(received[0]!.resumedFrom, 0);
});

test('bytes changed in transit are caught by the hash check and nothing is kept', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'x.bin', 1024 * 1024);
  let flipped = false;
  const [x, y] = duplexPair({
    tamperAtoB: (bytes, before) => {
      // flip one byte well inside the file data (past the offer and FILE_START frames)
      if (!flipped && before + bytes.length > 600_000 && bytes.length > 1000) {
        flipped = true;
        bytes[500] ^= 0x01;
      }
      return bytes;
    },
  });
  const [s, r] = await Promise.allSettled([sendFiles(x, [a]), receiveFiles(y, { dir: dst, sender: 'dev-a' })]);
  assert.ok(flipped);
  assert.equal(s.status === 'rejected' && (s.reason as DropError).code, 'DROP_HASH_MISMATCH');
  assert.equal(r.status === 'rejected' && (r.reason as DropError).code, 'DROP_HASH_MISMATCH');
  assert.deepEqual(await readdir(dst), []);
});

test('a declined offer fails the sender with DROP_REJECTED and writes nothing', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'a.bin', 1000);
  const [x, y] = duplexPair();
  const [s, r] = await Promise.allSettled([
    sendFiles(x, [a]),
    receiveFiles(y, { dir: dst, sender: 'dev-a', decide: (offer) => (offer.files[0]!.size > 10 ? 'too big' : true) }),
  ]);
  assert.equal(s.status === 'rejected' && (s.reason as DropError).code, 'DROP_REJECTED');
  assert.match((s as PromiseRejectedResult).reason.message, /too big/);
  assert.equal(r.status === 'rejected' && (r.reason as DropError).code, 'DROP_REJECTED');
  assert.deepEqual(await readdir(dst), []);
});

/** Runs one transfer of `paths` and returns both sides' error codes (or 'ok'). */
async function outcome(paths: string[], receive: Omit<Parameters<typeof receiveFiles>[1], 'sender'>): Promise<{ s: string; r: string; message: string }> {
  const [x, y] = duplexPair();
  const [s, r] = await Promise.allSettled([sendFiles(x, paths), receiveFiles(y, { sender: 'dev-a', ...receive })]);
  const code = (p: PromiseSettledResult<unknown>): string => (p.status === 'fulfilled' ? 'ok' : (p.reason as DropError).code);
  return { s: code(s), r: code(r), message: s.status === 'rejected' ? (s.reason as Error).message : '' };
}

test('maxBytes: an offer over the limit is refused with DROP_TOO_LARGE on both sides; one at the limit goes through', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'a.bin', 3000);
  const b = await randomFile(src, 'b.bin', 2000);
  const over = await outcome([a, b], { dir: dst, maxBytes: 4999 });
  assert.deepEqual([over.s, over.r], ['DROP_TOO_LARGE', 'DROP_TOO_LARGE']);
  assert.equal(over.message, "the receiver refused: 2 files of 5000 bytes is over this receiver's limit of 4999 bytes");
  assert.deepEqual(await readdir(dst), [], 'nothing written, not even a .part');
  const exact = await outcome([a, b], { dir: dst, maxBytes: 5000 });
  assert.deepEqual([exact.s, exact.r], ['ok', 'ok']);
  assert.deepEqual((await readdir(dst)).sort(), ['a.bin', 'b.bin']);
});

test('an offer larger than the free space of the target file system is refused with DROP_NO_SPACE', async (t) => {
  const { src, dst } = await dirs(t);
  assert.ok((await freeSpace(dst)) !== undefined, 'statfs works here (else the offer would be accepted)');
  const huge = await sparseFileOverFs(join(src, 'huge.img'), dst);
  const r = await outcome([huge], { dir: dst });
  assert.deepEqual([r.s, r.r], ['DROP_NO_SPACE', 'DROP_NO_SPACE']);
  assert.match(r.message, /^the receiver refused: not enough disk space: 1 file needs [\d.]+ [GT]iB, [\d.]+ [KMGT]?i?B free$/);
  assert.deepEqual(await readdir(dst), [], 'nothing written, not even a .part');
});

test('decide can refuse with a reason code the sender gets (NOT_ALLOWED), writing nothing', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'a.bin', 10);
  const r = await outcome([a], { dir: dst, decide: () => ({ code: 'NOT_ALLOWED', message: 'not you' }) });
  assert.deepEqual([r.s, r.r], ['DROP_NOT_ALLOWED', 'DROP_NOT_ALLOWED']);
  assert.equal(r.message, 'the receiver refused: not you');
  assert.deepEqual(await readdir(dst), []);
});

test('a missing source file is a usage error before anything is sent', async (t) => {
  const { src } = await dirs(t);
  const [x] = duplexPair();
  const e = await rejection(sendFiles(x, [join(src, 'nope.bin')]));
  assert.equal(e.code, 'DROP_USAGE');
  assert.equal(x.written, 0);
});

test('a file that shrinks while being sent fails with DROP_SOURCE_CHANGED', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 's.bin', 4 * 1024 * 1024);
  const [x, y] = duplexPair();
  let cut = false;
  const [s] = await Promise.allSettled([
    sendFiles(x, [a], {
      onEvent: (e) => {
        if (!cut && e.type === 'progress' && e.bytes > 1024 * 1024) {
          cut = true;
          void truncate(a, 1024 * 1024);
        }
      },
    }),
    receiveFiles(y, { dir: dst, sender: 'dev-a' }),
  ]);
  assert.equal(s.status === 'rejected' && (s.reason as DropError).code, 'DROP_SOURCE_CHANGED');
});

test('a peer that goes silent fails the transfer instead of hanging it', async (t) => {
  const { dst } = await dirs(t);
  const [x, y] = duplexPair();
  // the "sender" offers a file, then says nothing more
  const { encodeControl, FrameType } = await import('../src/index.js');
  await x.write(encodeControl(FrameType.OFFER, { version: 1, files: [{ name: 'a.bin', size: 10, mtimeMs: 0 }] }));
  const e = await rejection(receiveFiles(y, { dir: dst, sender: 'dev-a', idleTimeoutMs: 300 }));
  assert.equal(e.code, 'DROP_CLOSED');
  assert.match(e.message, /no data/);
});

test('a symlink planted as the partial file is not followed', async (t) => {
  const { src, dst } = await dirs(t);
  const { symlink } = await import('node:fs/promises');
  const victim = join(src, 'victim.txt');
  await writeFile(victim, 'precious');
  await symlink(victim, join(dst, 'evil.bin.part'));
  const a = await randomFile(src, 'evil.bin', 5000);
  const [x, y] = duplexPair();
  const [s, r] = await Promise.allSettled([sendFiles(x, [a]), receiveFiles(y, { dir: dst, sender: 'dev-a' })]);
  assert.equal(s.status, 'rejected');
  assert.equal(r.status === 'rejected' && (r.reason as DropError).code, 'DROP_IO');
  assert.equal(await readFile(victim, 'utf8'), 'precious');
});

test('an already-aborted signal cancels before anything is sent', async (t) => {
  const { src, dst } = await dirs(t);
  const a = await randomFile(src, 'a.bin', 1000);
  const [x, y] = duplexPair();
  const e = await rejection(sendFiles(x, [a], { signal: AbortSignal.abort() }));
  assert.equal(e.code, 'DROP_ABORTED');
  assert.equal(x.written, 0);
  const e2 = await rejection(receiveFiles(y, { dir: dst, sender: 'dev-a', signal: AbortSignal.abort() }));
  assert.equal(e2.code, 'DROP_ABORTED');
});
