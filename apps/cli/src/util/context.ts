// What every command gets: the global options, output, the registry, cancellation, cleanup.
import type { Command } from 'commander';
import createDebug from 'debug';
import { DeviceRegistry } from '@pairkit/registry';
import { Output } from './output.js';

export interface GlobalOptions {
  home?: string;
  json: boolean;
  verbose: boolean;
}

export class CliContext {
  readonly version: string;
  readonly program: Command;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C (SIGINT) / SIGTERM: pass it to anything that waits. */
  readonly signal: AbortSignal;
  readonly #abort: AbortController;
  readonly #cleanups: (() => unknown)[] = [];
  #output: Output | undefined;
  #registry: Promise<DeviceRegistry> | undefined;

  constructor(program: Command, version: string, env: NodeJS.ProcessEnv = process.env) {
    this.program = program;
    this.version = version;
    this.env = env;
    this.#abort = new AbortController();
    this.signal = this.#abort.signal;
  }

  /** Global options (--home, --json, --verbose), wherever on the command line they were given. */
  get options(): GlobalOptions {
    const o = this.program.opts<{ home?: string; json?: boolean; verbose?: boolean }>();
    const g: GlobalOptions = { json: o.json === true, verbose: o.verbose === true };
    if (o.home !== undefined) g.home = o.home;
    return g;
  }

  get output(): Output {
    this.#output ??= new Output({ json: this.options.json });
    return this.#output;
  }

  /** Opens the registry once per run (home from --home, PAIRKIT_HOME, XDG); closed at exit. */
  openRegistry(): Promise<DeviceRegistry> {
    this.#registry ??= DeviceRegistry.open({ home: this.options.home, env: this.env, appVersion: this.version }).then((r) => {
      this.onCleanup(() => r.close());
      return r;
    });
    return this.#registry;
  }

  /** Runs fn when the command ends (normally, by error, or by Ctrl-C), last registered first. */
  onCleanup(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  /** Called once before the action runs: applies --verbose. */
  applyGlobals(): void {
    if (this.options.verbose) {
      const current = createDebug.disable();
      createDebug.enable(current ? `${current},pairkit:*` : 'pairkit:*');
    }
  }

  abort(reason?: unknown): void {
    this.#abort.abort(reason);
  }

  async cleanup(): Promise<void> {
    while (this.#cleanups.length > 0) {
      const fn = this.#cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        createDebug('pairkit:cli')('cleanup failed: %O', err);
      }
    }
  }
}
