#!/usr/bin/env node
// `pair`: the pairkit command line. Exit codes: see apps/cli/README.md (util/exit-codes.ts).
//
// HOW TO ADD A COMMAND GROUP (NET, SIM, SMP...):
//  1. Create src/commands/<group>.ts exporting `register(program: Command, ctx: CliContext): void`
//     that calls `program.command('<name>')...action(async (...) => { ... })`.
//  2. In the action: `await ctx.openRegistry()` for the registry, `ctx.output.result(value, () => text)`
//     for the final result, `ctx.output.emit({ type: '...' })` for --json event lines,
//     `ctx.output.progress('waiting...')` for a spinner, `ctx.signal` for Ctrl-C, `ctx.onCleanup(fn)` to stop nodes.
//  3. Throw errors; util/errors.ts maps them to exit codes (CliError carries its own; push an
//     `exitCodeMappers` entry for your package's error classes). Don't call process.exit().
//  4. Add ONE line in COMMANDS below, in help order: the command's name and aliases, and its
//     import (modules load on demand, see util/commands.ts). Global options (--home, --json,
//     --verbose) are read with `ctx.options`; don't redefine them on your command.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CliContext } from './util/context.js';
import { configureProgram, run } from './util/run.js';
import { registerCommands, type LazyCommand } from './util/commands.js';

// Loaded on demand (util/commands.ts): a run imports only its own command's module.
const COMMANDS: LazyCommand[] = [
  { names: ['whoami'], load: () => import('./commands/whoami.js') },
  { names: ['list', 'ls'], load: () => import('./commands/list.js') },
  { names: ['show'], load: () => import('./commands/show.js') },
  { names: ['remove', 'rm'], load: () => import('./commands/remove.js') },
  { names: ['rename'], load: () => import('./commands/rename.js') },
  { names: ['initiate'], load: () => import('./commands/initiate.js') },
  { names: ['join'], load: () => import('./commands/join.js') },
  { names: ['node'], load: () => import('./commands/node.js') },
  { names: ['sim'], load: () => import('./commands/sim.js') },
  { names: ['ble'], load: () => import('./commands/ble.js') },
];

function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function buildProgram(
  env: NodeJS.ProcessEnv = process.env,
  args: readonly string[] = process.argv.slice(2),
): Promise<{ program: Command; ctx: CliContext }> {
  const program = new Command('pair');
  const version = cliVersion();
  const ctx = new CliContext(program, version, env);
  configureProgram(program, ctx);
  program
    .description('pairkit: pair devices over the network (12 words) or Bluetooth LE, and manage the trusted ones')
    .version(version, '-V, --version', 'print the version')
    .option('--home <dir>', 'data folder (default: $PAIRKIT_HOME, else $XDG_DATA_HOME/pairkit, else ~/.local/share/pairkit)')
    .option('--json', 'machine-readable output: one JSON value per line on stdout, errors as JSON on stderr')
    .option('-v, --verbose', 'debug logging on stderr (pairkit:*)')
    .helpCommand(true);
  await registerCommands(program, ctx, COMMANDS, args);
  return { program, ctx };
}

const { program, ctx } = await buildProgram();
const code = await run(program, ctx);
process.exitCode = code;
// Everything was closed in cleanup; should a stray handle keep the loop alive, do not hang.
setTimeout(() => process.exit(code), 1000).unref();
