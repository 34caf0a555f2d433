// pair initiate: show 12 words, wait for the other device to join, write the registry.
import type { Command } from 'commander';
import qrcode from 'qrcode-terminal';
import { PairingService } from '@pairkit/net';
import type { CliContext } from '../util/context.js';
import { CliError } from '../util/errors.js';
import { ExitCode } from '../util/exit-codes.js';
import { NetProgress, addNetOptions, awaitPaired, awaitRelayAddrs, bootstrapList, parseDuration, printFailed, printPaired, startNode, type NetOptions } from '../util/net.js';
import { addBleOptions, runBleInitiate, type BleOptions } from './ble-handover.js';

export function register(program: Command, ctx: CliContext): void {
  addBleOptions(addNetOptions(
    program
      .command('initiate')
      .description('start a pairing: shows 12 words to type on the other device (`pair join`), then waits for it')
      .option('--timeout <duration>', 'how long the words stay valid (e.g. 90s, 5m)', '5m')
      .option('--qr', 'also show the words as a terminal QR code')
      .option('--relay', 'also be reachable through a circuit relay: reserve a slot on the --bootstrap nodes (`pair node`), for joiners that cannot dial this device directly (NAT)')
  ), 'initiate').action(async (opts: NetOptions & BleOptions & { timeout: string; qr?: boolean; relay?: boolean }) => {
    if (opts.ble === true) return runBleInitiate(ctx, opts);
    const ttlMs = parseDuration(opts.timeout);
    const registry = await ctx.openRegistry();
    try {
      if (opts.relay === true && bootstrapList(opts, ctx.env).length === 0) {
        throw new CliError('USAGE', '--relay needs a relay: give --bootstrap <multiaddr of a `pair node`> or set PAIRKIT_BOOTSTRAP', ExitCode.USAGE);
      }
      const { node } = await startNode(ctx, registry, opts, { relayListen: opts.relay === true });
      if (opts.relay === true) {
        const progress = new NetProgress(ctx, 'reserving a relay slot');
        try {
          const addrs = await awaitRelayAddrs(node, ctx.signal);
          progress.stop();
          ctx.output.result({ event: 'relay', addrs }, () => ['reachable through the relay:', ...addrs.map((a) => `    ${a}`)].join('\n'));
        } finally {
          progress.stop();
        }
      }
      const service = new PairingService({ node, registry });
      await service.start();
      ctx.onCleanup(() => service.close());
      const session = service.initiate({ ttlMs, signal: ctx.signal });
      ctx.output.result({ event: 'code', words: session.code, expiresAt: new Date(session.expiresAt).toISOString() }, () =>
        [
          '',
          'On the other device, run:',
          '',
          `    pair join ${session.code}`,
          '',
          `The words are valid until ${new Date(session.expiresAt).toLocaleTimeString()} and work once.`
        ].join('\n')
      );
      if (opts.qr === true && !ctx.options.json) qrcode.generate(session.code, { small: true }, (qr) => process.stdout.write(qr + '\n'));
      const progress = new NetProgress(ctx, 'waiting for the other device to join');
      service.on('verifying', (e) => progress.update(`checking ${short(e.peerId)}...`));
      service.on('failed', (e) => progress.update(`a device failed to join (${e.code}); still waiting`));
      await awaitPaired(ctx, progress, session.result, printPaired);
    } catch (err) {
      printFailed(ctx, err);
      throw err;
    }
  });
}

function short(peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}...${peerId.slice(-6)}` : peerId;
}
