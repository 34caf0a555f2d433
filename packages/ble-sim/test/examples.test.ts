import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The README's example is examples/two-hosts.ts: run it (compiled) in its own process and check
// that the README shows exactly that source.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

test('README example two-hosts.ts: scan finds the advertiser, connect, a channel round trip', { timeout: 60_000 }, async () => {
  const source = await readFile(join(pkg, 'examples', 'two-hosts.ts'), 'utf8');
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  assert.ok(readme.includes('```ts\n' + source + '```'), 'README.md must show examples/two-hosts.ts verbatim');
  const { stdout } = await run(process.execPath, [join(pkg, 'dist', 'examples', 'two-hosts.js')], {
    cwd: pkg,
    timeout: 30_000,
    env: { ...process.env, DEBUG: '' },
  });
  assert.match(stdout, /^phone found pairkit-sensor at ([0-9A-F]{2}:){5}[0-9A-F]{2}$/m);
  assert.match(stdout, /^connected: phone is central, sensor is peripheral$/m);
  assert.match(stdout, /^sensor replied: HELLO OVER THE SIMULATED AIR$/m);
});
