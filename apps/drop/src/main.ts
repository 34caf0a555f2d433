#!/usr/bin/env node
// drop: send files to a paired pairkit device. Uses only the public `pairkit` API.
import { Command, Option } from 'commander';
import { collect } from './cli/common.js';
import { receiveCommand } from './cli/receive.js';
import { sendCommand } from './cli/send.js';

function common(cmd: Command): Command {
  return cmd
    .option('--home <dir>', 'pairkit home folder (default: $PAIRKIT_HOME or ~/.local/share/pairkit)')
    .option('--json', 'one JSON object per line on stdout')
    .option('--listen <multiaddr>', 'listen address (repeatable)', collect)
    .option('--bootstrap <multiaddr>', 'DHT bootstrap node or a known peer address (repeatable; also $PAIRKIT_BOOTSTRAP)', collect)
    .option('--no-mdns', 'do not use mDNS on the LAN');
}

const program = new Command('drop')
  .description('Send files between paired pairkit devices: streamed, SHA-256 checked, resumable.')
  .showHelpAfterError()
  // before the subcommands exist, so they inherit it: bad usage exits 2, --help exits 0
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  })
  .addHelpText(
    'after',
    `
Devices must be paired first (pair initiate / pair join).

Exit codes: 0 ok, 1 failure, 2 usage, 3 device not paired/removed/refused (also: not one of
the receiver's --from devices), 4 transfer failed (connection lost, hash mismatch, declined,
over the receiver's --max-size or free disk space), 5 timeout, 130 interrupted.`,
  );

common(
  program
    .command('send')
    .description('send files to a paired device (name, device id or id prefix)')
    .argument('<device>', 'paired device: name, device id or unique id prefix')
    .argument('<file...>', 'files to send')
    .addOption(new Option('--timeout <seconds>', 'give up connecting after this long').default('60')),
).action(async (device: string, files: string[], opts) => {
  process.exitCode = await sendCommand(device, files, opts);
});

common(
  program
    .command('receive')
    .description('receive files from paired devices into a folder (until Ctrl-C)')
    .option('--dir <dir>', 'where files go (default: current folder); partial files stay as NAME.part for resume')
    .option('--once', 'exit after one transfer from an accepted device (exit code tells how it went)')
    .option('--from <device>', 'accept files only from this paired device: name, device id or unique id prefix (repeatable); others are refused', collect)
    .option('--max-size <size>', 'refuse offers larger than this in total: bytes, or K/M/G/T (powers of 1024; KB/MB/GB powers of 1000), e.g. 500M, 2G')
    .addHelpText(
      'after',
      `
Before writing anything, the receiver refuses an offer (the sender exits non-zero with the reason):
  DROP_NOT_ALLOWED  the sender is not one of the --from devices (sender exit 3)
  DROP_TOO_LARGE    the offer's total is over --max-size (sender exit 4)
  DROP_NO_SPACE     the --dir file system has too little free space for it (sender exit 4)
A --from device that is not paired is an error (exit 3), as for drop send.`,
    ),
).action(async (opts) => {
  process.exitCode = await receiveCommand(opts);
});

await program.parseAsync(process.argv);
