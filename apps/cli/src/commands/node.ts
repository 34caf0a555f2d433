// pair node: a long-running DHT server and circuit relay others can bootstrap from.
import type { Command } from 'commander';
import type { CliContext } from '../util/context.js';
import { addNetOptions, startNode, type NetOptions } from '../util/net.js';

export function register(program: Command, ctx: CliContext): void {
  addNetOptions(
    program
      .command('node')
      .description('run a bootstrap node (DHT server + circuit relay) until Ctrl-C; prints its multiaddrs')
  ).action(async (opts: NetOptions) => {
    const registry = await ctx.openRegistry();
    const { node } = await startNode(ctx, registry, opts, { relayServer: true });
    const addrs = node.getMultiaddrs().map(String);
    ctx.output.result({ event: 'listening', peerId: node.peerId.toString(), addrs }, () =>
      ['pairkit node running; others can use:', ...addrs.map((a) => `    --bootstrap ${a}`), 'Ctrl-C to stop.'].join('\n')
    );
    node.addEventListener('peer:connect', (e) => {
      if (!ctx.options.json) process.stderr.write(`pair: peer connected ${e.detail.toString()}\n`);
    });
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    // run() turns the interruption into exit code 130 after cleanup has stopped the node.
  });
}
