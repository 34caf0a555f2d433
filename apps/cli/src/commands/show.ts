// pair show <device>: one device in detail. Keys are never printed: only whether they exist and a fingerprint.
import type { Command } from 'commander';
import type { CliContext } from '../util/context.js';
import { DEVICE_ARG_HELP, resolveDevice } from '../util/device-arg.js';
import { deviceDetailJson, lines } from '../util/format.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('show')
    .description('show one paired device')
    .argument('<device>', DEVICE_ARG_HELP)
    .action(async (query: string) => {
      const registry = await ctx.openRegistry();
      const d = deviceDetailJson(resolveDevice(registry, query));
      ctx.output.result(d, () =>
        lines([
          ['name', d.name],
          ['device id', d.deviceId],
          ['peer id', d.peerId],
          ['fingerprint', d.fingerprint],
          ['os', d.os],
          ['app version', d.appVersion],
          ['paired', `${d.pairedAt} (${d.method})`],
          ['last seen', d.lastSeenAt ?? 'never'],
          ['addresses', d.addresses.length ? d.addresses.join(' ') : null],
          ['session keys', d.sessionKeys.present ? `yes, fingerprint ${d.sessionKeys.fingerprint}` : 'none'],
          [
            'BLE bond',
            d.bond
              ? `${d.bond.address} (${d.bond.addressType}), ${d.bond.keySize}-byte key, ` +
                `${d.bond.secureConnections ? 'LE Secure Connections' : 'legacy'}, ` +
                `${d.bond.authenticated ? 'authenticated (MITM)' : 'unauthenticated'}`
              : 'none',
          ],
        ]),
      );
    });
}
