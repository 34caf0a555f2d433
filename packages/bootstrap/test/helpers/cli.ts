// Real `pair` child processes (apps/cli/dist) with their own homes, on a real `pair sim` server.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PAIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../apps/cli/dist/src/main.js');

type After = { after: (fn: () => unknown) => void };
export type JsonLine = Record<string, unknown> & { event?: string };

export class PairProcess {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly lines: JsonLine[] = [];
  stderr = '';
  readonly exited: Promise<number>;
  readonly #waiters: { match: (l: JsonLine) => boolean; resolve: () => void }[] = [];

  constructor(home: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(process.execPath, [PAIR, '--home', home, '--json', ...args], {
      env: { ...process.env, PAIRKIT_BOOTSTRAP: '', DEBUG: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    this.proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!text) continue;
        let line: JsonLine;
        try {
          line = JSON.parse(text) as JsonLine;
        } catch {
          line = { event: 'non-json', text };
        }
        this.lines.push(line);
        for (const w of [...this.#waiters]) {
          if (w.match(line)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    // 'close' comes after the exit and the end of stdout, so every line is parsed by then.
    this.exited = new Promise((r) => this.proc.once('close', (code, sig) => r(code ?? (sig ? 128 : -1))));
  }

  /** The `nth` line (1: the first) with this event, already seen or still to come; rejects if the process exits first. */
  waitFor(event: string, timeoutMs = 60_000, nth = 1): Promise<JsonLine> {
    const nthSeen = (): JsonLine | undefined => this.lines.filter((l) => l.event === event)[nth - 1];
    const seen = nthSeen();
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} #${nth} within ${timeoutMs} ms; stdout: ${JSON.stringify(this.lines)} stderr: ${this.stderr}`)), timeoutMs);
      const w = {
        match: (l: JsonLine) => l.event === event && nthSeen() !== undefined,
        resolve: () => {
          clearTimeout(timer);
          resolve(nthSeen()!);
        },
      };
      this.#waiters.push(w);
      void this.exited.then((code) => {
        if (!this.#waiters.includes(w)) return;
        clearTimeout(timer);
        reject(new Error(`exited ${code} before ${event} #${nth}; stdout: ${JSON.stringify(this.lines)} stderr: ${this.stderr}`));
      });
    });
  }

  events(): string[] {
    return this.lines.map((l) => String(l.event));
  }

  kill(sig: NodeJS.Signals = 'SIGKILL'): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
  }
}

/** A temp home removed after the test. */
export function home(t: After, name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `pairkit-boot-e2e-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Spawns `pair ...`; killed after the test if still running. */
export function pair(t: After, homeDir: string, args: string[], env?: NodeJS.ProcessEnv): PairProcess {
  const p = new PairProcess(homeDir, args, env);
  t.after(async () => {
    p.kill();
    await p.exited;
  });
  return p;
}

/** Runs `pair ...` to the end and returns its exit code and JSON lines. */
export async function run(t: After, homeDir: string, args: string[]): Promise<{ code: number; lines: JsonLine[]; stderr: string }> {
  const p = pair(t, homeDir, args);
  p.proc.stdin.end();
  const code = await p.exited;
  return { code, lines: p.lines, stderr: p.stderr };
}

/** A `pair sim` server on a free port: its HCI URI. */
export async function sim(t: After): Promise<string> {
  const dir = home(t, 'sim');
  const p = pair(t, dir, ['sim', '--listen', '127.0.0.1:0']);
  const l = await p.waitFor('listening', 20_000);
  return `tcp:127.0.0.1:${String(l.port)}`;
}

/** The registry's entries, as `pair list --json` prints them. */
export async function list(t: After, homeDir: string): Promise<Record<string, unknown>[]> {
  const r = await run(t, homeDir, ['list']);
  if (r.code !== 0) throw new Error(`pair list failed: ${r.stderr}`);
  const first = r.lines[0] as unknown;
  return Array.isArray(first) ? (first as Record<string, unknown>[]) : (r.lines as Record<string, unknown>[]);
}
