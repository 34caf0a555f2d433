// BLE proximity pairing in the CLI (owned by BOOT): `pair initiate --ble`, `pair join --ble`,
// `pair ble oob`. NET's initiate/join and SMP's ble commands delegate here.
import type { Command } from 'commander';
import readline from 'node:readline';
import { LineReader } from '../util/line-reader.js';
import {
  BleHandoverInitiator,
  BleHandoverJoiner,
  BootstrapError,
  DEFAULT_MAX_ATTEMPTS,
  HciBleRadio,
  createLocalOob,
  encodeOobText,
  oobAdHex,
  parseOobInput,
  requestBleBond,
  serveBleBond,
  terminalQr,
  type HandoverEvents,
  type NearbyInitiator,
} from '@pairkit/bootstrap';
import { openTransport } from '@pairkit/hci';
import type { DeviceRegistry } from '@pairkit/registry';
import type { EventEmitter } from 'node:events';
import type { CliContext } from '../util/context.js';
import { CliError, exitCodeMappers } from '../util/errors.js';
import { ExitCode } from '../util/exit-codes.js';
import { confirm as askTty } from '../util/prompt.js';
import { BTSNOOP_HELP, addBtsnoopOption, openBtsnoop, tapped } from '../util/btsnoop.js';
import { NetProgress, awaitPaired, parseDuration, printFailed, printPaired, startNode, type NetOptions } from '../util/net.js';

export interface BleOptions {
  ble?: boolean;
  hci?: string;
  yes?: boolean;
  oob?: string;
  btsnoop?: string;
  maxAttempts?: string;
}

const MAX_ATTEMPTS_HELP = 'BLE connections to serve before giving up when they end without a handover (a device that drops, fails pairing or whose user rejects)';

/** --ble, --hci, --yes (and --oob for join) on `initiate` / `join`. */
export function addBleOptions(cmd: Command, role: 'initiate' | 'join'): Command {
  cmd
    .option('--ble', 'pair over Bluetooth LE instead of typing words (LE Secure Connections, then an encrypted handover)')
    .option('--hci <uri>', 'BLE controller: sim, tcp:HOST:PORT, unix:PATH, hciN, usb:VID:PID, serial:PATH (default $PAIRKIT_HCI, else sim)')
    .option('--yes', role === 'join' ? 'accept the comparison and take the only initiator nearby (for scripts)' : 'accept the comparison (for scripts)');
  if (role === 'join') cmd.option('--oob <data>', 'the other device\'s OOB data (`pair ble oob`): pair with it, no comparison');
  else cmd.option('--max-attempts <n>', `with --ble: ${MAX_ATTEMPTS_HELP}`, String(DEFAULT_MAX_ATTEMPTS));
  return addBtsnoopOption(cmd);
}

function hciUri(ctx: CliContext, opts: BleOptions): string {
  return opts.hci ?? ctx.env.PAIRKIT_HCI ?? 'sim';
}

/** Same line format as the other commands: `{"event": ...}` with --json, text for people. */
function say(ctx: CliContext, value: Record<string, unknown> & { event: string }, human: string): void {
  ctx.output.result(value, () => human);
}

function jsonOnly(ctx: CliContext, value: Record<string, unknown> & { event: string }): void {
  if (ctx.options.json) ctx.output.result(value, () => '');
}

/** Stage events as JSON lines and progress text. */
function report(ctx: CliContext, flow: EventEmitter<HandoverEvents>, progress: NetProgress, joinHint = 'pair join --ble'): void {
  flow.on('advertising', (e) => {
    if (e.attempt === 1) say(ctx, { event: 'advertising', address: e.address, name: e.name, attempt: e.attempt }, `advertising as "${e.name}" (${e.address}); on the other device run: ${joinHint}`);
    else jsonOnly(ctx, { event: 'advertising', address: e.address, name: e.name, attempt: e.attempt });
    progress.update('waiting for the other device to connect over BLE');
  });
  flow.on('attempt-failed', (e) => {
    const left = e.maxAttempts - e.attempt;
    say(
      ctx,
      { event: 'attempt-failed', attempt: e.attempt, maxAttempts: e.maxAttempts, stage: e.stage, code: e.code, reason: e.message, address: e.address },
      `the connection from ${e.address} ended without pairing (${e.code}: ${e.message}); ` +
        (left > 0 ? `advertising again (${left} more connection${left === 1 ? '' : 's'} allowed)` : 'no attempts left'),
    );
  });
  flow.on('scanning', () => {
    say(ctx, { event: 'scanning' }, 'scanning for nearby pairkit devices...');
    progress.update('scanning');
  });
  flow.on('nearby', (e) => jsonOnly(ctx, { event: 'nearby', address: e.address, name: e.name, rssi: e.rssi }));
  flow.on('connected', (e) => {
    say(ctx, { event: 'connected', address: e.address }, `connected to ${e.address}`);
    progress.update('pairing over BLE');
  });
  flow.on('compare', (e) => say(ctx, { event: 'compare', value: e.value }, `\n    ${e.value}\n\nCheck that the other device shows the same 6 digits.`));
  flow.on('ble-paired', (e) => {
    say(ctx, { event: 'ble-paired', model: e.model, authenticated: e.authenticated, address: e.address }, `BLE paired (${e.model}); handing over`);
    progress.update('handing over');
  });
  flow.on('handover', (e) => {
    say(ctx, { event: 'handover', peerId: e.peerId }, 'handover done; pairing over the network');
    progress.update('pairing over the network');
  });
  flow.on('timing', (e) => jsonOnly(ctx, { event: 'timing', stage: e.stage, ms: e.ms }));
}

/** The user's answer to the comparison: --yes, a terminal prompt, or one line per question on stdin (scripts). */
function comparer(ctx: CliContext, opts: BleOptions): (value: string, signal: AbortSignal) => Promise<boolean> {
  let lines: LineReader | undefined;
  return async (_value, signal) => {
    if (opts.yes === true) return true;
    if (process.stdin.isTTY) return askTty('Do both devices show the same digits?', { signal, flag: '--yes' });
    if (lines === undefined) {
      const reader = new LineReader(process.stdin);
      ctx.onCleanup(() => reader.close());
      lines = reader;
    }
    // "y"/"yes" accepts; anything else, end of input or an abort rejects.
    const line = await lines.next(signal);
    return line !== undefined && /^\s*y(es)?\s*$/i.test(line);
  };
}

/** How long `join --ble` listens after the first initiator shows up, to notice a second one. */
const SETTLE_MS = 1500;

/** Picks the initiator: --yes (or no terminal) takes the only one; else ask on the terminal. */
function chooser(opts: BleOptions): (seen: NearbyInitiator[], signal: AbortSignal) => Promise<NearbyInitiator | undefined> {
  return async (seen, signal) => {
    signal.throwIfAborted();
    if (opts.yes === true || !process.stdin.isTTY) {
      if (seen.length === 1) return seen[0];
      throw new BootstrapError('NO_INITIATOR', `${seen.length} pairkit devices are advertising nearby; run without --yes on a terminal to choose`);
    }
    process.stderr.write(seen.map((s, i) => `  ${i + 1}) ${s.name || '(no name)'}  ${s.address.address}  ${s.rssi} dBm`).join('\n') + '\n');
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await new Promise<string>((r) => rl.question('Pair with which device? ', r));
      const n = Number(answer.trim());
      if (!Number.isInteger(n) || n < 1 || n > seen.length) throw new CliError('BAD_CHOICE', `not a choice: ${answer.trim()}`, ExitCode.USAGE);
      return seen[n - 1];
    } finally {
      rl.close();
    }
  };
}

async function openRadio(ctx: CliContext, registry: DeviceRegistry, opts: BleOptions): Promise<HciBleRadio> {
  const capture = opts.btsnoop !== undefined ? await openBtsnoop(ctx, opts.btsnoop) : undefined;
  const transport = tapped(await openTransport(hciUri(ctx, opts), { signal: ctx.signal }), capture);
  const radio = await HciBleRadio.open(transport, { registry, signal: ctx.signal });
  ctx.onCleanup(() => radio.close());
  return radio;
}

function parseMaxAttempts(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_ATTEMPTS;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new CliError('BAD_MAX_ATTEMPTS', `--max-attempts wants a whole number >= 1, got "${text}"`, ExitCode.USAGE);
  }
  return n;
}

/** `pair initiate --ble`. */
export async function runBleInitiate(ctx: CliContext, opts: NetOptions & BleOptions & { timeout: string }, oob?: { print: boolean; ttlMs: number }): Promise<void> {
  try {
    const ttlMs = parseDuration(opts.timeout);
    const maxAttempts = parseMaxAttempts(opts.maxAttempts);
    const registry = await ctx.openRegistry();
    const { node } = await startNode(ctx, registry, opts);
    const radio = await openRadio(ctx, registry, opts);
    let local: ReturnType<typeof createLocalOob> | undefined;
    let joinHint: string | undefined;
    if (oob) {
      local = createLocalOob({ address: radio.address, now: Date.now(), ttlMs: oob.ttlMs, role: 'peripheral' });
      const text = encodeOobText(local.data);
      joinHint = 'pair join --ble --oob <the data above>';
      say(ctx, { event: 'oob', text, ad: oobAdHex(local.data), address: local.data.address.address, expiresAt: new Date(local.data.expiresAt!).toISOString() }, [
        'This device\'s LE Secure Connections OOB data:',
        '',
        `    ${text}`,
        '',
        `AD structures (hex): ${oobAdHex(local.data)}`,
        '',
        ...(ctx.options.json ? [] : [terminalQr(text)]),
        `On the other device run: pair join --ble --oob ${text}`,
      ].join('\n'));
    }
    const progress = new NetProgress(ctx, 'starting BLE');
    const flow = new BleHandoverInitiator({
      radio,
      node,
      registry,
      confirm: comparer(ctx, opts),
      oob: local ? { local: local.sc } : undefined,
      ttlMs,
      maxAttempts,
      timeouts: { advertise: ttlMs },
      signal: ctx.signal,
    });
    report(ctx, flow, progress, joinHint);
    await awaitPaired(ctx, progress, flow.run(), printBlePaired);
  } catch (err) {
    printFailed(ctx, err);
    throw err;
  }
}

/** `pair join --ble`. */
export async function runBleJoin(ctx: CliContext, opts: NetOptions & BleOptions & { timeout: string }): Promise<void> {
  try {
    const timeoutMs = parseDuration(opts.timeout);
    // Parse OOB data first: stale or mistyped data is reported before any radio activity.
    const peerOob = opts.oob !== undefined ? parseOobInput(opts.oob, { now: Date.now() }) : undefined;
    const registry = await ctx.openRegistry();
    const { node } = await startNode(ctx, registry, { ...opts, mdns: false });
    const radio = await openRadio(ctx, registry, opts);
    const progress = new NetProgress(ctx, 'starting BLE');
    const flow = new BleHandoverJoiner({
      radio,
      node,
      registry,
      confirm: comparer(ctx, opts),
      choose: chooser(opts),
      settleMs: SETTLE_MS,
      target: peerOob?.address,
      oob: peerOob ? { peer: { r: peerOob.r, c: peerOob.c } } : undefined,
      timeouts: { scan: timeoutMs, network: timeoutMs },
      signal: ctx.signal,
    });
    report(ctx, flow, progress);
    await awaitPaired(ctx, progress, flow.run(), printBlePaired);
  } catch (err) {
    printFailed(ctx, err);
    throw err;
  }
}

function printBlePaired(ctx: CliContext, device: Parameters<typeof printPaired>[1]): void {
  if (ctx.options.json) {
    ctx.output.result(
      {
        event: 'paired',
        device: { deviceId: device.deviceId, peerId: device.peerId, name: device.name },
        method: device.method,
        bond: device.bond ? { address: device.bond.address, authenticated: device.bond.authenticated, secureConnections: device.bond.secureConnections } : undefined,
        verification: device.verification,
      },
      () => '',
    );
  } else {
    printPaired(ctx, device);
    if (device.bond) ctx.output.info(`  BLE bond      ${device.bond.address} (LE Secure Connections${device.bond.authenticated ? ', authenticated' : ''})`);
  }
}

/** `pair ble oob`: registered by SMP's `ble` command group. */
export function registerBleOob(ble: Command, ctx: CliContext): void {
  ble
    .command('oob')
    .description('show this device\'s LE SC OOB data (text, QR, AD structures), then wait for `pair join --ble --oob DATA` and pair with no comparison')
    .option('--hci <uri>', 'BLE controller (default $PAIRKIT_HCI, else sim)')
    .option('--btsnoop <file>', BTSNOOP_HELP)
    .option('--ttl <duration>', 'how long the OOB data stays valid', '10m')
    .option('--max-attempts <n>', MAX_ATTEMPTS_HELP, String(DEFAULT_MAX_ATTEMPTS))
    .option('--listen <multiaddr>', 'listen on this multiaddr (repeatable)', (v: string, p: string[] | undefined) => [...(p ?? []), v])
    .option('--no-mdns', 'no LAN discovery (mDNS)')
    .action(async (opts: NetOptions & BleOptions & { ttl: string }) => {
      const ttlMs = parseDuration(opts.ttl);
      await runBleInitiate(ctx, { ...opts, timeout: opts.ttl, yes: true }, { print: true, ttlMs });
    });
}

/** `pair ble bond <device>` / `pair ble bond --accept`: registered by SMP's `ble` command group. */
export function registerBleBond(ble: Command, ctx: CliContext): void {
  ble
    .command('bond')
    .description('form a BLE bond with a device already paired over the network: OOB data goes over the network, no user step (the other device runs `pair ble bond --accept`)')
    .argument('[device]', 'device id, unique prefix or name (omit with --accept)')
    .option('--accept', 'wait for a paired device to ask for a bond, and bond with it')
    .option('--hci <uri>', 'BLE controller (default $PAIRKIT_HCI, else sim)')
    .option('--btsnoop <file>', BTSNOOP_HELP)
    .option('--timeout <duration>', 'give up after this long', '2m')
    .option('--listen <multiaddr>', 'listen on this multiaddr (repeatable)', (v: string, p: string[] | undefined) => [...(p ?? []), v])
    .option('--no-mdns', 'no LAN discovery (mDNS)')
    .action(async (query: string | undefined, opts: NetOptions & BleOptions & { accept?: boolean; timeout: string }) => {
      try {
        const timeoutMs = parseDuration(opts.timeout);
        if ((query === undefined) === (opts.accept !== true)) {
          throw new CliError('USAGE', 'give a device, or --accept to wait for one', ExitCode.USAGE);
        }
        const registry = await ctx.openRegistry();
        const device = query !== undefined ? registry.resolve(query) : undefined;
        const { node, channels } = await startNode(ctx, registry, opts);
        const radio = await openRadio(ctx, registry, opts);
        const deadline = AbortSignal.timeout(timeoutMs);
        const signal = AbortSignal.any([ctx.signal, deadline]);
        const progress = new NetProgress(ctx, device ? `asking ${device.name} for a BLE bond` : 'waiting for a bond request');
        if (!device) {
          say(ctx, { event: 'listening', addrs: node.getMultiaddrs().map((a) => a.toString()), address: radio.address.address }, `waiting for a paired device to ask for a BLE bond (${radio.address.address})`);
        }
        try {
          const out = await (device
            ? requestBleBond(device.deviceId, { radio, channels, registry, signal })
            : serveBleBond({ radio, channels, registry, signal })
          ).catch((err: unknown) => {
            if (deadline.aborted && !ctx.signal.aborted) throw new BootstrapError('TIMEOUT', `no bond within ${opts.timeout}`, { cause: err });
            throw err;
          });
          progress.stop();
          ctx.output.result(
            { event: 'bonded', device: { deviceId: out.device.deviceId, peerId: out.device.peerId, name: out.device.name }, address: out.address, method: out.device.method },
            () => `BLE bond formed with ${out.device.name} (${out.address}); no user step needed`,
          );
        } finally {
          progress.stop();
        }
      } catch (err) {
        printFailed(ctx, err);
        throw err;
      }
    });
}

exitCodeMappers.push((err) => {
  if (!(err instanceof BootstrapError)) return undefined;
  switch (err.code) {
    case 'TIMEOUT':
      return ExitCode.TIMEOUT;
    case 'ABORTED':
      return ExitCode.INTERRUPTED;
    case 'MALFORMED':
    case 'BAD_CHECKSUM':
    case 'UNSUPPORTED_VERSION':
    case 'INVALID_INPUT':
    case 'EXPIRED':
      return ExitCode.USAGE;
    default:
      return ExitCode.PAIRING_FAILED;
  }
});
