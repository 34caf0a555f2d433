import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The README's example is examples/handover.ts: run it (compiled) in its own process and check
// that the README shows exactly that source.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

test('README example handover.ts: the joiner opens the code, another link and a late open fail', { timeout: 60_000 }, async () => {
  const source = await readFile(join(pkg, 'examples', 'handover.ts'), 'utf8');
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  assert.ok(readme.includes('```ts\n' + source + '```'), 'README.md must show examples/handover.ts verbatim');
  const { stdout } = await run(process.execPath, [join(pkg, 'dist', 'examples', 'handover.js')], {
    cwd: pkg,
    timeout: 30_000,
    env: { ...process.env, DEBUG: '' },
  });
  assert.match(stdout, /^initiator sends \d+ sealed octets on PSM 0x81$/m);
  assert.match(stdout, /^joiner dials 12D3KooW\w+ at \/ip4\/127\.0\.0\.1\/tcp\/4001, same code: true$/m);
  assert.match(stdout, /^on another link: DECRYPT_FAILED$/m);
  assert.match(stdout, /^ten minutes later: EXPIRED$/m);
});
