// Lazy command modules: a `pair` run imports only the module of the command it runs, so
// `pair whoami` does not load libp2p and the BLE stack. Help, no command or an unknown word
// load them all (help lists everything; commander suggests the near miss).
import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** `args` (the command line after `pair`) lets a group skip heavy subcommand modules it will not run. */
export type CommandModule = { register: (program: Command, ctx: CliContext, args: readonly string[]) => void | Promise<void> };

export interface LazyCommand {
  /** The top-level command words (name and aliases) the module registers. */
  names: readonly string[];
  load: () => Promise<CommandModule>;
}

/** Global options that take a value: their value is not the command word. */
const VALUE_OPTIONS = new Set(['--home']);

/** The first operand on the command line (the command word), skipping global options. */
export function commandWord(args: readonly string[]): string | undefined {
  return args[operandIndex(args)];
}

/** The operand after the command word (a group's subcommand), if any. */
export function subcommandWord(args: readonly string[]): string | undefined {
  const i = operandIndex(args);
  return i < args.length ? commandWord(args.slice(i + 1)) : undefined;
}

function operandIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return i + 1;
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return i;
  }
  return args.length;
}

/** The modules this command line needs, in table (help) order. */
export function selectCommands(table: readonly LazyCommand[], args: readonly string[]): readonly LazyCommand[] {
  const word = commandWord(args);
  const hit = word === undefined ? undefined : table.find((c) => c.names.includes(word));
  return hit ? [hit] : table;
}

/** Imports the selected modules (in parallel) and registers them in order. */
export async function registerCommands(program: Command, ctx: CliContext, table: readonly LazyCommand[], args: readonly string[]): Promise<void> {
  const selected = selectCommands(table, args);
  const modules = await Promise.all(selected.map((c) => c.load()));
  for (const m of modules) await m.register(program, ctx, args);
}
