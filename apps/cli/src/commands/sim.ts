// pair sim: run ble-sim, virtual LE controllers on one simulated air, as an H4 TCP server.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_SIM_PORT, SimAir, SimServer, type SimController } from '@pairkit/ble-sim';
import { BtsnoopWriter } from '@pairkit/hci';
import type { CliContext } from '../util/context.js';
import { CliError } from '../util/errors.js';
import { ExitCode } from '../util/exit-codes.js';

interface SimOptions {
  listen: string;
  delay: string;
  aclLength: string;
  aclPackets: string;
  coreVersion: '5.4' | '4.2';
  btsnoop?: string;
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new CliError('BAD_LISTEN', `--listen wants HOST:PORT, got ${JSON.stringify(text)}`, ExitCode.USAGE, 'e.g. --listen 127.0.0.1:9300');
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

function intOption(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < min || v > max) throw new CliError('BAD_OPTION', `${name} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`, ExitCode.USAGE);
  return v;
}

/** Resolves on the first SIGINT/SIGTERM. For a server that is the normal way to end (exit 0). */
function untilSignal(): Promise<NodeJS.Signals> {
  const saved = (['SIGINT', 'SIGTERM'] as const).map((sig) => [sig, process.listeners(sig)] as const);
  for (const [sig] of saved) process.removeAllListeners(sig);
  return new Promise((resolve) => {
    const done = (sig: NodeJS.Signals): void => {
      for (const [s, listeners] of saved) {
        process.removeAllListeners(s);
        // Back to the CLI's handlers: a second Ctrl-C during shutdown still forces the exit.
        for (const l of listeners) process.on(s, l as NodeJS.SignalsListener);
      }
      resolve(sig);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('sim')
    .description('run ble-sim: virtual BLE controllers as H4 over TCP, each connection a new controller on one shared air; until Ctrl-C')
    .option('--listen <host:port>', 'address to listen on', `127.0.0.1:${DEFAULT_SIM_PORT}`)
    .option('--delay <ms>', 'connection-interval delay for everything sent over the air', '0')
    .option('--acl-length <octets>', 'LE ACL data packet length each controller advertises', '251')
    .option('--acl-packets <n>', 'number of LE ACL buffers each controller advertises', '8')
    .addOption(
      new Option('--core-version <version>', 'the Bluetooth version each controller presents: 5.4 (extended advertising, LE Read Buffer Size v2) or 4.2 (legacy only), to try a host against older controllers')
        .choices(['5.4', '4.2'])
        .default('5.4'),
    )
    .option('--btsnoop <dir>', 'write one BTSnoop capture per client to DIR/controller-N.btsnoop (Wireshark opens them; they hold the link keys: files 0600)')
    .action(async (opts: SimOptions) => {
      const { host, port } = parseListen(opts.listen);
      const delayMs = intOption('--delay', opts.delay, 0, 60_000);
      const aclDataPacketLength = intOption('--acl-length', opts.aclLength, 27, 1021);
      const totalNumAclDataPackets = intOption('--acl-packets', opts.aclPackets, 1, 255);
      if (opts.btsnoop !== undefined) await mkdir(opts.btsnoop, { recursive: true, mode: 0o700 });
      const captures = new Map<SimController, BtsnoopWriter>();
      const closeCaptures = (): Promise<unknown> => Promise.all([...captures.values()].map((w) => w.close()));
      ctx.onCleanup(closeCaptures);

      const air = new SimAir({ delayMs });
      const server = new SimServer(air, { controller: { aclDataPacketLength, totalNumAclDataPackets, coreVersion: opts.coreVersion } });
      ctx.onCleanup(() => air.close());
      ctx.onCleanup(() => server.close());
      const bound = await server.listen(port, host, ctx.signal);
      const stopped = untilSignal();
      server.on('client', (c) => {
        if (opts.btsnoop !== undefined) {
          // Seen from the host: what it sent (commands, ACL) and what it received.
          const w = new BtsnoopWriter(join(opts.btsnoop, `controller-${c.index}.btsnoop`));
          captures.set(c, w);
          c.on('input', (p) => w.record('sent', p));
          c.on('packet', (p) => w.record('received', p));
        }
        ctx.output.emit({ type: 'client', controller: c.index, address: c.address });
        if (!ctx.options.json) process.stderr.write(`pair: controller ${c.index} (${c.address}) connected\n`);
      });
      server.on('clientClosed', (c, err) => {
        void captures.get(c)?.close();
        ctx.output.emit({ type: 'clientClosed', controller: c.index, address: c.address, ...(err ? { error: err.code } : {}) });
        if (!ctx.options.json) process.stderr.write(`pair: controller ${c.index} left${err ? ` (${err.message})` : ''}\n`);
      });
      ctx.output.result({ event: 'listening', host: bound.host, port: bound.port, coreVersion: opts.coreVersion }, () =>
        `ble-sim listening on ${bound.host}:${bound.port} (H4 over TCP; each connection is a new Bluetooth ${opts.coreVersion} controller). Ctrl-C to stop.`,
      );
      await stopped;
      await server.close();
      air.close();
      await closeCaptures();
    });
}
