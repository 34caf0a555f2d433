// `npm run demo`: two devices, each with its own home, pair over loopback in two real `pair`
// processes (initiate + join, found by mDNS), then each lists the other.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PAIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0'];
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

interface Run {
  /** Resolves with the first event named `name` (or "failed"); rejects if the process ends first. */
  next(name: string): Promise<Record<string, unknown>>;
  events: Record<string, unknown>[];
  exited: Promise<number>;
  kill(): void;
}

function pair(home: string, args: string[]): Run {
  const child = spawn(process.execPath, [PAIR, '--home', home, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  const events: Record<string, unknown>[] = [];
  const wake = new Set<() => void>();
  let done = false;
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    events.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of wake) w();
  });
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code) => {
      if (code !== 0 && stderr.length > 0) process.stderr.write(stderr.join(''));
      done = true;
      for (const w of wake) w();
      resolve(code ?? 1);
    })
  );
  const next = (name: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const e = events.find((x) => x.event === name || x.event === 'failed');
        if (e) {
          wake.delete(check);
          resolve(e);
        } else if (done) {
          wake.delete(check);
          reject(new Error(`the process ended before "${name}"`));
        }
      };
      wake.add(check);
      check();
    });
  return { next, events, exited, kill: () => child.kill('SIGTERM') };
}

async function listOf(home: string): Promise<{ name: string; deviceId: string; method: string }[]> {
  const run = pair(home, ['list']);
  await run.exited;
  return (run.events[0] ?? []) as unknown as { name: string; deviceId: string; method: string }[];
}

async function main(): Promise<number> {
  const laptop = mkdtempSync(path.join(tmpdir(), 'pairkit-demo-laptop-'));
  const phone = mkdtempSync(path.join(tmpdir(), 'pairkit-demo-phone-'));
  const runs: Run[] = [];
  try {
    say(bold('pairkit demo: two devices pair over the network'));
    say(`  device "laptop" keeps its registry in ${laptop}`);
    say(`  device "phone"  keeps its registry in ${phone}`);
    for (const [home, name] of [
      [laptop, 'laptop'],
      [phone, 'phone']
    ] as const) {
      const r = pair(home, ['rename', name]);
      runs.push(r);
      if ((await r.exited) !== 0) throw new Error(`could not name ${name}`);
    }

    say(`\n${bold('1.')} laptop: pair initiate   (a new process; shows 12 words, waits)`);
    const initiator = pair(laptop, ['initiate', '--timeout', '2m', ...LOOPBACK]);
    runs.push(initiator);
    const code = await initiator.next('code');
    if (code.event !== 'code') throw new Error(`initiate failed: ${String(code.reason)}`);
    say(`   words: ${String(code.words)}`);

    say(`\n${bold('2.')} phone: pair join <those 12 words>   (another process; finds the laptop by mDNS, proves the code)`);
    const started = performance.now();
    const joiner = pair(phone, ['join', ...String(code.words).split(' '), '--timeout', '60s', ...LOOPBACK]);
    runs.push(joiner);
    const [j, i] = await Promise.all([joiner.next('paired'), initiator.next('paired')]);
    if (j.event !== 'paired' || i.event !== 'paired') {
      throw new Error(`pairing failed: ${String(j.reason ?? i.reason)}`);
    }
    const ms = Math.round(performance.now() - started);
    const jd = j.device as { name: string; deviceId: string };
    const id = i.device as { name: string; deviceId: string };
    say(`   phone paired with ${jd.name} (${jd.deviceId}), verification ${String(j.verification)}`);
    say(`   laptop paired with ${id.name} (${id.deviceId}), verification ${String(i.verification)}`);
    say(`   same digits on both: ${j.verification === i.verification ? 'yes' : 'NO'}; join took ${ms} ms (with process start)`);
    const codes = await Promise.all([initiator.exited, joiner.exited]);
    if (codes.some((c) => c !== 0)) throw new Error(`exit codes ${codes.join(', ')}`);

    say(`\n${bold('3.')} each device lists the other (pair list):`);
    for (const [home, name] of [
      [laptop, 'laptop'],
      [phone, 'phone']
    ] as const) {
      const list = await listOf(home);
      say(`   ${name}: ${list.map((d) => `${d.name} ${d.deviceId} (${d.method})`).join(', ') || '(nothing)'}`);
      if (list.length !== 1) throw new Error(`${name} should list exactly one device`);
    }
    say(`\n${bold('done.')} Both registries trust each other; session keys were derived on both sides.`);
    return 0;
  } catch (err) {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    for (const r of runs) r.kill();
    await Promise.all(runs.map((r) => r.exited));
    rmSync(laptop, { recursive: true, force: true });
    rmSync(phone, { recursive: true, force: true });
  }
}

process.exitCode = await main();
