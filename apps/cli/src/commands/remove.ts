// pair remove <device>: forget a device (its keys and BLE bond go with it).
import type { Command } from 'commander';
import type { DeviceRegistry, PairedDevice } from '@pairkit/registry';
import type { CliContext } from '../util/context.js';
import { DEVICE_ARG_HELP, resolveDevice } from '../util/device-arg.js';
import { confirm } from '../util/prompt.js';
import { CliError } from '../util/errors.js';
import { ExitCode } from '../util/exit-codes.js';

/**
 * Tells the removed peer, if it can be reached. Set by the network layer (NET) at import time:
 * `removeHooks.notifyPeer = async (device, { registry, signal }) => { ...; return true }`.
 * `device` still holds its session keys and addresses. Return true once the peer was told
 * (the revocation is then marked delivered); false or a throw leave it queued in the registry.
 */
export interface RemoveHooks {
  notifyPeer?: (device: PairedDevice, ctx: { registry: DeviceRegistry; signal: AbortSignal }) => Promise<boolean>;
}

export const removeHooks: RemoveHooks = {};

export function register(program: Command, ctx: CliContext): void {
  program
    .command('remove')
    .alias('rm')
    .description('forget a paired device: its keys and BLE bond are deleted')
    .argument('<device>', DEVICE_ARG_HELP)
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (query: string, opts: { yes?: boolean }) => {
      const registry = await ctx.openRegistry();
      const device = resolveDevice(registry, query);
      if (!opts.yes && !ctx.options.json) {
        const ok = await confirm(`Remove ${device.name} (${device.deviceId.slice(0, 12)})?`, { signal: ctx.signal });
        if (!ok) throw new CliError('CANCELLED', 'not removed', ExitCode.FAILURE);
      }
      const removed = registry.remove(device.deviceId);
      if (!removed) throw new CliError('NOT_FOUND', `${device.name} was already removed`, ExitCode.NOT_FOUND);

      let peerNotified = false;
      // The network layer sets the hook when util/net.js loads; commands load lazily, so load it.
      await import('../util/net.js');
      if (removeHooks.notifyPeer) {
        const progress = ctx.output.progress(`telling ${removed.name}`);
        try {
          peerNotified = await removeHooks.notifyPeer(removed, { registry, signal: ctx.signal });
          if (peerNotified) registry.markRevocationNotified(removed.deviceId);
          progress.stop();
        } catch (err) {
          progress.stop();
          ctx.output.warn(`could not tell ${removed.name}: ${(err as Error).message ?? String(err)}`);
        }
      }
      ctx.output.result(
        { removed: true, deviceId: removed.deviceId, name: removed.name, hadBond: removed.bond !== undefined, peerNotified },
        () => `removed ${removed.name} (${removed.deviceId})` + (removed.bond ? `, with its BLE bond ${removed.bond.address}` : ''),
      );
    });
}
