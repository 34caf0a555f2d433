import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export async function tempDir(t: TestContext, prefix = 'drop-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function randomFile(dir: string, name: string, size: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, randomBytes(size));
  return path;
}

/** A sparse file larger than the whole file system holding `dir`: it takes no room, and can never fit there. */
export async function sparseFileOverFs(path: string, dir: string): Promise<string> {
  const fs = await statfs(dir);
  const fh = await open(path, 'w');
  await fh.truncate(fs.blocks * fs.bsize + 2 ** 30);
  await fh.close();
  return path;
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/**
 * Writes `size` deterministic pseudo-random bytes (AES-CTR keystream) in 1 MiB blocks, never
 * holding the file in memory; returns its SHA-256.
 */
export async function generateFile(path: string, size: number, seed = 'drop-test'): Promise<string> {
  const { createCipheriv, createHash: hashOf } = await import('node:crypto');
  const { open } = await import('node:fs/promises');
  const key = hashOf('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  const hash = hashOf('sha256');
  const fh = await open(path, 'w');
  try {
    for (let left = size; left > 0; ) {
      const block = cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
      hash.update(block);
      await fh.write(block);
      left -= block.length;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** SHA-256 of a file, streamed. */
export async function sha256Stream(path: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
