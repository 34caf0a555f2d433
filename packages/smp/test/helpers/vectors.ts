// Loads the shared SMP vectors. They live outside the repo (../shared/vectors next to it), so we
// walk up from this file; a missing file is an error, never a skipped test.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RELATIVE = join('shared', 'vectors', 'smp-vectors.json');

export function findVectorsFile(): string {
  const fromEnv = process.env.PAIRKIT_SMP_VECTORS;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PAIRKIT_SMP_VECTORS points at a missing file: ${fromEnv}`);
    return fromEnv;
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`smp-vectors.json not found: looked for ${RELATIVE} in every folder above ${fileURLToPath(import.meta.url)}`);
}

// The JSON is loosely typed on purpose: tests index it by the names the file uses.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function loadVectors(): Json {
  return JSON.parse(readFileSync(findVectorsFile(), 'utf8'));
}
