// `pair ble ...` as real child processes on a real `pair sim` server: passkey pairing with
// --mitm, numeric comparison with --yes, a wrong passkey, bonds listed, reconnect with the bond,
// forget, advertise --security-request (pair, then the bond; a bond below --mitm refused),
// BTSnoop captures (--btsnoop). The JSON lines are the ones the SMP issue specifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { BTSNOOP_DATALINK_H4, HciHost, readBtsnoop, type BtsnoopRecord } from '@pairkit/hci';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const CHILD_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };

interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: Record<string, unknown>[];
  next(event: string): Promise<Record<string, unknown>>;
  done: Promise<{ code: number | null; stderr: string }>;
}

function start(t: TestContext, args: string[]): Child {
  const proc = spawn(process.execPath, [MAIN, '--json', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: CHILD_ENV });
  const exited = once(proc, 'exit');
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  createInterface({ input: proc.stdout }).on('line', (text) => {
    const l = JSON.parse(text) as Record<string, unknown>;
    lines.push(l);
    for (const w of waiters.filter((x) => x.event === l.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(l);
    }
  });
  const done = exited.then(([code]) => ({ code: code as number | null, stderr }));
  return {
    proc,
    lines,
    done,
    next: (event) => {
      const seen = lines.find((l) => l.event === event);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ event, resolve }));
    },
  };
}

async function sim(t: TestContext): Promise<string> {
  const s = start(t, ['sim', '--listen', '127.0.0.1:0']);
  t.after(() => s.proc.kill('SIGTERM'));
  const l = await s.next('listening');
  return `tcp:127.0.0.1:${l.port as number}`;
}

function homes(t: TestContext): [string, string] {
  const a = mkdtempSync(join(tmpdir(), 'pairkit-cli-ble-a-'));
  const b = mkdtempSync(join(tmpdir(), 'pairkit-cli-ble-b-'));
  t.after(() => {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });
  return [a, b];
}

/** One pairing: `a` advertises (--once), `b` pairs to it. */
async function pairOnce(t: TestContext, hci: string, a: string, b: string, advArgs: string[], pairArgs: string[]) {
  const adv = start(t, ['--home', a, 'ble', 'advertise', '--hci', hci, '--once', ...advArgs]);
  const { address } = await adv.next('advertising');
  const central = start(t, ['--home', b, 'ble', 'pair', String(address), '--hci', hci, ...pairArgs]);
  const [p, c] = await Promise.all([adv.done, central.done]);
  return { address: String(address), adv, central, advExit: p, centralExit: c };
}

/** `pair ble bonds --json` of a home: its bond lines. */
async function bondsOf(t: TestContext, home: string): Promise<Record<string, unknown>[]> {
  const bonds = start(t, ['--home', home, 'ble', 'bonds']);
  const done = await bonds.done;
  assert.equal(done.code, 0, done.stderr);
  return bonds.lines;
}

test('pair ble: passkey with --mitm, bonds, reconnect with the bond, forget', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const r = await pairOnce(t, hci, a, b, ['--io', 'display', '--mitm', '--passkey', '123456'], ['--io', 'keyboard', '--mitm', '--passkey', '123456']);
  assert.equal(r.advExit.code, 0, r.advExit.stderr);
  assert.equal(r.centralExit.code, 0, r.centralExit.stderr);
  assert.deepEqual(r.adv.lines.find((l) => l.event === 'passkey'), { event: 'passkey', passkey: '123456' });
  assert.deepEqual(r.central.lines.find((l) => l.event === 'paired'), { event: 'paired', address: r.address, sc: true, mitm: true, bonded: true });
  assert.equal(r.central.lines.find((l) => l.event === 'encrypted')?.level, 4);
  assert.equal(r.adv.lines.find((l) => l.event === 'paired')?.mitm, true);

  const bonds = await bondsOf(t, b);
  assert.equal(bonds.length, 1);
  assert.equal(bonds[0].address, r.address);
  assert.equal(bonds[0].mitm, true);
  assert.equal(JSON.stringify(bonds[0]).includes('ltk'), false, 'no key material printed');

  // Second connection: encrypted with the stored bond, no pairing.
  const again = await pairOnce(t, hci, a, b, [], []);
  assert.equal(again.centralExit.code, 0, again.centralExit.stderr);
  assert.deepEqual(again.central.lines.find((l) => l.event === 'encrypted'), { event: 'encrypted', address: r.address, level: 4, keySize: 16, sc: true, mitm: true, bond: true });
  assert.equal(again.central.lines.some((l) => l.event === 'paired'), false);

  const forget = start(t, ['--home', b, 'ble', 'forget', r.address]);
  assert.equal((await forget.done).code, 0);
  const forgetAgain = start(t, ['--home', b, 'ble', 'forget', r.address]);
  assert.equal((await forgetAgain.done).code, 3, 'not found');
});

test('pair ble: numeric comparison with --yes on both sides shows the same value', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const r = await pairOnce(t, hci, a, b, ['--io', 'yesno', '--mitm', '--yes'], ['--io', 'yesno', '--mitm', '--yes', '--sc-only']);
  assert.equal(r.centralExit.code, 0, r.centralExit.stderr);
  const va = r.adv.lines.find((l) => l.event === 'compare')?.value;
  const vb = r.central.lines.find((l) => l.event === 'compare')?.value;
  assert.match(String(va), /^\d{6}$/);
  assert.equal(va, vb);
});

test('pair ble: a wrong passkey fails on both sides with CONFIRM_VALUE_FAILED (exit 4), nothing stored', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const r = await pairOnce(t, hci, a, b, ['--io', 'display', '--mitm', '--passkey', '123456'], ['--io', 'keyboard', '--mitm', '--passkey', '123457']);
  assert.equal(r.centralExit.code, 4);
  assert.equal(r.advExit.code, 4);
  assert.deepEqual(r.central.lines.find((l) => l.event === 'failed'), { event: 'failed', reason: 'CONFIRM_VALUE_FAILED' });
  assert.deepEqual(r.adv.lines.find((l) => l.event === 'failed'), { event: 'failed', reason: 'CONFIRM_VALUE_FAILED' });
  for (const home of [a, b]) {
    assert.equal((await bondsOf(t, home)).length, 0);
  }
});

test('pair ble: bad input is a usage error (exit 2)', async (t) => {
  const [, b] = homes(t);
  const bad = start(t, ['--home', b, 'ble', 'pair', 'not-an-address', '--hci', 'sim']);
  assert.equal((await bad.done).code, 2);
  const badPasskey = start(t, ['--home', b, 'ble', 'pair', 'C0:11:22:33:44:55', '--passkey', '12x', '--hci', 'tcp:127.0.0.1:1']);
  assert.equal((await badPasskey.done).code, 2);
  const badForget = start(t, ['--home', b, 'ble', 'forget', 'C0:11:22']);
  const forgot = await badForget.done;
  assert.equal(forgot.code, 2, forgot.stderr);
  assert.match(forgot.stderr, /INVALID_ADDRESS/);
});

test('pair ble scan: an advertising `pair ble advertise` shows up with its name; a bonded one is marked', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const adv = start(t, ['--home', a, 'ble', 'advertise', '--hci', hci, '--name', 'scan-me']);
  t.after(() => adv.proc.kill('SIGTERM'));
  const { address } = await adv.next('advertising');
  const scan = start(t, ['--home', b, 'ble', 'scan', '--hci', hci, '--timeout', '2']);
  assert.equal((await scan.done).code, 0);
  const seen = scan.lines.find((l) => l.address === address);
  assert.ok(seen, `scan saw ${String(address)}: ${JSON.stringify(scan.lines)}`);
  assert.equal(seen.event, 'device');
  assert.equal(seen.name, 'scan-me');
  assert.equal(seen.bonded, false);
});

test('pair ble pair: a bond weaker than --mitm is not used; the devices pair again with MITM protection', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const first = await pairOnce(t, hci, a, b, ['--io', 'none'], ['--io', 'none']);
  assert.equal(first.centralExit.code, 0, first.centralExit.stderr);
  assert.equal(first.central.lines.find((l) => l.event === 'paired')?.mitm, false);
  const second = await pairOnce(t, hci, a, b, ['--io', 'display', '--mitm', '--passkey', '654321'], ['--io', 'keyboard', '--mitm', '--passkey', '654321']);
  assert.equal(second.centralExit.code, 0, second.centralExit.stderr);
  assert.deepEqual(second.central.lines.find((l) => l.event === 'paired'), { event: 'paired', address: first.address, sc: true, mitm: true, bonded: true });
  const bonds = await bondsOf(t, b);
  assert.equal(bonds.length, 1);
  assert.equal(bonds[0].mitm, true, 'the stronger bond replaced the old one');
});

test('pair ble advertise --once: a central that leaves without pairing does not end the run; the next one pairs', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const adv = start(t, ['--home', a, 'ble', 'advertise', '--hci', hci, '--once', '--io', 'none']);
  const { address } = await adv.next('advertising');
  // A stranger (a bare host of ours, no SMP) connects and hangs up at once.
  const stranger = await HciHost.open(hci);
  t.after(() => stranger.close());
  const conn = await stranger.connect(String(address), { timeoutMs: 30_000 });
  await conn.disconnect();
  await adv.next('disconnected');
  assert.equal(adv.proc.exitCode, null, 'still advertising after the stranger left');
  const central = start(t, ['--home', b, 'ble', 'pair', String(address), '--hci', hci, '--io', 'none']);
  const [p, c] = await Promise.all([adv.done, central.done]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(adv.lines.filter((l) => l.event === 'connected').length, 2);
  assert.equal(adv.lines.find((l) => l.event === 'paired')?.sc, true);
  assert.equal(central.lines.find((l) => l.event === 'paired')?.address, address);
});

test('pair ble advertise --security-request: the first connection pairs and bonds, the second is encrypted with the bond', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const capture = join(a, 'peripheral.btsnoop');
  const adv = ['--security-request', '--io', 'display', '--mitm', '--passkey', '246810', '--btsnoop', capture];
  const first = await pairOnce(t, hci, a, b, adv, ['--io', 'keyboard', '--mitm', '--passkey', '246810']);
  assert.equal(first.advExit.code, 0, first.advExit.stderr);
  assert.equal(first.centralExit.code, 0, first.centralExit.stderr);
  // The advertiser sent an SMP Security Request (0x0B) asking for bonding + MITM.
  const request = (await readBtsnoop(capture)).map((x) => (x.direction === 'sent' ? l2cap(x.packet) : undefined)).find((x) => x?.cid === 0x0006 && x.payload[0] === 0x0b);
  assert.ok(request, 'a Security Request in the advertiser\'s capture');
  assert.equal(request.payload[1] & 0x07, 0x05, 'AuthReq: bonding, MITM');
  const centralAddress = String(first.adv.lines.find((l) => l.event === 'connected')?.address);
  assert.deepEqual(first.adv.lines.find((l) => l.event === 'paired'), { event: 'paired', address: centralAddress, sc: true, mitm: true, bonded: true });
  assert.deepEqual(first.central.lines.find((l) => l.event === 'paired'), { event: 'paired', address: first.address, sc: true, mitm: true, bonded: true });
  assert.equal(first.adv.lines.some((l) => l.event === 'failed'), false);

  // Both homes hold one bond with the other, MITM-protected, no key material printed.
  const [peripheralBonds, centralBonds] = [await bondsOf(t, a), await bondsOf(t, b)];
  for (const [bonds, peer] of [[peripheralBonds, centralAddress], [centralBonds, first.address]] as const) {
    assert.equal(bonds.length, 1, JSON.stringify(bonds));
    assert.equal(bonds[0].event, 'bond');
    assert.equal(bonds[0].address, peer);
    assert.equal(bonds[0].sc, true);
    assert.equal(bonds[0].mitm, true);
    assert.equal(bonds[0].keySize, 16);
    assert.equal(/ltk|"key"/i.test(JSON.stringify(bonds[0])), false, 'no key material printed');
  }

  // Second connection: the central answers with the bond; the advertiser's run ends with it, exit 0.
  const second = await pairOnce(t, hci, a, b, ['--security-request', '--io', 'display', '--mitm'], ['--io', 'keyboard', '--mitm']);
  assert.equal(second.advExit.code, 0, second.advExit.stderr);
  assert.equal(second.centralExit.code, 0, second.centralExit.stderr);
  assert.deepEqual(second.adv.lines.find((l) => l.event === 'encrypted'), { event: 'encrypted', address: centralAddress, level: 4, keySize: 16, sc: true, mitm: true, bond: true });
  assert.equal(second.adv.lines.find((l) => l.event === 'encrypted')?.bond, true);
  for (const c of [second.adv, second.central]) {
    assert.equal(c.lines.some((l) => l.event === 'paired' || l.event === 'passkey' || l.event === 'failed'), false, JSON.stringify(c.lines));
  }
  // Still one bond each, the same ones.
  assert.deepEqual(await bondsOf(t, a), peripheralBonds);
  assert.deepEqual(await bondsOf(t, b), centralBonds);
});

test('pair ble advertise --security-request --mitm: a central that encrypts with a Just Works bond is refused (INSUFFICIENT_SECURITY, exit 4)', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const first = await pairOnce(t, hci, a, b, ['--security-request', '--io', 'none'], ['--io', 'none']);
  assert.equal(first.advExit.code, 0, first.advExit.stderr);
  assert.equal(first.adv.lines.find((l) => l.event === 'paired')?.mitm, false);
  // The central (no --mitm) takes its bond as good enough; the advertiser now requires MITM.
  const second = await pairOnce(t, hci, a, b, ['--security-request', '--io', 'display', '--mitm'], ['--io', 'none']);
  assert.equal(second.advExit.code, 4, second.advExit.stderr);
  assert.deepEqual(second.adv.lines.find((l) => l.event === 'failed'), { event: 'failed', reason: 'INSUFFICIENT_SECURITY', missing: ['mitm'] });
  assert.equal(second.adv.lines.find((l) => l.event === 'encrypted')?.level, 2, 'encrypted, at level 2 only');
  assert.equal(second.central.lines.find((l) => l.event === 'encrypted')?.bond, true);
  assert.equal((await bondsOf(t, a))[0].mitm, false, 'the old bond is kept as it was');
});

/** An H4 ACL packet's L2CAP channel id and payload (single-fragment PDUs, as SMP's are). */
function l2cap(packet: Buffer): { cid: number; payload: Buffer } | undefined {
  if (packet[0] !== 0x02 || packet.length < 9) return undefined;
  return { cid: packet.readUInt16LE(7), payload: packet.subarray(9) };
}

/** An H4 HCI command packet's opcode. */
const opcodeOf = (r: BtsnoopRecord): number | undefined => (r.packet[0] === 0x01 ? r.packet.readUInt16LE(1) : undefined);

test('pair ble --btsnoop FILE: both sides capture H4 BTSnoop files (0600) with SMP and the encryption commands', async (t) => {
  const hci = await sim(t);
  const [a, b] = homes(t);
  const advFile = join(a, 'peripheral.btsnoop');
  const centralFile = join(b, 'central.btsnoop');
  // An existing file is truncated and made 0600.
  writeFileSync(centralFile, 'old contents', { mode: 0o644 });
  const r = await pairOnce(t, hci, a, b, ['--io', 'yesno', '--yes', '--btsnoop', advFile], ['--io', 'yesno', '--yes', '--btsnoop', centralFile]);
  assert.equal(r.advExit.code, 0, r.advExit.stderr);
  assert.equal(r.centralExit.code, 0, r.centralExit.stderr);
  assert.equal(r.central.lines.find((l) => l.event === 'paired')?.sc, true);

  const captures: Record<string, BtsnoopRecord[]> = {};
  for (const [name, file] of [['peripheral', advFile], ['central', centralFile]] as const) {
    assert.equal(statSync(file).mode & 0o777, 0o600, `${name} capture is 0600`);
    const head = readFileSync(file).subarray(0, 16);
    assert.equal(head.subarray(0, 8).toString('latin1'), 'btsnoop\0');
    assert.equal(head.readUInt32BE(8), 1, 'version 1');
    assert.equal(head.readUInt32BE(12), BTSNOOP_DATALINK_H4);
    assert.equal(BTSNOOP_DATALINK_H4, 1002);
    const recs = await readBtsnoop(file);
    assert.ok(recs.some((x) => x.direction === 'sent'), `${name}: host -> controller packets`);
    assert.ok(recs.some((x) => x.direction === 'received'), `${name}: controller -> host packets`);
    captures[name] = recs;
  }

  const central = captures.central;
  const pairingRequest = central.find((x) => x.direction === 'sent' && l2cap(x.packet)?.cid === 0x0006 && l2cap(x.packet)?.payload[0] === 0x01);
  assert.ok(pairingRequest, 'the central sent an SMP Pairing Request on CID 0x0006');
  assert.equal(pairingRequest.flags & 1, 0, 'direction flag: sent');
  assert.ok(central.some((x) => x.direction === 'received' && l2cap(x.packet)?.cid === 0x0006 && l2cap(x.packet)?.payload[0] === 0x02), 'the Pairing Response came back');
  const startEnc = central.find((x) => x.direction === 'sent' && opcodeOf(x) === 0x2019);
  assert.ok(startEnc, 'LE Start Encryption is in the central capture');
  assert.equal(startEnc.flags, 2, 'a command, host to controller');
  // The peripheral answered the controller's LTK request: LE Long Term Key Request Reply.
  assert.ok(captures.peripheral.some((x) => x.direction === 'sent' && opcodeOf(x) === 0x201a), 'LTK Request Reply in the peripheral capture');
  // Its Pairing Response went out from the peripheral's host.
  assert.ok(captures.peripheral.some((x) => x.direction === 'sent' && l2cap(x.packet)?.cid === 0x0006 && l2cap(x.packet)?.payload[0] === 0x02));
});

test('pair ble --btsnoop: an unwritable path is a usage error (exit 2) before any radio activity', async (t) => {
  const [, b] = homes(t);
  const bad = start(t, ['--home', b, 'ble', 'scan', '--hci', 'tcp:127.0.0.1:1', '--timeout', '1', '--btsnoop', join(b, 'no-such-dir', 'x.btsnoop')]);
  const out = await bad.done;
  assert.equal(out.code, 2, out.stderr);
  assert.match(out.stderr, /BTSNOOP_FILE/);
});
