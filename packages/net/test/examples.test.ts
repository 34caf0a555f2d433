import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The README's example is examples/pair-on-loopback.ts: run it (compiled) in its own process
// and check that the README shows exactly that source.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

test('README example pair-on-loopback.ts: two nodes pair with a code and show the same 6 digits', { timeout: 120_000 }, async () => {
  const source = await readFile(join(pkg, 'examples', 'pair-on-loopback.ts'), 'utf8');
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  assert.ok(readme.includes('```ts\n' + source + '```'), 'README.md must show examples/pair-on-loopback.ts verbatim');
  const { stdout } = await run(process.execPath, [join(pkg, 'dist', 'examples', 'pair-on-loopback.js')], {
    cwd: pkg,
    timeout: 90_000,
    env: { ...process.env, DEBUG: '', PAIRKIT_HOME: '' },
  });
  const phone = /^phone paired with laptop, shows (\d{6})$/m.exec(stdout);
  const laptop = /^laptop paired with phone, shows (\d{6})$/m.exec(stdout);
  assert.ok(phone && laptop, `both sides report the pairing:\n${stdout}`);
  assert.equal(phone[1], laptop[1], 'both sides show the same verification digits');
  assert.match(stdout, /^laptop's devices: phone$/m);
});
