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
//  4. Add ONE import and ONE line in COMMANDS below, in help order. Global options (--home, --json,
//     --verbose) are read with `ctx.options`; don't redefine them on your command.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CliContext } from './util/context.js';
import { configureProgram, run } from './util/run.js';
import * as whoami from './commands/whoami.js';
import * as list from './commands/list.js';
import * as show from './commands/show.js';
import * as remove from './commands/remove.js';
import * as rename from './commands/rename.js';
import * as initiate from './commands/initiate.js';
import * as join from './commands/join.js';
import * as node from './commands/node.js';
import * as sim from './commands/sim.js';
import * as ble from './commands/ble.js';

type CommandModule = { register: (program: Command, ctx: CliContext) => void };

const COMMANDS: CommandModule[] = [
  whoami,
  list,
  show,
  remove,
  rename,
  initiate,
  join,
  node,
  sim,
  ble,
];

function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(env: NodeJS.ProcessEnv = process.env): { program: Command; ctx: CliContext } {
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
  for (const m of COMMANDS) m.register(program, ctx);
  return { program, ctx };
}

const { program, ctx } = buildProgram();
const code = await run(program, ctx);
process.exitCode = code;
// Everything was closed in cleanup; should a stray handle keep the loop alive, do not hang.
setTimeout(() => process.exit(code), 1000).unref();
