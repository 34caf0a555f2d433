import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The README's example is examples/in-memory.ts: run it (compiled) in its own process and check
// that the README shows exactly that source.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

test('README example in-memory.ts pairs two handlers that show the same 6 digits', { timeout: 60_000 }, async () => {
  const source = await readFile(join(pkg, 'examples', 'in-memory.ts'), 'utf8');
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  assert.ok(readme.includes('```ts\n' + source + '```'), 'README.md must show examples/in-memory.ts verbatim');
  const { stdout } = await run(process.execPath, [join(pkg, 'dist', 'examples', 'in-memory.js')], {
    cwd: pkg,
    timeout: 30_000,
    env: { ...process.env, DEBUG: '' },
  });
  const laptop = /^laptop paired with phone, verification (\d{6})$/m.exec(stdout);
  const phone = /^phone paired with laptop, verification (\d{6})$/m.exec(stdout);
  assert.ok(laptop && phone, `both sides report the pairing:\n${stdout}`);
  assert.equal(laptop[1], phone[1], 'both sides show the same verification digits');
  assert.doesNotMatch(stdout, /failed/);
});
