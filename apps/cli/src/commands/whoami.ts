// pair whoami: this device's identity (made on first use).
import type { Command } from 'commander';
import type { CliContext } from '../util/context.js';
import { identityJson, lines } from '../util/format.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('whoami')
    .description("show this device's identity: device id, libp2p peer id, name, BLE address")
    .action(async () => {
      const registry = await ctx.openRegistry();
      const id = identityJson(registry.identity(), registry.home);
      ctx.output.result(id, () =>
        lines([
          ['name', id.name],
          ['device id', id.deviceId],
          ['peer id', id.peerId],
          ['fingerprint', id.fingerprint],
          ['BLE address', id.bleAddress],
          ['os', id.os],
          ['app version', id.appVersion],
          ['home', id.home],
        ]),
      );
    });
}
