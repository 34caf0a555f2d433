// Helpers for command modules (and tests): the CLI is used through the `pair` binary.
export { ExitCode } from './util/exit-codes.js';
export { CliError, exitCodeFor, exitCodeMappers } from './util/errors.js';
export { Output, toJson } from './util/output.js';
export { CliContext, type GlobalOptions } from './util/context.js';
