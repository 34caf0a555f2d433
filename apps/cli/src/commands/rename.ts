// pair rename <name>: the name this device shows to others.
import type { Command } from 'commander';
import type { CliContext } from '../util/context.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('rename')
    .description('set the name this device shows to other devices (default: the host name)')
    .argument('<name>', 'new name, up to 64 characters')
    .action(async (name: string) => {
      const registry = await ctx.openRegistry();
      registry.setName(name);
      const id = registry.identity();
      ctx.output.result({ deviceId: id.deviceId, name: id.name }, () => `this device is now called ${JSON.stringify(id.name)}`);
    });
}
