// Runs the real `pair` CLI as child processes and reads its --json output line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The built CLI entry point of @pairkit/cli (this file is test/dist/test/helpers/cli.js). */
export const PAIR_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../apps/cli/dist/src/main.js');

export type JsonEvent = { event?: string; [k: string]: unknown };

export interface PairProcess {
  child: ChildProcess;
  events: JsonEvent[];
  stderr: string[];
  /** Resolves with the first event matching `name` (or rejects when the process exits first). */
  waitFor(name: string, timeoutMs?: number): Promise<JsonEvent>;
  /** Resolves with the exit code (signal exits give 128 + n). */
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** `netns`: run inside that Linux network namespace (`ip netns exec`, which execs, so the pid is node's). */
export function runPair(home: string, args: string[], env: Record<string, string | undefined> = {}, opts: { netns?: string } = {}): PairProcess {
  const argv = [PAIR_BIN, '--home', home, ...args];
  const [cmd, cmdArgs] = opts.netns != null ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...argv]] : [process.execPath, argv];
  const child = spawn(cmd, cmdArgs, {
    env: { ...process.env, PAIRKIT_BOOTSTRAP: undefined, DEBUG: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  const events: JsonEvent[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as JsonEvent);
    } catch {
      events.push({ event: 'non-json', line });
    }
    for (const w of waiters) w();
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  let exitCode: number | undefined;
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = code ?? 128 + (SIGNALS[signal ?? ''] ?? 1);
      // let readline deliver the last lines first
      setImmediate(() => {
        resolve(exitCode!);
        for (const w of waiters) w();
      });
    });
  });
  const waitFor = (name: string, timeoutMs = 60_000): Promise<JsonEvent> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no "${name}" event in ${timeoutMs} ms; events ${JSON.stringify(events)}; stderr ${stderr.join('\n')}`));
      }, timeoutMs);
      const check = (): void => {
        const hit = events.find((e) => e.event === name);
        if (hit != null) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        } else if (exitCode !== undefined) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`exited ${exitCode} before "${name}"; events ${JSON.stringify(events)}; stderr ${stderr.join('\n')}`));
        }
      };
      waiters.add(check);
      check();
    });
  return {
    child,
    events,
    stderr,
    waitFor,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (exitCode === undefined) child.kill(signal);
    }
  };
}

/** Runs a short command to completion and returns its parsed stdout JSON (whole output). */
export async function pairJson(home: string, args: string[]): Promise<unknown> {
  const p = runPair(home, args);
  const out: string[] = [];
  p.child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  const code = await p.exited;
  if (code !== 0) throw new Error(`pair ${args.join(' ')} exited ${code}: ${p.stderr.join('\n')}`);
  const text = p.events.length === 1 ? JSON.stringify(p.events[0]) : out.join('');
  return JSON.parse(text);
}

/** Temporary homes removed after the test file. */
export class Homes {
  private readonly dirs: string[] = [];
  make(prefix = 'pairkit-e2e-'): string {
    const d = mkdtempSync(path.join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }
  cleanup(): void {
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Processes killed after the test file, so none is left behind. */
export class Procs {
  private readonly all: PairProcess[] = [];
  add(p: PairProcess): PairProcess {
    this.all.push(p);
    return p;
  }
  async cleanup(): Promise<void> {
    for (const p of this.all) p.kill('SIGKILL');
    await Promise.all(this.all.map((p) => p.exited));
  }
}

export const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];
