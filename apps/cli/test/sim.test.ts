// `pair sim` as a real child process: --json listening line, a TCP client is a controller
// that answers HCI_Reset, SIGTERM ends it cleanly with exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HciHost, readBtsnoop } from '@pairkit/hci';
import { LineReader } from '../src/util/line-reader.js';
import { MAIN } from './helpers/pair.js';

// Not the test runner's environment: NODE_TEST_CONTEXT would make the child report to it.
const CHILD_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };

/** Lines of a child's stdout, queued so none is lost between two awaits; its end is an error. */
function lineReader(input: Readable): () => Promise<string> {
  const lines = new LineReader(input);
  return async () => {
    const line = await lines.next();
    if (line === undefined) throw new Error('stdout ended');
    return line;
  };
}

test('pair sim --json: listening line, Reset answered over H4/TCP, SIGTERM exits 0', async (t) => {
  const child = spawn(process.execPath, [MAIN, '--json', 'sim', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const nextLine = lineReader(child.stdout);
  const first = await nextLine();
  const listening = JSON.parse(first) as { event: string; host: string; port: number };
  assert.equal(listening.event, 'listening');
  assert.equal(listening.host, '127.0.0.1');
  assert.ok(listening.port > 0);

  const sock = connect({ host: listening.host, port: listening.port });
  t.after(() => sock.destroy());
  await once(sock, 'connect');
  // HCI_Reset split over two writes: the server must reassemble it.
  sock.write(Buffer.from([0x01, 0x03]));
  sock.write(Buffer.from([0x0c, 0x00]));
  let got = Buffer.alloc(0);
  while (got.length < 7) got = Buffer.concat([got, (await once(sock, 'data'))[0] as Buffer]);
  assert.deepEqual(got.subarray(0, 7), Buffer.from([0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00]), 'Command Complete for Reset, status 0');
  const clientLine = await nextLine();
  assert.equal(JSON.parse(clientLine).type, 'client');

  child.kill('SIGTERM');
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.equal(signal, null);
  assert.equal(code, 0, `stderr: ${stderr}`);
});

test('pair sim: a bad --listen is a usage error (exit 2)', async (t) => {
  const child = spawn(process.execPath, [MAIN, 'sim', '--listen', 'nowhere'], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.match(stderr, /HOST:PORT/);
});

test('pair sim --btsnoop DIR: one capture per client, seen from the host', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pairkit-sim-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const snoop = join(dir, 'captures');
  const child = spawn(process.execPath, [MAIN, '--json', 'sim', '--listen', '127.0.0.1:0', '--btsnoop', snoop], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));
  const nextLine = lineReader(child.stdout);
  const { port } = JSON.parse(await nextLine()) as { port: number };
  const sock = connect({ host: '127.0.0.1', port });
  t.after(() => sock.destroy());
  await once(sock, 'connect');
  sock.write(Buffer.from([0x01, 0x03, 0x0c, 0x00, 0x01, 0x09, 0x10, 0x00])); // Reset + Read BD_ADDR
  let got = Buffer.alloc(0);
  while (got.length < 7 + 13) got = Buffer.concat([got, (await once(sock, 'data'))[0] as Buffer]);
  child.kill('SIGTERM');
  assert.equal(((await once(child, 'exit')) as [number])[0], 0);
  assert.deepEqual(await readdir(snoop), ['controller-1.btsnoop']);
  // captures hold link keys: owner only
  assert.equal((await stat(snoop)).mode & 0o777, 0o700);
  assert.equal((await stat(join(snoop, 'controller-1.btsnoop'))).mode & 0o777, 0o600);
  const recs = await readBtsnoop(join(snoop, 'controller-1.btsnoop'));
  assert.deepEqual(
    recs.map((r) => [r.direction, r.packet.toString('hex')]),
    [
      ['sent', '01030c00'],
      ['received', got.subarray(0, 7).toString('hex')],
      ['sent', '01091000'],
      ['received', got.subarray(7, 20).toString('hex')],
    ],
  );
});

test('pair sim on a busy port: exit 1 with a clear message', async (t) => {
  const busy = createServer();
  busy.listen(0, '127.0.0.1');
  await once(busy, 'listening');
  t.after(() => busy.close());
  const { port } = busy.address() as AddressInfo;
  const child = spawn(process.execPath, [MAIN, 'sim', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 1);
  assert.match(stderr, /cannot listen on 127\.0\.0\.1:\d+/);
});

test('pair sim --core-version: 5.4 controllers offer extended advertising, 4.2 ones do not; a bad version is a usage error', async (t) => {
  for (const [version, hciVersion, commands] of [['5.4', 0x0d, 'extended'], ['4.2', 0x08, 'legacy']] as const) {
    const child = spawn(process.execPath, [MAIN, '--json', 'sim', '--listen', '127.0.0.1:0', '--core-version', version], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
    t.after(() => child.exitCode === null && child.kill('SIGKILL'));
    const nextLine = lineReader(child.stdout);
    const listening = JSON.parse(await nextLine()) as { port: number; coreVersion: string };
    assert.equal(listening.coreVersion, version);
    const host = await HciHost.open(`tcp:127.0.0.1:${listening.port}`);
    const info = host.info!;
    await host.close();
    assert.equal(info.hciVersion, hciVersion, `HCI version of a ${version} controller`);
    assert.equal(info.extendedAdvertising, version === '5.4');
    assert.equal(host.advertisingCommands, commands);
    child.kill('SIGTERM');
    assert.equal(((await once(child, 'exit')) as [number])[0], 0);
  }
  const bad = spawn(process.execPath, [MAIN, 'sim', '--listen', '127.0.0.1:0', '--core-version', '3.0'], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
  t.after(() => bad.exitCode === null && bad.signalCode === null && bad.kill('SIGKILL'));
  assert.equal(((await once(bad, 'exit')) as [number])[0], 2);
});
