// The SMP vectors for hci's own crypto (ah): $PAIRKIT_SMP_VECTORS, else shared/vectors above
// the package (CI), else the in-repo copy kept by the smp package (a clone anywhere).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHARED = join('shared', 'vectors', 'smp-vectors.json');

function packageRoot(): string {
  // tsc does not copy JSON into dist: paths are taken from the package root, not this file
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('no package.json above the hci tests');
  }
}

export function smpVectorsFile(): string {
  const fromEnv = process.env.PAIRKIT_SMP_VECTORS;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PAIRKIT_SMP_VECTORS points at a missing file: ${fromEnv}`);
    return fromEnv;
  }
  const root = packageRoot();
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, SHARED))) return join(dir, SHARED);
    if (dirname(dir) === dir) break;
  }
  const copy = join(root, '..', 'smp', 'test', 'fixtures', 'smp-vectors.json');
  if (!existsSync(copy)) throw new Error(`smp-vectors.json not found: no ${SHARED} above ${root} and no ${copy}`);
  return copy;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadSmpVectors(): any {
  return JSON.parse(readFileSync(smpVectorsFile(), 'utf8'));
}
