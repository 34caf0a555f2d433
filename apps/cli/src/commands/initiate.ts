// pair initiate: show 12 words, wait for the other device to join, write the registry.
import type { Command } from 'commander';
import qrcode from 'qrcode-terminal';
import { PairingService } from '@pairkit/net';
import type { CliContext } from '../util/context.js';
import { NetProgress, addNetOptions, awaitPaired, parseDuration, printFailed, printPaired, startNode, type NetOptions } from '../util/net.js';
import { addBleOptions, runBleInitiate, type BleOptions } from './ble-handover.js';

export function register(program: Command, ctx: CliContext): void {
  addBleOptions(addNetOptions(
    program
      .command('initiate')
      .description('start a pairing: shows 12 words to type on the other device (`pair join`), then waits for it')
      .option('--timeout <duration>', 'how long the words stay valid (e.g. 90s, 5m)', '5m')
      .option('--qr', 'also show the words as a terminal QR code')
  ), 'initiate').action(async (opts: NetOptions & BleOptions & { timeout: string; qr?: boolean }) => {
    if (opts.ble === true) return runBleInitiate(ctx, opts);
    const ttlMs = parseDuration(opts.timeout);
    const registry = await ctx.openRegistry();
    try {
      const { node } = await startNode(ctx, registry, opts);
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
