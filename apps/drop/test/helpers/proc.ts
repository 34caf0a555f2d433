import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'main.js');

export type DropEvent = Record<string, unknown> & { event: string };

/** A running `drop` process with its JSON events. */
export class DropProcess {
  readonly child: ChildProcess;
  readonly events: DropEvent[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #waiters: { pred: (e: DropEvent) => boolean; resolve: (e: DropEvent) => void }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, DEBUG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let e: DropEvent;
      try {
        e = JSON.parse(line) as DropEvent;
      } catch {
        e = { event: 'text', line };
      }
      this.events.push(e);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.pred(e)) return true;
        w.resolve(e);
        return false;
      });
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    // 'close', not 'exit': by then every line the process printed has been read.
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve(signal === null ? code : null)));
  }

  /** The first event (already seen or to come) matching `pred`; fails if the process exits first. */
  waitFor(pred: (e: DropEvent) => boolean, what: string): Promise<DropEvent> {
    const seen = this.events.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ pred, resolve });
      // `exited` waits for 'close': every line was read by then, so a late match is already in events.
      void this.exited.then((code) => {
        const late = this.events.find(pred);
        if (late !== undefined) resolve(late);
        else reject(new Error(`drop exited (${code}) before ${what}; stderr: ${this.stderr.slice(-2000)}; events: ${JSON.stringify(this.events.filter((e) => e.event !== 'progress')).slice(-2000)}`));
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** Runs drop to the end. */
export async function runDrop(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; events: DropEvent[]; stderr: string; stdout: string }> {
  const p = new DropProcess(args, env);
  const code = await p.exited;
  return { code, events: p.events, stderr: p.stderr, stdout: p.events.map((e) => (e.event === 'text' ? e.line : JSON.stringify(e))).join('\n') };
}
