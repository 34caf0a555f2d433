// `npm run demo:ble` (owned by BOOT): a `pair sim` server (the virtual radio) and two devices
// in two processes pair over Bluetooth LE: Numeric Comparison, then the sealed handover, then
// the network pairing. Each ends with one entry holding the libp2p identity and the BLE bond.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PAIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
const NET = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'];
const strong = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const out = (s: string): void => void process.stdout.write(s + '\n');

type Line = Record<string, unknown>;

class Proc {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  readonly ended: Promise<number>;
  #err = '';
  #listeners: ((l: Line) => void)[] = [];

  constructor(home: string, args: string[]) {
    this.child = spawn(process.execPath, [PAIR, '--home', home, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.#err += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        return;
      }
      this.lines.push(line);
      for (const f of this.#listeners) f(line);
    });
    this.ended = new Promise((resolve) => this.child.on('close', (code) => resolve(code ?? 1)));
  }

  on(fn: (l: Line) => void): void {
    this.#listeners.push(fn);
  }

  /** The first line with `event` (or a failure); rejects if the process ends without it. */
  async wait(event: string): Promise<Line> {
    const hit = (): Line | undefined => this.lines.find((l) => l.event === event || l.event === 'failed');
    for (;;) {
      const l = hit();
      if (l) {
        if (l.event === 'failed') throw new Error(`${event}: ${String(l.code)} ${String(l.reason)}`);
        return l;
      }
      const more = await Promise.race([new Promise<boolean>((r) => this.on(() => r(true))), this.ended.then(() => false)]);
      if (!more && !hit()) throw new Error(`the process ended before "${event}": ${this.#err.trim()}`);
    }
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

async function entries(home: string): Promise<{ name: string; method: string; hasBond: boolean; bleAddress?: string }[]> {
  const p = new Proc(home, ['list']);
  await p.ended;
  return (p.lines[0] ?? []) as unknown as { name: string; method: string; hasBond: boolean; bleAddress?: string }[];
}

async function main(): Promise<number> {
  const homes = { sim: mkdtempSync(path.join(tmpdir(), 'pairkit-demo-ble-sim-')), laptop: mkdtempSync(path.join(tmpdir(), 'pairkit-demo-ble-laptop-')), phone: mkdtempSync(path.join(tmpdir(), 'pairkit-demo-ble-phone-')) };
  const procs: Proc[] = [];
  const start = (home: string, args: string[]): Proc => {
    const p = new Proc(home, args);
    procs.push(p);
    return p;
  };
  try {
    out(strong('pairkit BLE demo: two devices pair over Bluetooth LE (on a virtual radio)'));
    for (const name of ['laptop', 'phone'] as const) {
      if ((await start(homes[name], ['rename', name]).ended) !== 0) throw new Error(`could not name ${name}`);
    }

    out(`\n${strong('1.')} pair sim   (the virtual radio both devices share)`);
    const sim = start(homes.sim, ['sim', '--listen', '127.0.0.1:0']);
    const listening = await sim.wait('listening');
    const hci = `tcp:127.0.0.1:${String(listening.port)}`;
    out(`   listening on ${hci.slice(4)}`);

    out(`\n${strong('2.')} laptop: pair initiate --ble --hci ${hci} --yes`);
    const laptop = start(homes.laptop, ['initiate', '--ble', '--hci', hci, '--yes', ...NET]);
    const adv = await laptop.wait('advertising');
    out(`   advertising the pairkit service as "${String(adv.name)}" (${String(adv.address)})`);

    out(`\n${strong('3.')} phone: pair join --ble --hci ${hci} --yes`);
    const t0 = performance.now();
    const phone = start(homes.phone, ['join', '--ble', '--hci', hci, '--yes', ...NET]);
    const show: Record<string, string> = {
      scanning: 'scanning for nearby pairkit devices',
      connected: 'connected over BLE',
      'ble-paired': 'LE Secure Connections pairing done, link encrypted',
      handover: 'sealed handover received (code secret, peer id, addresses)',
    };
    phone.on((l) => {
      const e = String(l.event);
      if (e === 'compare') out(`   phone shows ${String(l.value)}; user confirms (--yes)`);
      else if (e === 'timing') out(`     ${String(l.stage)}: ${String(l.ms)} ms`);
      else if (show[e]) out(`   ${show[e]}`);
    });
    laptop.on((l) => {
      if (l.event === 'compare') out(`   laptop shows ${String(l.value)}; user confirms (--yes)`);
    });
    const [pj, pi] = await Promise.all([phone.wait('paired'), laptop.wait('paired')]);
    const ms = Math.round(performance.now() - t0);
    out(`   paired: phone <-> ${String((pj.device as { name: string }).name)}, verification ${String(pj.verification)} on both: ${pj.verification === pi.verification ? 'yes' : 'NO'} (${ms} ms with process start)`);
    const codes = await Promise.all([phone.ended, laptop.ended]);
    if (codes.some((c) => c !== 0)) throw new Error(`exit codes ${codes.join(', ')}`);

    out(`\n${strong('4.')} pair list on each device:`);
    for (const name of ['laptop', 'phone'] as const) {
      const list = await entries(homes[name]);
      out(`   ${name}: ${list.map((d) => `${d.name} (method ${d.method}, BLE bond ${d.hasBond ? d.bleAddress : 'none'})`).join(', ') || '(nothing)'}`);
      if (list.length !== 1 || list[0].method !== 'both') throw new Error(`${name} should hold one entry with both identities`);
    }
    out(`\n${strong('done.')} One confirmation, no typed words; both registries hold the libp2p identity and the BLE bond.`);
    return 0;
  } catch (err) {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    for (const p of procs) p.stop();
    await Promise.all(procs.map((p) => p.ended));
    for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
  }
}

process.exitCode = await main();
