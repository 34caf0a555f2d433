import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The README's examples are the files in examples/: run each one (compiled) in its own process
// and check that the README shows exactly that source.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

async function runExample(file: string): Promise<string> {
  const source = await readFile(join(pkg, 'examples', file), 'utf8');
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  assert.ok(readme.includes('```ts\n' + source + '```'), `README.md must show examples/${file} verbatim`);
  const { stdout } = await run(process.execPath, [join(pkg, 'dist', 'examples', file.replace(/\.ts$/, '.js'))], {
    cwd: pkg,
    timeout: 30_000,
    env: { ...process.env, DEBUG: '' },
  });
  return stdout;
}

test('README example numeric-comparison.ts: both sides show the same 6 digits and pair at level 4', { timeout: 60_000 }, async () => {
  const stdout = await runExample('numeric-comparison.ts');
  const phone = /^phone shows (\d{6})$/m.exec(stdout);
  const watch = /^watch shows (\d{6})$/m.exec(stdout);
  assert.ok(phone && watch, `both sides show a number:\n${stdout}`);
  assert.equal(phone[1], watch[1], 'the user sees the same number on both');
  assert.match(stdout, /^phone paired: security level 4, model NumericComparison$/m);
  assert.match(stdout, /^watch paired: security level 4, model NumericComparison$/m);
  assert.doesNotMatch(stdout, /failed/);
});

test('README example toolbox.ts prints the spec values of f4 and g2 (from the vectors file)', { timeout: 60_000 }, async () => {
  const vectors = JSON.parse(await readFile(join(pkg, 'test', 'fixtures', 'smp-vectors.json'), 'utf8'));
  const stdout = await runExample('toolbox.ts');
  assert.match(stdout, new RegExp(`^f4 = ${vectors.f4.output}$`, 'm'));
  assert.match(stdout, new RegExp(`^g2 = ${vectors.g2.output}, both screens show ${vectors.g2.derived.numericComparisonValue}$`, 'm'));
});
