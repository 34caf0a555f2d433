// Child processes for the tests, run as another user when we are root (root ignores permissions).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
export const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

export interface ChildResult {
  status: number | null;
  out: { ok: boolean; code?: string; message?: string; hint?: string; deviceId?: string; written?: number };
  stderr: string;
}

/** Runs child.js; with asOther, as uid 65534 when we are root so permission checks apply. */
export function runChild(args: string[], opts: { asOther?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<ChildResult> {
  const ids = opts.asOther && isRoot ? { uid: NOBODY, gid: NOBODY } : {};
  return new Promise((resolve, reject) => {
    // A child that hangs is killed rather than outliving the test run.
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, ...opts.env }, timeout: 120_000, killSignal: 'SIGKILL', ...ids });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      try {
        resolve({ status, out: JSON.parse(stdout.trim().split('\n').pop() ?? '{}'), stderr });
      } catch {
        reject(new Error(`child printed no JSON (status ${status}): ${stdout} ${stderr}`));
      }
    });
  });
}

/** Gives a folder (recursively) to the user runChild(..., {asOther}) runs as. */
export function giveToOther(dir: string): void {
  if (!isRoot) return;
  const walk = (p: string) => {
    fs.chownSync(p, NOBODY, NOBODY);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(`${p}/${e}`);
  };
  walk(dir);
}
