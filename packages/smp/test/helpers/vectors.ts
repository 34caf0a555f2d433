// Loads the SMP vectors (Core Spec sample data). Where from, first match wins:
//   1. $PAIRKIT_SMP_VECTORS,
//   2. shared/vectors/smp-vectors.json in a folder above the package (CI keeps shared/ beside the clone),
//   3. the copy in the repo, test/fixtures/smp-vectors.json (a clone anywhere else still runs).
// A missing file is an error, never a skipped test.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHARED = join('shared', 'vectors', 'smp-vectors.json');
const FIXTURE = join('test', 'fixtures', 'smp-vectors.json');

/** The folder holding this package's package.json: tsc does not copy JSON into dist. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** shared/vectors/smp-vectors.json in the nearest folder above the package, if there is one. */
export function sharedVectorsFile(): string | undefined {
  for (let dir = dirname(packageRoot()); ; dir = dirname(dir)) {
    const candidate = join(dir, SHARED);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The in-repo copy. */
export function fixtureVectorsFile(): string {
  return join(packageRoot(), FIXTURE);
}

export function findVectorsFile(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PAIRKIT_SMP_VECTORS;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PAIRKIT_SMP_VECTORS points at a missing file: ${fromEnv}`);
    return fromEnv;
  }
  const file = sharedVectorsFile() ?? fixtureVectorsFile();
  if (!existsSync(file)) throw new Error(`smp-vectors.json not found: no ${SHARED} above the package and no ${file}`);
  return file;
}

// The JSON is loosely typed on purpose: tests index it by the names the file uses.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function loadVectors(): Json {
  return JSON.parse(readFileSync(findVectorsFile(), 'utf8'));
}
