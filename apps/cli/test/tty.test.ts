// `pair remove` on a real terminal (a pseudo-terminal driven by a small Python script): the
// confirmation prompt, answered with y, with n, and interrupted with Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DeviceRegistry } from '@pairkit/registry';
import { MAIN, tempDir } from './helpers/pair.js';
import { addDevice } from './helpers/devices.js';

// The script sits beside the sources (tsc does not copy it into dist).
const IN_PTY = fileURLToPath(new URL('../../test/fixtures/in-pty.py', import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0;

interface PtyRun {
  exit: number;
  answered: boolean;
  output: string;
}

function onTerminal(home: string, args: string[], answer: string): PtyRun {
  const out = execFileSync(
    'python3',
    [IN_PTY, '[y/N]', Buffer.from(answer).toString('hex'), '60', process.execPath, MAIN, '--home', home, ...args],
    { env: { PATH: process.env.PATH, HOME: home, TERM: 'xterm' }, encoding: 'utf8' },
  );
  return JSON.parse(out) as PtyRun;
}

async function names(home: string): Promise<string[]> {
  const reg = await DeviceRegistry.open({ home });
  try {
    return reg.list().map((d) => d.name).sort();
  } finally {
    reg.close();
  }
}

test('pair remove on a terminal: Ctrl-C at the prompt exits 130 and removes nothing; "n" exits 1; "y" removes', { skip: python ? false : 'python3 is needed to drive a pseudo-terminal' }, async (t) => {
  const home = tempDir(t);
  await addDevice(home, { name: 'laptop' });

  const interrupted = onTerminal(home, ['remove', 'laptop'], '\x03');
  assert.equal(interrupted.answered, true, `the prompt was shown: ${interrupted.output}`);
  assert.match(interrupted.output, /Remove laptop/i);
  assert.equal(interrupted.exit, 130, interrupted.output);
  assert.deepEqual(await names(home), ['laptop']);

  const no = onTerminal(home, ['remove', 'laptop'], 'n\r');
  assert.equal(no.answered, true);
  assert.equal(no.exit, 1, no.output);
  assert.deepEqual(await names(home), ['laptop']);

  const yes = onTerminal(home, ['remove', 'laptop'], 'y\r');
  assert.equal(yes.exit, 0, yes.output);
  assert.match(yes.output, /removed laptop/);
  assert.deepEqual(await names(home), []);
});
