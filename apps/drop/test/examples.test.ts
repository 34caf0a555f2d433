import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the README library example is examples/library.ts verbatim, and it runs', { timeout: 120_000 }, async () => {
  const source = await readFile(join(pkg, 'examples', 'library.ts'), 'utf8');
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  assert.ok(readme.includes('```ts\n' + source + '```'), 'README.md must show examples/library.ts verbatim');
  const { stdout } = await promisify(execFile)(process.execPath, [join(pkg, 'dist', 'examples', 'library.js')], {
    timeout: 90_000,
    env: { ...process.env, DEBUG: '' },
  });
  assert.match(stdout, /^sent report\.txt, sha256 [0-9a-f]{12}\.\.\.$/m);
  assert.match(stdout, /^desk has inbox\/report\.txt: "quarterly numbers\\n", 1 file\(s\)$/m);
});
