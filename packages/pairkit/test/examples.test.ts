import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The README's examples are the files in examples/: this test runs each one (compiled) and
// checks that the README shows exactly that source.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

const examples: Record<string, RegExp[]> = {
  'quickstart.ts': [/^paired phone <-> laptop, both show \d{6}$/m, /^reply: HELLO OVER LIBP2P$/m, /^opened: secret note$/m],
  'ble-proximity.ts': [/^phone: ble-compare$/m, /^phone: handover$/m, /^speaker paired with phone \(both, bonded: true\)$/m],
  'watch-and-remove.ts': [/^tablet sees: added$/m, /^removed, peer told: true$/m, /^tablet: desktop removed us$/m, /^open refused: DEVICE_REMOVED$/m],
};

for (const [file, expected] of Object.entries(examples)) {
  test(`README example ${file} runs and prints what the README says`, { timeout: 120_000 }, async () => {
    const source = await readFile(join(pkg, 'examples', file), 'utf8');
    const readme = await readFile(join(pkg, 'README.md'), 'utf8');
    assert.ok(readme.includes('```ts\n' + source + '```'), `README.md must show examples/${file} verbatim`);
    const { stdout } = await run(process.execPath, [join(pkg, 'dist', 'examples', file.replace(/\.ts$/, '.js'))], {
      cwd: pkg,
      timeout: 90_000,
      env: { ...process.env, DEBUG: '' },
    });
    for (const re of expected) assert.match(stdout, re);
  });
}
