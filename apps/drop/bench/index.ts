// Throughput of a drop transfer beside a raw libp2p stream on the same loopback connection,
// in one run. Prints figures; asserts nothing. BENCH_MB (default 256) and BENCH_RUNS (3).
import { createCipheriv } from 'node:crypto';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pairkit, type Channel } from 'pairkit';
import { receiveFiles, sendFiles } from '../src/index.js';

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_MB ?? 256) * MB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CHUNK = 256 * 1024;
const LOOPBACK = ['/ip4/127.0.0.1/tcp/0'];

async function writeFileOf(path: string, size: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 1), Buffer.alloc(16));
  const zeros = Buffer.alloc(MB);
  const fh = await open(path, 'w');
  for (let left = size; left > 0; left -= MB) await fh.write(cipher.update(zeros.subarray(0, Math.min(MB, left))));
  await fh.close();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Raw libp2p stream: the sender writes SIZE bytes with send()/onDrain (no framing, no hashing), the receiver counts and answers one byte. */
async function rawRun(b: Pairkit, to: string, size = SIZE): Promise<number> {
  const ch = await b.openChannel(to, '/bench/raw/1.0.0');
  const stream = ch.stream;
  const block = new Uint8Array(CHUNK).fill(7);
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < size; sent += CHUNK) {
    if (!stream.send(block)) await stream.onDrain();
  }
  await stream.close();
  for await (const _ of ch) break; // the receiver's one-byte answer: everything arrived
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return size / MB / secs;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'drop-bench-'));
  const a = await Pairkit.open({ home: join(root, 'a'), name: 'bench-a', listen: LOOPBACK, mdns: false });
  const b = await Pairkit.open({ home: join(root, 'b'), name: 'bench-b', listen: LOOPBACK, mdns: false, bootstrap: a.addresses });
  try {
    const inv = a.initiatePairing();
    await Promise.all([inv.paired, b.joinPairing(inv.code)]);
    const aId = a.identity.deviceId;

    await a.handle('/bench/raw/1.0.0', async (ch: Channel) => {
      let n = 0;
      for await (const chunk of ch) n += chunk.byteLength; // the channel owns incoming data
      if (n % CHUNK !== 0) throw new Error(`raw: got ${n} bytes, not whole chunks`);
      ch.stream.send(new Uint8Array([1]));
    });
    let outDir = '';
    await a.handle('/bench/drop/1.0.0', async (ch: Channel) => {
      await receiveFiles(ch, { dir: outDir, sender: ch.device.deviceId });
    });

    const src = join(root, 'payload.bin');
    await writeFileOf(src, SIZE);
    const dropRun = async (i: number, file: string, size: number): Promise<number> => {
      outDir = join(root, `out-${i}`);
      await mkdir(outDir);
      const t0 = process.hrtime.bigint();
      await sendFiles(await b.openChannel(aId, '/bench/drop/1.0.0'), [file]);
      const mbs = size / MB / (Number(process.hrtime.bigint() - t0) / 1e9);
      await rm(outDir, { recursive: true, force: true });
      return mbs;
    };
    // Warm up (yamux windows grow, JIT): not measured.
    const warm = join(root, 'warm.bin');
    await writeFileOf(warm, 16 * MB);
    await rawRun(b, aId, 16 * MB);
    await dropRun(-1, warm, 16 * MB);
    const raw: number[] = [];
    const drop: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // alternate the order so neither always runs on a "fresher" machine
      if (i % 2 === 0) {
        raw.push(await rawRun(b, aId));
        drop.push(await dropRun(i, src, SIZE));
      } else {
        drop.push(await dropRun(i, src, SIZE));
        raw.push(await rawRun(b, aId));
      }
    }
    const fmt = (xs: number[]): string => `median ${median(xs).toFixed(1)} MB/s (runs: ${xs.map((x) => x.toFixed(1)).join(', ')})`;
    console.log(`drop bench: ${SIZE / MB} MiB per run, ${RUNS} runs, one loopback libp2p connection (TCP + Noise + Yamux)`);
    console.log(`  raw libp2p stream          ${fmt(raw)}`);
    console.log(`  drop (file -> file, sha256) ${fmt(drop)}`);
    console.log(`  drop / raw                 ${((median(drop) / median(raw)) * 100).toFixed(0)}%`);
  } finally {
    await b.close();
    await a.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
