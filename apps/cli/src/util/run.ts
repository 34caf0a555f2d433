// The run loop: parse, run the action, map errors to exit codes, clean up, handle Ctrl-C.
import { CommanderError, type Command } from 'commander';
import createDebug from 'debug';
import { CliContext } from './context.js';
import { errorReport, exitCodeFor } from './errors.js';
import { ExitCode } from './exit-codes.js';

const debug = createDebug('pairkit:cli');

/** Settings every command and subcommand shares; call before adding commands (they inherit it). */
export function configureProgram(program: Command, ctx: CliContext): void {
  program
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      // commander's own error text (unknown option, missing argument) goes to stderr as usual;
      // with --json it is reported again as a JSON line by run().
      outputError: (str, write) => {
        if (!ctx.options.json) write(str);
      },
    })
    .hook('preAction', () => ctx.applyGlobals());
}

export async function run(program: Command, ctx: CliContext, argv: string[] = process.argv): Promise<number> {
  let interrupted = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted++;
    ctx.abort(Object.assign(new Error(`interrupted (${sig})`), { name: 'AbortError', code: 'INTERRUPTED' }));
    // A command that ignores the signal must not hold the terminal hostage.
    if (interrupted > 1) process.exit(ExitCode.INTERRUPTED);
    setTimeout(() => process.exit(ExitCode.INTERRUPTED), 3000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code: number = ExitCode.OK;
  try {
    await program.parseAsync(argv);
    if (interrupted > 0) code = ExitCode.INTERRUPTED;
  } catch (err) {
    // The stack says where an untyped failure (a bug, a stack overflow) came from: DEBUG=pairkit:cli or --verbose.
    if (!(err instanceof CommanderError)) debug('command failed: %s', err instanceof Error ? err.stack : String(err));
    code = interrupted > 0 ? ExitCode.INTERRUPTED : exitCodeFor(err);
    if (err instanceof CommanderError) {
      // help and --version exit 0; commander already printed usage errors
      if (code !== ExitCode.OK && ctx.options.json) ctx.output.error({ ...errorReport(err), exitCode: code });
    } else {
      ctx.output.error({ ...errorReport(err), exitCode: code });
    }
  } finally {
    await ctx.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}
