import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The README's example is examples/numeric-comparison.ts: run it (compiled) in its own process
// and check that the README shows exactly that source.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

test('README example numeric-comparison.ts: both sides show the same 6 digits and pair at level 4', { timeout: 60_000 }, async () => {
  const source = await readFile(join(pkg, 'examples', 'numeric-comparison.ts'), 'utf8');
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  assert.ok(readme.includes('```ts\n' + source + '```'), 'README.md must show examples/numeric-comparison.ts verbatim');
  const { stdout } = await run(process.execPath, [join(pkg, 'dist', 'examples', 'numeric-comparison.js')], {
    cwd: pkg,
    timeout: 30_000,
    env: { ...process.env, DEBUG: '' },
  });
  const phone = /^phone shows (\d{6})$/m.exec(stdout);
  const watch = /^watch shows (\d{6})$/m.exec(stdout);
  assert.ok(phone && watch, `both sides show a number:\n${stdout}`);
  assert.equal(phone[1], watch[1], 'the user sees the same number on both');
  assert.match(stdout, /^phone paired: security level 4, model NumericComparison$/m);
  assert.match(stdout, /^watch paired: security level 4, model NumericComparison$/m);
  assert.doesNotMatch(stdout, /failed/);
});
