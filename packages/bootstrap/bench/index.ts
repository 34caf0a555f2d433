// Time from "join over BLE" to paired, split into scan, connect, SMP, handover, network.
// (1) in-process: our HCI host + SMP on ble-sim, real libp2p on loopback, real SQLite, no
//     process start; with no radio delay and with a 7.5 ms connection-interval delay.
// (2) CLI: `pair initiate --ble` / `pair join --ble` child processes on a `pair sim` server,
//     wall time from spawning `pair join --ble` to its "paired" line.
// (3) recovery: a stranger's link drops during SMP; the initiator forgets it and advertises
//     again, then a real joiner pairs in the same run (`--recovery-only` prints just this).
// Figures only, no asserts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SimAir } from '@pairkit/ble-sim';
import { BleHandoverInitiator, BleHandoverJoiner } from '../src/index.js';
import { makeDevice } from '../test/helpers/device.js';
import { PAIR } from '../test/helpers/cli.js';

const STAGES = ['scan', 'connect', 'smp', 'handover', 'network', 'total'] as const;
type Sample = Record<(typeof STAGES)[number], number>;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function table(title: string, samples: Sample[]): void {
  console.log(`\n${title} (n=${samples.length})`);
  console.log('  stage        p50 ms   p95 ms   mean ms');
  for (const st of STAGES) {
    const xs = samples.map((s) => s[st]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`  ${st.padEnd(10)} ${pct(xs, 50).toFixed(1).padStart(8)} ${pct(xs, 95).toFixed(1).padStart(8)} ${mean.toFixed(1).padStart(9)}`);
  }
}

async function inProcess(runs: number, delayMs: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const air = new SimAir({ delayMs });
    const a = await makeDevice(air, 'alpha');
    const b = await makeDevice(air, 'beta');
    try {
      const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: async () => true });
      const joi = new BleHandoverJoiner({ radio: b.radio, node: b.node, registry: b.registry, confirm: async () => true, choose: (seen) => seen[0] });
      const s: Partial<Sample> = {};
      joi.on('timing', (e) => (s[e.stage as keyof Sample] = e.ms));
      const running = ini.run();
      await new Promise((r) => ini.once('advertising', r));
      const t0 = performance.now();
      await Promise.all([running, joi.run()]);
      s.total = performance.now() - t0;
      out.push(s as Sample);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      air.close();
    }
  }
  return out;
}

/**
 * A stranger's link drops during SMP pairing: ms from its disconnect to the initiator's
 * attempt-failed (link forgotten) and to advertising again; then a real joiner pairs in the same run.
 */
async function recovery(runs: number): Promise<{ failed: number; readvertised: number; joinerTotal: number }[]> {
  const out: { failed: number; readvertised: number; joinerTotal: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const air = new SimAir();
    const [a, b, c] = await Promise.all([makeDevice(air, 'alpha'), makeDevice(air, 'stranger'), makeDevice(air, 'beta')]);
    try {
      const ini = new BleHandoverInitiator({ radio: a.radio, node: a.node, registry: a.registry, confirm: async () => true });
      let dropAt = 0;
      const failedAt = new Promise<number>((r) => ini.once('attempt-failed', () => r(performance.now())));
      const readvertisedAt = new Promise<number>((r) => ini.on('advertising', (e) => e.attempt === 2 && r(performance.now())));
      const running = ini.run();
      const stranger = new BleHandoverJoiner({
        radio: b.radio,
        node: b.node,
        registry: b.registry,
        confirm: (_v, signal) => {
          dropAt = performance.now();
          for (const conn of b.radio.host.connections.values()) void conn.disconnect();
          return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
        },
      });
      await stranger.run().catch(() => {});
      const [f, r] = await Promise.all([failedAt, readvertisedAt]);
      const t0 = performance.now();
      await Promise.all([running, new BleHandoverJoiner({ radio: c.radio, node: c.node, registry: c.registry, confirm: async () => true }).run()]);
      out.push({ failed: f - dropAt, readvertised: r - dropAt, joinerTotal: performance.now() - t0 });
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
      air.close();
    }
  }
  return out;
}

interface Child {
  lines: Record<string, unknown>[];
  wait(event: string): Promise<Record<string, unknown>>;
  ended: Promise<number>;
  kill(): void;
}

function spawnPair(home: string, args: string[]): Child {
  const child = spawn(process.execPath, [PAIR, '--home', home, '--json', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: [string, (l: Record<string, unknown>) => void][] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const l = JSON.parse(text) as Record<string, unknown>;
    lines.push(l);
    for (const w of waiters.filter(([e]) => e === l.event)) w[1](l);
  });
  const ended = new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
  return {
    lines,
    ended,
    wait: (event) =>
      new Promise((resolve, reject) => {
        const hit = lines.find((l) => l.event === event);
        if (hit) return resolve(hit);
        waiters.push([event, resolve]);
        void ended.then(() => reject(new Error(`ended before ${event}`)));
      }),
    kill: () => void (child.exitCode === null && child.kill('SIGKILL')),
  };
}

async function viaCli(runs: number): Promise<Sample[]> {
  const base = mkdtempSync(path.join(tmpdir(), 'pairkit-boot-bench-'));
  const sim = spawnPair(path.join(base, 'sim'), ['sim', '--listen', '127.0.0.1:0']);
  const out: Sample[] = [];
  try {
    const hci = `tcp:127.0.0.1:${String((await sim.wait('listening')).port)}`;
    const net = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'];
    for (let i = 0; i < runs; i++) {
      const a = spawnPair(path.join(base, `a${i}`), ['initiate', '--ble', '--hci', hci, '--yes', ...net]);
      await a.wait('advertising');
      const t0 = performance.now();
      const b = spawnPair(path.join(base, `b${i}`), ['join', '--ble', '--hci', hci, '--yes', ...net]);
      await b.wait('paired');
      const total = performance.now() - t0;
      await Promise.all([a.ended, b.ended]);
      const s: Partial<Sample> = { total };
      for (const l of b.lines) if (l.event === 'timing') s[l.stage as keyof Sample] = Number(l.ms);
      out.push(s as Sample);
    }
  } finally {
    sim.kill();
    await sim.ended;
    rmSync(base, { recursive: true, force: true });
  }
  return out;
}

console.log('pairkit bootstrap bench: join over BLE -> paired, per stage');
{
  const rs = await recovery(10);
  console.log(`\nin-process, a stranger's link drops during SMP, then a real joiner pairs in the same run (n=${rs.length})`);
  console.log('  interval                           p50 ms   p95 ms');
  for (const [label, key] of [['drop -> attempt-failed', 'failed'], ['drop -> advertising again', 'readvertised'], ['next joiner: start -> paired', 'joinerTotal']] as const) {
    const xs = rs.map((r) => r[key]);
    console.log(`  ${label.padEnd(32)} ${pct(xs, 50).toFixed(1).padStart(8)} ${pct(xs, 95).toFixed(1).padStart(8)}`);
  }
}
if (process.argv.includes('--recovery-only')) process.exit(0);
table('in-process, ble-sim without radio delay', await inProcess(15, 0));
table('in-process, ble-sim with a 7.5 ms connection-interval delay', await inProcess(10, 7.5));
table('CLI processes on `pair sim` (total = spawn of `pair join --ble` to "paired"; scan includes the 1.5 s --yes window)', await viaCli(5));
