// Runs the real `pair` binary (the compiled main.js) as a child process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
export const isRoot = process.getuid?.() === 0;

export interface PairResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface PairOptions {
  env?: NodeJS.ProcessEnv;
  /** Run as uid/gid 65534 when we are root, so that file permissions apply. */
  asOther?: boolean;
}

export function pair(args: string[], opts: PairOptions = {}): Promise<PairResult> {
  // A clean environment: only what the test gives, so a developer's PAIRKIT_HOME can't leak in.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: os.tmpdir(), ...opts.env };
  const ids = opts.asOther && isRoot ? { uid: 65534, gid: 65534 } : {};
  return new Promise((resolve, reject) => {
    // One-shot commands: one that hangs is killed rather than outliving the test run.
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, timeout: 120_000, killSignal: 'SIGKILL', ...ids });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Parses stdout that must be exactly one JSON value on one line. */
export function oneJson<T = unknown>(r: PairResult): T {
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  if (lines.length !== 1) throw new Error(`expected one JSON line, got ${lines.length}: ${r.stdout} / ${r.stderr}`);
  return JSON.parse(lines[0]!) as T;
}

export function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairkit-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
