// Shared by `initiate`, `join` and `node` (owned by NET): network options, the node, progress,
// exit codes for network errors, and the peer notification of `pair remove`.
import type { Command } from 'commander';
import { NetError, createPairkitNode, DeviceChannels, libp2pPrivateKey, type PairkitLibp2p } from '@pairkit/net';
import { PairingCodeError, PairingProtocolError } from '@pairkit/pairing';
import type { DeviceRegistry, PairedDevice } from '@pairkit/registry';
import type { CliContext } from './context.js';
import { CliError, exitCodeMappers } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { removeHooks } from '../commands/remove.js';

export interface NetOptions {
  listen?: string[];
  bootstrap?: string[];
  mdns: boolean;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** --listen, --bootstrap, --no-mdns on a network command. */
export function addNetOptions(cmd: Command): Command {
  return cmd
    .option('--listen <multiaddr>', 'listen on this multiaddr (repeatable; default /ip4/0.0.0.0/tcp/0)', collect)
    .option('--bootstrap <multiaddr>', 'DHT bootstrap node with /p2p/<id> (repeatable; also $PAIRKIT_BOOTSTRAP, comma-separated)', collect)
    .option('--no-mdns', 'no LAN discovery (mDNS)');
}

export function bootstrapList(opts: NetOptions, env: NodeJS.ProcessEnv): string[] {
  const fromEnv = (env.PAIRKIT_BOOTSTRAP ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return [...(opts.bootstrap ?? []), ...fromEnv];
}

/** Starts the node with the registry identity; stopped when the command ends. */
export async function startNode(
  ctx: CliContext,
  registry: DeviceRegistry,
  opts: NetOptions,
  extra: { relayServer?: boolean; relayListen?: boolean; mdnsIntervalMs?: number } = {}
): Promise<{ node: PairkitLibp2p; channels: DeviceChannels }> {
  const init = {
    identity: registry.identity(),
    listen: opts.listen ?? ['/ip4/0.0.0.0/tcp/0'],
    bootstrap: bootstrapList(opts, ctx.env),
    mdns: opts.mdns,
    relayServer: extra.relayServer,
    relayListen: extra.relayListen,
    mdnsIntervalMs: extra.mdnsIntervalMs,
    signal: ctx.signal
  };
  let node: PairkitLibp2p;
  try {
    node = await createPairkitNode(init);
  } catch (err) {
    // libp2p fails the start when a relay refuses the reservation (no relay server there).
    if (extra.relayListen === true && !(err instanceof NetError)) {
      const msg = err instanceof Error ? err.message : String(err);
      const why = msg.split('\n').find((l) => l.includes('/p2p-circuit:'))?.trim() ?? msg.split('\n')[0];
      throw new CliError('RELAY_FAILED', `--relay: no relay slot on the bootstrap nodes (is it a \`pair node\`?): ${why}`, ExitCode.PAIRING_FAILED);
    }
    // No bootstrap node answers: the LAN (or, for `pair node`, later peers) may still do.
    // With --relay the bootstrap nodes are the relays: without one there is nothing to reserve.
    if (!(err instanceof NetError && err.code === 'UNREACHABLE' && extra.relayListen !== true && (opts.mdns || extra.relayServer === true))) {
      if (extra.relayListen === true && err instanceof NetError && err.code === 'UNREACHABLE') {
        throw new CliError('RELAY_FAILED', `--relay: no bootstrap node reachable to reserve a relay slot on (${(err.cause as Error | undefined)?.message ?? err.message})`, ExitCode.PAIRING_FAILED);
      }
      throw err;
    }
    ctx.output.warn(`no bootstrap node reachable; continuing without the DHT bootstrap${opts.mdns ? ' (LAN discovery is on)' : ''}`);
    node = await createPairkitNode({ ...init, bootstrap: [] });
  }
  ctx.onCleanup(() => node.stop());
  // Paired devices may tell us they removed us, and we tell those we removed (when reachable).
  const channels = new DeviceChannels(node, registry, libp2pPrivateKey(registry.identity()));
  await channels.start();
  ctx.onCleanup(() => channels.close());
  channels.on('removed-by-peer', (d) => ctx.output.warn(`${d.name} removed this device; it was removed here too`));
  void channels.deliverRevocations({ signal: ctx.signal });
  return { node, channels };
}

/**
 * Waits until the node holds a circuit relay v2 reservation (a `/p2p-circuit` address of its own),
 * so the provider record announced next carries the relayed address. Returns those addresses.
 */
export async function awaitRelayAddrs(node: PairkitLibp2p, signal: AbortSignal, maxMs = 30_000): Promise<string[]> {
  const circuit = (): string[] => node.getMultiaddrs().map(String).filter((a) => a.includes('/p2p-circuit'));
  if (circuit().length > 0) return circuit();
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      node.removeEventListener('self:peer:update', check);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const check = (): void => {
      if (circuit().length > 0) done();
    };
    const timer = setTimeout(done, maxMs);
    node.addEventListener('self:peer:update', check);
    signal.addEventListener('abort', done, { once: true });
    check();
  });
  if (signal.aborted) throw new NetError('ABORTED', 'interrupted while reserving a relay slot');
  const addrs = circuit();
  if (addrs.length === 0) {
    throw new CliError('RELAY_FAILED', `--relay: no relay reservation within ${maxMs / 1000} s (is the bootstrap node a \`pair node\`?)`, ExitCode.PAIRING_FAILED);
  }
  return addrs;
}

/** "5m", "90s", "1h", "1500ms" or plain seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new CliError('BAD_DURATION', `not a duration: ${JSON.stringify(text)} (use e.g. 90s, 5m, 1h)`, ExitCode.USAGE);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
  if (!(ms > 0) || ms > 24 * 3_600_000) throw new CliError('BAD_DURATION', `duration out of range: ${text}`, ExitCode.USAGE);
  return ms;
}

/** One progress line on stderr for people (a spinner on a terminal); nothing with --json. */
export class NetProgress {
  readonly #ctx: CliContext;
  readonly #spinner: ReturnType<CliContext['output']['progress']>;
  constructor(ctx: CliContext, label: string) {
    this.#ctx = ctx;
    this.#spinner = ctx.output.progress(label);
    this.#plain(label);
  }
  update(label: string): void {
    this.#spinner.update(label);
    this.#plain(label);
  }
  stop(): void {
    this.#spinner.stop();
  }
  #plain(label: string): void {
    if (!this.#ctx.options.json && !this.#spinner.active) process.stderr.write(`pair: ${label}\n`);
  }
}

/** Prints the paired result: the contract's JSON line, or text for people. */
export function printPaired(ctx: CliContext, device: PairedDevice & { verification: string }): void {
  ctx.output.result(
    { event: 'paired', device: { deviceId: device.deviceId, peerId: device.peerId, name: device.name }, verification: device.verification },
    () =>
      [
        `paired with ${device.name}`,
        `  device id     ${device.deviceId}`,
        `  peer id       ${device.peerId}`,
        `  verification  ${device.verification}  (the other device shows the same digits)`
      ].join('\n')
  );
}

/** Waits for the pairing with `progress` showing, then prints the device with `print`. */
export async function awaitPaired<D>(ctx: CliContext, progress: NetProgress, result: Promise<D>, print: (ctx: CliContext, device: D) => void): Promise<void> {
  try {
    const device = await result;
    progress.stop();
    print(ctx, device);
  } finally {
    progress.stop();
  }
}

/** The failure line of the contract, then the error for the exit code. */
export function printFailed(ctx: CliContext, err: unknown): void {
  const e = err as { code?: unknown; message?: unknown };
  const reason = typeof e?.message === 'string' ? e.message : String(err);
  if (ctx.options.json) {
    process.stdout.write(JSON.stringify({ event: 'failed', reason, code: typeof e?.code === 'string' ? e.code : 'ERROR' }) + '\n');
  }
}

const TIMEOUT_CODES = new Set(['TIMEOUT', 'EXPIRED']);

exitCodeMappers.push((err) => {
  if (err instanceof PairingCodeError) return ExitCode.USAGE;
  if (err instanceof PairingProtocolError) return TIMEOUT_CODES.has(err.code) ? ExitCode.TIMEOUT : ExitCode.PAIRING_FAILED;
  if (err instanceof NetError) {
    if (err.code === 'ABORTED') return ExitCode.INTERRUPTED;
    if (TIMEOUT_CODES.has(err.code)) return ExitCode.TIMEOUT;
    if (err.code === 'BAD_MULTIADDR') return ExitCode.USAGE;
    return ExitCode.PAIRING_FAILED;
  }
  return undefined;
});

// `pair remove` tells the removed peer: a short-lived node dials its last known addresses
// and sends a signed removal notice. Undelivered notices stay queued in the registry and go
// out when this device next runs a node (initiate, join, node).
removeHooks.notifyPeer = async (device, { registry, signal }) => {
  const base = { identity: registry.identity(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: true, mdnsIntervalMs: 1_000, signal };
  const bootstrap = bootstrapList({ mdns: true }, process.env);
  // An unreachable bootstrap list must not stop us from trying the LAN and known addresses.
  const node =
    (await createPairkitNode({ ...base, bootstrap }).catch(() => undefined)) ??
    (bootstrap.length > 0 ? await createPairkitNode(base).catch(() => undefined) : undefined);
  if (!node) return false;
  try {
    const channels = new DeviceChannels(node, registry, libp2pPrivateKey(registry.identity()));
    const [pending] = registry.pendingRevocations().filter((r) => r.deviceId === device.deviceId);
    await channels.notifyRemoved(
      pending ?? { deviceId: device.deviceId, peerId: device.peerId, publicKey: device.publicKey, addresses: device.addresses, removedAt: Date.now() },
      { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) }
    );
    return true;
  } finally {
    await node.stop();
  }
};
