import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DropProcess, runDrop, type DropEvent } from './helpers/proc.js';
import { pairHomes, removeFrom } from './helpers/pairing.js';
import { generateFile, randomFile, sha256Stream, sparseFileOverFs } from './helpers/files.js';

// Real processes, real libp2p on loopback. The receiver prints its address; the sender uses
// it as --bootstrap, so no LAN discovery is needed.

const MB = 1024 * 1024;
const BIG = 200 * MB;
const common = ['--json', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'];

describe('drop between two processes', { timeout: 240_000 }, () => {
  let root: string;
  let homeR: string;
  let homeS: string;
  let homeU: string;
  let homeX: string;
  let homeO: string;
  let senderId: string;
  let otherId: string;
  let bigFile: string;
  let bigHash: string;
  const running: DropProcess[] = [];

  function receiver(dir: string, extra: string[] = [], home = homeR): DropProcess {
    const p = new DropProcess(['receive', '--home', home, '--dir', dir, ...common, ...extra]);
    running.push(p);
    return p;
  }

  async function addressOf(p: DropProcess): Promise<string> {
    const e = await p.waitFor((x) => x.event === 'listening', 'listening');
    return (e.addrs as string[])[0]!;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'drop-cli-'));
    homeR = join(root, 'home-r');
    homeS = join(root, 'home-s');
    homeU = join(root, 'home-u');
    homeX = join(root, 'home-x');
    homeO = join(root, 'home-o');
    senderId = (await pairHomes(homeR, 'receiver', homeS, 'sender')).b;
    await pairHomes(homeR, 'receiver', homeX, 'ex-friend');
    otherId = (await pairHomes(homeR, 'receiver', homeO, 'other')).b;
    bigFile = join(root, 'big.bin');
    bigHash = await generateFile(bigFile, BIG);
  });

  after(async () => {
    for (const p of running) p.kill();
    await Promise.all(running.map((p) => p.exited));
    await rm(root, { recursive: true, force: true });
  });

  test('--help documents both commands and the exit codes', async () => {
    const r = await runDrop(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /send/);
    assert.match(r.stdout, /receive/);
    assert.match(r.stdout, /Exit codes/);
    const s = await runDrop(['send', '--help']);
    assert.match(s.stdout, /--home/);
    assert.match(s.stdout, /--json/);
    const bad = await runDrop(['send']);
    assert.equal(bad.code, 2);
    const rh = await runDrop(['receive', '--help']);
    assert.equal(rh.code, 0);
    for (const word of ['--from <device>', '--max-size <size>', 'DROP_NOT_ALLOWED', 'DROP_TOO_LARGE', 'DROP_NO_SPACE']) assert.ok(rh.stdout.includes(word), word);
  });

  test('receive --from and --max-size: other devices and large offers are refused, the sender is told why, nothing is written', async () => {
    const out = join(root, 'out-limits');
    await mkdir(out);
    // by id prefix and by name, repeated
    const r = receiver(out, ['--from', senderId.slice(0, 8), '--from', 'other', '--max-size', '1K']);
    const addr = await addressOf(r);
    const listening = r.events.find((e) => e.event === 'listening')!;
    assert.deepEqual(listening.from, [
      { deviceId: senderId, name: 'sender' },
      { deviceId: otherId, name: 'other' },
    ]);
    assert.equal(listening.maxBytes, 1024);
    const fits = await randomFile(root, 'fits.bin', 1024);
    const over = await randomFile(root, 'over.bin', 1025);

    const ok = await runDrop(['send', 'receiver', fits, '--home', homeS, ...common, '--bootstrap', addr]);
    assert.equal(ok.code, 0, ok.stderr);

    const large = await runDrop(['send', 'receiver', over, '--home', homeO, ...common, '--bootstrap', addr]);
    assert.equal(large.code, 4, large.stderr);
    const tooLarge = large.events.find((e) => e.event === 'failed')!;
    assert.equal(tooLarge.code, 'DROP_TOO_LARGE');
    assert.equal(tooLarge.reason, "the receiver refused: 1 file of 1025 bytes is over this receiver's limit of 1024 bytes");
    const seen = await r.waitFor((e) => e.event === 'refused' && e.code === 'DROP_TOO_LARGE', 'the receiver reports the refusal');
    assert.deepEqual(seen.from, { deviceId: otherId, name: 'other' });

    const stranger = await runDrop(['send', 'receiver', fits, '--home', homeX, ...common, '--bootstrap', addr]);
    assert.equal(stranger.code, 3, stranger.stderr);
    const notAllowed = stranger.events.find((e) => e.event === 'failed')!;
    assert.equal(notAllowed.code, 'DROP_NOT_ALLOWED');
    assert.equal(notAllowed.reason, 'the receiver refused: this receiver only accepts files from selected devices');
    const refused = await r.waitFor((e) => e.event === 'refused' && e.code === 'DROP_NOT_ALLOWED', 'the receiver reports the refusal');
    assert.equal((refused.from as { name: string }).name, 'ex-friend');
    // the receiver did not even show what ex-friend offered
    assert.deepEqual(r.events.filter((e) => e.event === 'offer').map((e) => (e.from as { name: string }).name), ['sender', 'other']);

    assert.deepEqual(await readdir(out), ['fits.bin'], 'refused offers left nothing, not even a .part');
    r.kill('SIGTERM');
    assert.equal(await r.exited, 0);
  });

  test('receive refuses an offer larger than the free disk space; a device --from leaves out does not use up --once', async (t) => {
    const out = join(root, 'out-space');
    await mkdir(out);
    const huge = await sparseFileOverFs(join(root, 'huge.img'), out);
    t.after(() => rm(huge, { force: true }));

    const r = receiver(out, ['--once', '--from', 'sender']);
    const addr = await addressOf(r);
    // without --json: the refusal and its reason on stderr
    const file = await randomFile(root, 'hi.txt', 10);
    const stranger = await runDrop(['send', 'receiver', file, '--home', homeX, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', addr]);
    assert.equal(stranger.code, 3);
    assert.match(stranger.stderr, /^drop: the receiver refused: this receiver only accepts files from selected devices$/m);
    await r.waitFor((e) => e.event === 'refused', 'the receiver reports the refusal');

    // still serving (--once waits for sender): this offer is the one that ends it
    const s = await runDrop(['send', 'receiver', huge, '--home', homeS, ...common, '--bootstrap', addr]);
    assert.equal(s.code, 4, s.stderr);
    const f = s.events.find((e) => e.event === 'failed')!;
    assert.equal(f.code, 'DROP_NO_SPACE');
    assert.match(String(f.reason), /^the receiver refused: not enough disk space: 1 file needs [\d.]+ [GT]iB, [\d.]+ [KMGT]?i?B free$/);
    assert.equal(await r.exited, 4);
    assert.deepEqual(r.events.filter((e) => e.event === 'refused').map((e) => e.code), ['DROP_NOT_ALLOWED', 'DROP_NO_SPACE']);
    assert.deepEqual(await readdir(out), [], 'nothing written, not even a .part');
  });

  test('receive: an unknown --from device and a bad --max-size are errors before listening', async () => {
    const out = join(root, 'out-bad-args');
    const unknown = await runDrop(['receive', '--home', homeR, '--dir', out, ...common, '--from', 'sender', '--from', 'nosuch']);
    assert.equal(unknown.code, 3);
    const f = unknown.events.find((e) => e.event === 'failed')!;
    assert.equal(f.code, 'NOT_PAIRED');
    assert.match(String(f.reason), /^--from nosuch: no paired device "nosuch" \(see the paired devices with: pair list\)$/);
    assert.equal(unknown.events.some((e) => e.event === 'listening'), false);
    const human = await runDrop(['receive', '--home', homeR, '--dir', out, '--no-mdns', '--from', 'nosuch']);
    assert.equal(human.code, 3);
    assert.match(human.stderr, /^drop: --from nosuch: no paired device "nosuch"/m);
    const size = await runDrop(['receive', '--home', homeR, '--dir', out, ...common, '--max-size', '12 apples']);
    assert.equal(size.code, 2);
    assert.equal(size.events.find((e) => e.event === 'failed')!.code, 'DROP_USAGE');
    assert.match(String(size.events.find((e) => e.event === 'failed')!.reason), /bad size "12 apples"/);
  });

  test('bad file arguments are usage errors (exit 2) before any connection', async () => {
    const missing = await runDrop(['send', 'receiver', join(root, 'no-such-file'), '--home', homeS, ...common]);
    assert.equal(missing.code, 2);
    assert.match(String(missing.events.find((e) => e.event === 'failed')!.reason), /cannot read .*no-such-file: ENOENT/);
    assert.equal(missing.events.some((e) => e.event === 'connecting'), false);
    const dir = await runDrop(['send', 'receiver', root, '--home', homeS, ...common]);
    assert.equal(dir.code, 2);
    const file = await randomFile(root, 'twice.txt', 10);
    const twice = await runDrop(['send', 'receiver', file, file, '--home', homeS, ...common]);
    assert.equal(twice.code, 2);
    assert.match(String(twice.events.find((e) => e.event === 'failed')!.reason), /two files are named twice\.txt/);
  });

  test('a 200 MB file goes through with flat memory on both sides and an identical hash', async (t) => {
    const out = join(root, 'out-big');
    await mkdir(out);
    // Baseline: the same two processes moving a 64 KiB file.
    const small = await randomFile(root, 'small.bin', 64 * 1024);
    const r0 = receiver(out, ['--once']);
    const s0 = await runDrop(['send', 'receiver', small, '--home', homeS, ...common, '--bootstrap', await addressOf(r0)]);
    assert.equal(s0.code, 0, s0.stderr);
    assert.equal(await r0.exited, 0);
    const baseR = (r0.events.find((e) => e.event === 'done')!.peakRssBytes as number);
    const baseS = (s0.events.find((e) => e.event === 'done')!.peakRssBytes as number);

    const r = receiver(out, ['--once']);
    const s = await runDrop(['send', 'receiver', bigFile, '--home', homeS, ...common, '--bootstrap', await addressOf(r)]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(await r.exited, 0, r.stderr);
    const received = r.events.find((e) => e.event === 'received')!;
    assert.equal(received.sha256, bigHash);
    assert.equal(await sha256Stream(join(out, 'big.bin')), bigHash);
    const progress = s.events.filter((e) => e.event === 'progress');
    assert.ok(progress.length >= 2, 'progress lines were printed');
    assert.equal(progress.at(-1)!.bytes, BIG);
    const peakR = r.events.find((e) => e.event === 'done')!.peakRssBytes as number;
    const peakS = s.events.find((e) => e.event === 'done')!.peakRssBytes as number;
    const done = s.events.find((e) => e.event === 'done') as DropEvent & { seconds: number };
    t.diagnostic(`200 MB: sender peak RSS ${(peakS / MB).toFixed(0)} MB (baseline ${(baseS / MB).toFixed(0)} MB), receiver peak RSS ${(peakR / MB).toFixed(0)} MB (baseline ${(baseR / MB).toFixed(0)} MB), ${(BIG / MB / done.seconds).toFixed(0)} MB/s`);
    // Flat: far less growth than the file's size (buffering it would add 200 MB).
    assert.ok(peakS - baseS < 120 * MB, `sender grew by ${((peakS - baseS) / MB).toFixed(0)} MB`);
    assert.ok(peakR - baseR < 120 * MB, `receiver grew by ${((peakR - baseR) / MB).toFixed(0)} MB`);
    await rm(join(out, 'big.bin'));
  });

  test('a transfer interrupted by kill -9 of the sender resumes and ends identical', async (t) => {
    const out = join(root, 'out-resume');
    await mkdir(out);
    const r = receiver(out); // stays up across both attempts
    const addr = await addressOf(r);
    const s1 = new DropProcess(['send', 'receiver', bigFile, '--home', homeS, ...common, '--bootstrap', addr]);
    running.push(s1);
    await s1.waitFor((e) => e.event === 'progress' && (e.bytes as number) >= 60 * MB, '60 MB sent');
    s1.kill('SIGKILL');
    assert.equal(await s1.exited, null);
    const failed = await r.waitFor((e) => e.event === 'failed', 'the receiver noticed');
    assert.equal(failed.code, 'DROP_CLOSED');
    const part = await stat(join(out, 'big.bin.part'));
    assert.ok(part.size > 0 && part.size < BIG, `partial copy of ${part.size} bytes`);
    assert.deepEqual((await readdir(out)).sort(), ['big.bin.part', 'big.bin.part.json']);

    const s2 = await runDrop(['send', 'receiver', bigFile, '--home', homeS, ...common, '--bootstrap', addr]);
    assert.equal(s2.code, 0, s2.stderr);
    const start = s2.events.find((e) => e.event === 'file-start')!;
    assert.equal(start.resumed, true);
    assert.ok((start.offset as number) >= 60 * MB - 8 * MB, `resumed at ${String(start.offset)}`);
    const got = await r.waitFor((e) => e.event === 'received', 'received');
    t.diagnostic(`resumed at ${((start.offset as number) / MB).toFixed(1)} MB of 200 MB`);
    assert.equal(got.resumedFrom, start.offset);
    assert.equal(got.sha256, bigHash);
    assert.equal(await sha256Stream(join(out, 'big.bin')), bigHash);
    assert.deepEqual(await readdir(out), ['big.bin']);
    r.kill('SIGTERM');
    assert.equal(await r.exited, 0);
    await rm(join(out, 'big.bin'));
  });

  test('a receiver killed with kill -9 keeps its partial copy; the next transfer resumes after checking it', async (t) => {
    const out = join(root, 'out-receiver-killed');
    await mkdir(out);
    const r1 = receiver(out);
    const s1 = new DropProcess(['send', 'receiver', bigFile, '--home', homeS, ...common, '--bootstrap', await addressOf(r1)]);
    running.push(s1);
    await r1.waitFor((e) => e.event === 'progress' && (e.bytes as number) >= 40 * MB, '40 MB received');
    r1.kill('SIGKILL');
    assert.equal(await r1.exited, null);
    assert.notEqual(await s1.exited, 0, 'the sender reports the lost receiver');
    assert.ok(s1.events.some((e) => e.event === 'failed'));
    const part = await stat(join(out, 'big.bin.part'));
    assert.ok(part.size >= 40 * MB - 8 * MB && part.size < BIG, `partial copy of ${part.size} bytes`);

    const r2 = receiver(out, ['--once']);
    const s2 = await runDrop(['send', 'receiver', bigFile, '--home', homeS, ...common, '--bootstrap', await addressOf(r2)]);
    assert.equal(s2.code, 0, s2.stderr);
    assert.equal(await r2.exited, 0);
    const got = r2.events.find((e) => e.event === 'received')!;
    t.diagnostic(`receiver restarted; resumed at ${((got.resumedFrom as number) / MB).toFixed(1)} MB`);
    assert.ok((got.resumedFrom as number) > 0);
    assert.equal(got.sha256, bigHash);
    assert.equal(await sha256Stream(join(out, 'big.bin')), bigHash);
    await rm(join(out, 'big.bin'));
  });

  test('an unpaired device is refused with a clear message and exit code 3', async () => {
    const file = await randomFile(root, 'note.txt', 100);
    const r = await runDrop(['send', 'receiver', file, '--home', homeU, ...common]);
    assert.equal(r.code, 3);
    const f = r.events.find((e) => e.event === 'failed')!;
    assert.equal(f.code, 'NOT_PAIRED');
    // PAIRKIT_HOME works like --home; without --json the reason goes to stderr
    const human = await runDrop(['send', 'receiver', file, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'], { PAIRKIT_HOME: homeU });
    assert.equal(human.code, 3);
    assert.match(human.stderr, /drop: no paired device "receiver"/);
  });

  test('a removed device is refused by the receiver, and cannot send after removing it either', async () => {
    const out = join(root, 'out-removed');
    await mkdir(out);
    await removeFrom(homeR, 'ex-friend'); // the receiver dropped ex-friend while it was offline
    const r = receiver(out);
    const addr = await addressOf(r);
    const file = await randomFile(root, 'hello.txt', 1000);
    const s = await runDrop(['send', 'receiver', file, '--home', homeX, ...common, '--bootstrap', addr]);
    assert.equal(s.code, 3, s.stderr);
    const f = s.events.find((e) => e.event === 'failed')!;
    assert.ok(f.code === 'PEER_NOT_PAIRED' || f.code === 'DEVICE_REMOVED', String(f.code));
    if (f.code === 'PEER_NOT_PAIRED') {
      assert.match(String(f.reason), /refused/);
      await r.waitFor((e) => e.event === 'refused', 'refused event');
    }
    assert.deepEqual(await readdir(out), [], 'nothing was written');
    r.kill('SIGTERM');
    await r.exited;

    // ex-friend drops the receiver too: sending is refused locally
    await removeFrom(homeX, 'receiver');
    const again = await runDrop(['send', 'receiver', file, '--home', homeX, ...common]);
    assert.equal(again.code, 3);
    assert.ok(['DEVICE_REMOVED', 'NOT_PAIRED'].includes(String(again.events.find((e) => e.event === 'failed')!.code)));
  });
});
