// pair join <words...>: find the initiator by its 12 words and pair with it.
import type { Command } from 'commander';
import { PairingService } from '@pairkit/net';
import { PairingCode } from '@pairkit/pairing';
import type { CliContext } from '../util/context.js';
import { NetProgress, addNetOptions, awaitPaired, parseDuration, printFailed, printPaired, startNode, type NetOptions } from '../util/net.js';
import { addBleOptions, runBleJoin, type BleOptions } from './ble-handover.js';

export function register(program: Command, ctx: CliContext): void {
  addBleOptions(addNetOptions(
    program
      .command('join')
      .description('pair with a device that runs `pair initiate`, using its 12 words (case, hyphens and 4-letter prefixes are fine)')
      .argument('[words...]', 'the 12 words shown by `pair initiate` (none with --ble)')
      .option('--timeout <duration>', 'give up after this long (e.g. 60s, 2m)', '2m')
  ), 'join').action(async (words: string[], opts: NetOptions & BleOptions & { timeout: string }) => {
    if (opts.ble === true) return runBleJoin(ctx, opts);
    try {
      // Parse first: a typo is reported before any network activity.
      const code = PairingCode.parse(words.join(' '));
      const timeoutMs = parseDuration(opts.timeout);
      const registry = await ctx.openRegistry();
      // A short mDNS interval: the joiner is the one asking, and only while it waits.
      const { node } = await startNode(ctx, registry, opts, { mdnsIntervalMs: 2_000 });
      const service = new PairingService({ node, registry });
      await service.start();
      ctx.onCleanup(() => service.close());
      const progress = new NetProgress(ctx, 'looking for the initiator');
      service.on('discovering', (e) =>
        progress.update(`looking for the initiator (${[e.mdns ? 'LAN' : '', e.dht ? 'DHT' : ''].filter(Boolean).join(' + ')})`)
      );
      service.on('verifying', (e) => progress.update(`found ${e.peerId.slice(0, 8)}..., checking the code`));
      await awaitPaired(ctx, progress, service.join(code.toString(), { signal: ctx.signal, timeoutMs, mdns: opts.mdns }), printPaired);
    } catch (err) {
      printFailed(ctx, err);
      throw err;
    }
  });
}
