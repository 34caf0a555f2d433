// Lazy command loading: which modules a command line needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandWord, selectCommands, subcommandWord, type LazyCommand } from '../src/util/commands.js';
import { oneJson, pair, tempDir } from './helpers/pair.js';

const table: LazyCommand[] = ['whoami', 'list/ls', 'remove/rm', 'ble'].map((n) => ({
  names: n.split('/'),
  load: () => Promise.reject(new Error('not loaded in this test')),
}));
const picked = (args: string[]) => selectCommands(table, args).map((c) => c.names[0]);

test('the command word is the first operand, after global options and the value of --home', () => {
  assert.equal(commandWord(['whoami']), 'whoami');
  assert.equal(commandWord(['--home', 'list', '--json', 'whoami']), 'whoami', '--home takes a value');
  assert.equal(commandWord(['--home=/x', '-v', 'ble', 'scan']), 'ble');
  assert.equal(commandWord(['--json']), undefined);
  assert.equal(commandWord(['--', 'rm', 'x']), 'rm');
  assert.equal(subcommandWord(['--json', 'ble', '--home', 'scan', 'bonds']), 'bonds');
  assert.equal(subcommandWord(['ble']), undefined);
  assert.equal(subcommandWord([]), undefined);
});

test('one module for a known command or alias; all of them for help, no command or an unknown word', () => {
  assert.deepEqual(picked(['--json', 'whoami']), ['whoami']);
  assert.deepEqual(picked(['ls']), ['list']);
  assert.deepEqual(picked(['rm', 'abc']), ['remove']);
  const all = ['whoami', 'list', 'remove', 'ble'];
  assert.deepEqual(picked([]), all);
  assert.deepEqual(picked(['--help']), all);
  assert.deepEqual(picked(['help', 'ble']), all);
  assert.deepEqual(picked(['lsit']), all);
});

test('pair --help still lists every command; pair whoami runs with only its own module', async (t) => {
  const help = await pair(['--help']);
  assert.equal(help.status, 0);
  for (const c of ['whoami', 'list', 'show', 'remove', 'rename', 'initiate', 'join', 'node', 'sim', 'ble']) {
    assert.match(help.stdout, new RegExp(`^\\s+${c}\\b`, 'm'), `${c} in help`);
  }
  const home = tempDir(t);
  const r = await pair(['--home', home, 'whoami', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(oneJson<{ deviceId: string }>(r).deviceId, /^[a-z2-7]{32}$/);
  const typo = await pair(['--home', home, 'whoamy']);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /whoami/, 'commander suggests the near miss');
});

test('pair ble: help lists the handover subcommands too; its own subcommands run without them', async (t) => {
  const help = await pair(['ble', '--help']);
  assert.equal(help.status, 0);
  for (const c of ['scan', 'advertise', 'pair', 'bonds', 'forget', 'oob', 'bond']) assert.match(help.stdout, new RegExp(`^\\s+${c}\\b`, 'm'), `ble ${c} in help`);
  const bondHelp = await pair(['ble', 'bond', '--help']);
  assert.equal(bondHelp.status, 0, bondHelp.stderr);
  const home = tempDir(t);
  const bonds = await pair(['--home', home, '--json', 'ble', 'bonds']);
  assert.equal(bonds.status, 0, bonds.stderr);
  assert.equal(bonds.stdout, '', 'no bonds in a new home');
});

test('a failing command logs its stack under DEBUG=pairkit:cli (and only then)', async (t) => {
  const dir = tempDir(t);
  const file = `${dir}/a-file`;
  (await import('node:fs')).writeFileSync(file, '');
  const quiet = await pair(['--home', `${file}/home`, 'whoami']);
  assert.equal(quiet.status, 6, quiet.stderr); // ExitCode.STORAGE: the home cannot be a folder
  assert.doesNotMatch(quiet.stderr, /\n\s+at /);
  const loud = await pair(['--home', `${file}/home`, 'whoami'], { env: { DEBUG: 'pairkit:cli' } });
  assert.equal(loud.status, 6);
  assert.match(loud.stderr, /pairkit:cli command failed: RegistryError[^\n]*\n\s+at resolveHome|pairkit:cli command failed: RegistryError[^\n]*\n\s+at homeError/);
});
