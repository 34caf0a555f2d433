// `--btsnoop FILE` for the BLE commands: tap the HCI transport into a BTSnoop capture
// (H4 datalink, Wireshark opens it). Captures hold key material (the LTK crosses HCI in
// LE Start Encryption and LTK Request Reply), so the file is always 0600.
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { BtsnoopWriter, type HciTransport } from '@pairkit/hci';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { ExitCode } from './exit-codes.js';

export const BTSNOOP_HELP = 'write a BTSnoop capture of the HCI traffic to FILE (Wireshark opens it; it holds the link keys: created or truncated with mode 0600)';

export function addBtsnoopOption(cmd: Command): Command {
  return cmd.option('--btsnoop <file>', BTSNOOP_HELP);
}

/**
 * Creates or truncates `file` with mode 0600 and returns its writer; call it before opening
 * the transport, so a bad path fails first and the capture is closed (flushed) after the host:
 * cleanups run last registered first.
 */
export async function openBtsnoop(ctx: CliContext, file: string): Promise<BtsnoopWriter> {
  try {
    // open() only applies the mode to a new file; chmod covers an existing one.
    const fh = await open(file, 'w', 0o600);
    try {
      await fh.chmod(0o600);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new CliError('BTSNOOP_FILE', `cannot write the capture ${file}: ${(err as Error).message}`, ExitCode.USAGE);
  }
  const writer = new BtsnoopWriter(file);
  ctx.onCleanup(() => writer.close());
  return writer;
}

/** The transport, tapped into the capture when there is one. */
export function tapped(transport: HciTransport, writer: BtsnoopWriter | undefined): HciTransport {
  return writer ? writer.tap(transport) : transport;
}
