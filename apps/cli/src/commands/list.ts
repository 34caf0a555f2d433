// pair list: the paired devices.
import type { Command } from 'commander';
import type { CliContext } from '../util/context.js';
import { deviceSummaryJson, table } from '../util/format.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .alias('ls')
    .description('list paired devices (--json: one JSON array)')
    .action(async () => {
      const registry = await ctx.openRegistry();
      const devices = registry.list().map(deviceSummaryJson);
      ctx.output.result(devices, () => {
        if (devices.length === 0) return 'no paired devices yet (pair one with: pair initiate / pair join)';
        return table(
          ['DEVICE', 'NAME', 'METHOD', 'PAIRED', 'LAST SEEN', 'BLE'],
          devices.map((d) => [
            d.deviceId.slice(0, 12),
            d.name,
            d.method,
            d.pairedAt?.slice(0, 16).replace('T', ' ') ?? '-',
            d.lastSeenAt?.slice(0, 16).replace('T', ' ') ?? 'never',
            d.bleAddress ?? '-',
          ]),
        );
      });
    });
}
