// pair ble scan | advertise | pair ADDRESS | bonds | forget ADDRESS: BLE pairing with the LE
// Security Manager over an HCI transport (--hci URI; `sim` = the `pair sim` server).
import readline from 'node:readline/promises';
import { Command, Option } from 'commander';
import { HciHost, openTransport, type AdvertisementReport, type HciConnection } from '@pairkit/hci';
import {
  IoCapability, SmpError, SmpManager, SmpSecurityError, SmpUsageError, PairingFailedReason,
  type IoCapabilityValue, type PairingResult, type SecurityManager, type EncryptInfo,
} from '@pairkit/smp';
import type { CliContext } from '../util/context.js';
import { CliError, exitCodeMappers } from '../util/errors.js';
import { ExitCode } from '../util/exit-codes.js';
import { confirm } from '../util/prompt.js';
import { subcommandWord } from '../util/commands.js';
import { addBtsnoopOption, openBtsnoop, tapped } from '../util/btsnoop.js';

exitCodeMappers.push((e) => {
  if (e instanceof SmpError || e instanceof SmpSecurityError) return ExitCode.PAIRING_FAILED;
  if (e instanceof SmpUsageError && e.code === 'SMP_TIMEOUT') return ExitCode.TIMEOUT;
  if (e instanceof SmpUsageError && e.code === 'INVALID_ADDRESS') return ExitCode.USAGE; // a typo in ADDRESS
  return undefined;
});

interface BleOptions {
  hci?: string;
  io: string;
  mitm?: boolean;
  scOnly?: boolean;
  bond: boolean;
  passkey?: string;
  yes?: boolean;
  btsnoop?: string;
}

const IO: Record<string, IoCapabilityValue> = {
  display: IoCapability.DisplayOnly,
  yesno: IoCapability.DisplayYesNo,
  keyboard: IoCapability.KeyboardOnly,
  none: IoCapability.NoInputNoOutput,
  'keyboard-display': IoCapability.KeyboardDisplay,
};

/** The controller options every radio command takes. */
function withTransport(cmd: Command): Command {
  return addBtsnoopOption(cmd.option('--hci <uri>', 'HCI transport: sim | tcp:HOST:PORT | unix:PATH | hciN | usb:VID:PID | serial:PATH[@BAUD] (default $PAIRKIT_HCI, else sim)'));
}

/** ...and the pairing options of the commands that pair. */
function withCommon(cmd: Command): Command {
  return withTransport(cmd)
    .addOption(new Option('--io <capability>', 'our IO capability').choices(Object.keys(IO)).default('keyboard-display'))
    .option('--mitm', 'require MITM protection (a Just Works result is refused)')
    .option('--sc-only', 'LE Secure Connections only (legacy pairing is refused)')
    .option('--no-bond', 'pair without bonding: keys are not stored')
    .option('--passkey <digits>', 'the passkey to type when asked (and the one shown when we display)')
    .option('--yes', 'accept a numeric comparison without asking (scripts)');
}

function parsePasskey(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text)) throw new CliError('BAD_PASSKEY', `--passkey wants up to 6 digits, got ${JSON.stringify(text)}`, ExitCode.USAGE);
  return Number(text);
}

async function openHost(ctx: CliContext, o: Pick<BleOptions, 'hci' | 'btsnoop'>): Promise<HciHost> {
  const registry = await ctx.openRegistry();
  const uri = o.hci ?? ctx.env.PAIRKIT_HCI ?? 'sim';
  const progress = ctx.output.progress(`opening HCI transport ${uri}`);
  try {
    const capture = o.btsnoop !== undefined ? await openBtsnoop(ctx, o.btsnoop) : undefined;
    const transport = tapped(await openTransport(uri, { signal: ctx.signal }), capture);
    // Our identity address is the address we use, so bonded peers recognise us.
    const host = new HciHost(transport, { address: registry.identity().bleIdentityAddress });
    ctx.onCleanup(() => host.close());
    await host.init(ctx.signal);
    return host;
  } finally {
    progress.stop();
  }
}

async function manager(ctx: CliContext, o: BleOptions): Promise<SmpManager> {
  const registry = await ctx.openRegistry();
  const m = new SmpManager({
    registry,
    ioCapability: IO[o.io],
    bonding: o.bond,
    mitm: o.mitm === true,
    mitmRequired: o.mitm === true,
    scOnly: o.scOnly === true,
    fixedPasskey: parsePasskey(o.passkey),
  });
  ctx.onCleanup(() => m.close());
  return m;
}

async function askPasskey(ctx: CliContext): Promise<number | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('Type the passkey shown on the other device: ', { signal: ctx.signal });
    return /^\s*\d{1,6}\s*$/.test(answer) ? Number(answer) : undefined;
  } finally {
    rl.close();
  }
}

/** Wires the user side of one SecurityManager: show, ask, compare; prints the JSON lines of the issue. */
function attachUser(ctx: CliContext, sm: SecurityManager, o: BleOptions, address: string): void {
  const out = ctx.output;
  const passkey = parsePasskey(o.passkey);
  sm.on('passkeyExchange', (x) => {
    if (x.model === 'NumericComparison') {
      out.result({ event: 'compare', value: x.passkey }, () => `Does the other device show ${x.passkey}?`);
      if (o.yes) return x.respond(true);
      confirm(`Confirm ${x.passkey} matches the other device?`, { signal: ctx.signal, flag: '--yes' }).then(
        (ok) => x.respond(ok),
        () => x.respond(false),
      );
    } else if (x.input) {
      if (passkey !== undefined) return x.respond(passkey);
      askPasskey(ctx).then(
        (v) => (v === undefined ? sm.cancel(PairingFailedReason.PASSKEY_ENTRY_FAILED) : x.respond(v)),
        () => sm.cancel(PairingFailedReason.PASSKEY_ENTRY_FAILED),
      );
    } else {
      out.result({ event: 'passkey', passkey: x.passkey }, () => `Passkey: ${x.passkey} (type it on the other device)`);
    }
  });
  sm.on('pairingComplete', (r: PairingResult) => {
    out.result({ event: 'paired', address, sc: r.secureConnections, mitm: r.authenticated, bonded: r.bonded && o.bond },
      () => `Paired with ${address}: ${r.secureConnections ? 'LE Secure Connections' : 'legacy'}, ${r.model}, ${r.authenticated ? 'MITM-protected' : 'no MITM protection'}, ${r.bonded ? 'bonded' : 'not bonded'}`);
  });
  sm.on('encrypt', (i: EncryptInfo) => {
    out.result({ event: 'encrypted', address, level: i.securityLevel, keySize: i.keySize, sc: i.secureConnections, mitm: i.authenticated, bond: i.fromBond },
      () => `Link to ${address} encrypted (security level ${i.securityLevel}, ${i.keySize}-octet key${i.fromBond ? ', stored bond' : ''})`);
  });
  sm.on('pairingFailed', (e) => out.result({ event: 'failed', reason: e.code }, () => `Pairing failed: ${e.code}`));
  sm.on('timeout', () => out.result({ event: 'failed', reason: 'TIMEOUT' }, () => 'Pairing failed: SMP timeout'));
}

/** Ends the link; the peer may have left already (a `--once` peripheral exits when done). */
async function hangUp(conn: HciConnection): Promise<void> {
  if (conn.connected) await conn.disconnect().catch(() => {});
}

function deviceName(r: AdvertisementReport): string | undefined {
  return r.ad?.completeLocalName ?? r.ad?.shortenedLocalName;
}

/** Our own subcommands: running one of them does not load the handover (libp2p) module. */
const OWN = ['scan', 'advertise', 'pair', 'bonds', 'forget'];

export async function register(program: Command, ctx: CliContext, args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const ble = program.command('ble').description('Bluetooth LE: scan, advertise, pair (LE Secure Connections), bonds');

  withTransport(ble.command('scan'))
    .description('list advertising devices until --timeout or Ctrl-C')
    .option('--timeout <seconds>', 'stop after this long', '10')
    .action(async (o: Pick<BleOptions, 'hci' | 'btsnoop'> & { timeout: string }) => {
      const seconds = Number(o.timeout);
      if (!(seconds > 0 && seconds <= 3600)) throw new CliError('BAD_OPTION', '--timeout wants 1..3600 seconds', ExitCode.USAGE);
      // Scanning never pairs: the manager only tells bonded peers (by IRK) apart.
      const m = await manager(ctx, { ...o, io: 'keyboard-display', bond: true });
      const host = await openHost(ctx, o);
      const seen = new Set<string>();
      host.on('advertisement', (r) => {
        if (seen.has(r.address)) return;
        seen.add(r.address);
        const name = deviceName(r);
        const identity = m.resolveIdentity(r.address);
        ctx.output.result({ event: 'device', address: r.address, addressType: r.addressType === 0 ? 'public' : 'random', rssi: r.rssi, name, bonded: identity !== undefined, identity: identity?.address },
          () => `${r.address}  ${String(r.rssi).padStart(4)} dBm  ${name ?? ''}${identity ? `  (bonded: ${identity.address})` : ''}`);
      });
      const progress = ctx.output.progress('scanning');
      await host.startScanning({ active: true, filterDuplicates: true });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, seconds * 1000);
        ctx.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      progress.stop();
      await host.stopScanning().catch(() => {});
    });

  withCommon(ble.command('advertise'))
    .description('advertise and accept connections; pair or encrypt as the peripheral, until Ctrl-C (or --once)')
    .option('--name <name>', 'device name to advertise (default: our registry name)')
    .option('--once', 'exit after the first pairing or encryption (or its failure)')
    .option('--security-request', 'ask each central to pair or encrypt (Security Request) when it connects; --once exits with its answer')
    .action(async (o: BleOptions & { name?: string; once?: boolean; securityRequest?: boolean }) => {
      const registry = await ctx.openRegistry();
      const m = await manager(ctx, o); // validates the options before any IO
      const host = await openHost(ctx, o);
      const name = (o.name ?? registry.identity().name).slice(0, 20);
      const advertising = { data: { flags: 0x06, completeLocalName: name } };
      await host.startAdvertising(advertising);
      ctx.output.result({ event: 'advertising', address: host.address, name }, () => `Advertising as ${name} (${host.address}). Ctrl-C to stop.`);
      const progress = ctx.output.progress('waiting for a central');
      await new Promise<void>((resolve, reject) => {
        let finished = false;
        const finish = (err?: unknown) => {
          if (finished) return;
          finished = true;
          progress.stop();
          if (err) reject(err);
          else resolve();
        };
        ctx.signal.addEventListener('abort', () => finish(), { once: true });
        host.on('connection', (conn: HciConnection) => {
          const sm = m.attach(conn);
          const address = m.resolveIdentity(conn.info.peerAddress)?.address ?? conn.info.peerAddress;
          ctx.output.result({ event: 'connected', address }, () => `Central ${address} connected`);
          attachUser(ctx, sm, o, address);
          if (o.securityRequest) {
            // Settles with the central's answer: a pairing, or encryption with its bond.
            sm.requestSecurity(ctx.signal).then(
              () => o.once && finish(),
              (e: unknown) => {
                if (e instanceof SmpSecurityError) {
                  ctx.output.result({ event: 'failed', reason: e.code, missing: e.missing.length > 0 ? e.missing : undefined },
                    () => `Security Request not met: ${e.code}${e.missing.length > 0 ? ` (the bond lacks ${e.missing.join(', ')})` : ''}`);
                }
                if (o.once) finish(ctx.signal.aborted ? undefined : e);
              },
            );
          } else if (o.once) {
            sm.once('pairingComplete', () => finish());
            sm.once('pairingFailed', (e) => finish(e));
            sm.once('timeout', () => finish(new SmpUsageError('SMP_TIMEOUT', 'SMP timed out')));
            // Encryption with a stored bond ends a --once run too (no pairing follows).
            sm.once('encrypt', (i) => i.fromBond && finish());
          }
          conn.on('disconnect', () => {
            ctx.output.result({ event: 'disconnected', address }, () => `Central ${address} left`);
            // A central that left without pairing or encrypting does not end a --once run either:
            // advertise again and wait for the first one that does.
            if (!ctx.signal.aborted && !finished) host.startAdvertising(advertising).catch(() => {});
          });
        });
      });
    });

  withCommon(ble.command('pair'))
    .description('connect to ADDRESS and pair (or encrypt with the stored bond), as the central')
    .argument('<address>', 'peer address AA:BB:CC:DD:EE:FF')
    .addOption(new Option('--address-type <type>', 'peer address type').choices(['public', 'random']).default('random'))
    .option('--force', 'pair again even when a bond exists')
    .option('--timeout <seconds>', 'give up connecting after this long', '15')
    .action(async (address: string, o: BleOptions & { addressType: string; force?: boolean; timeout: string }) => {
      if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(address)) throw new CliError('BAD_ADDRESS', `not a BLE address: ${JSON.stringify(address)}`, ExitCode.USAGE, 'e.g. C0:11:22:33:44:55');
      const addr = address.toUpperCase();
      const m = await manager(ctx, o); // validates the options before any IO
      const host = await openHost(ctx, o);
      const progress = ctx.output.progress(`connecting to ${addr}`);
      let conn: HciConnection;
      try {
        conn = await host.connect(addr, { addressType: o.addressType === 'public' ? 0 : 1, signal: ctx.signal, timeoutMs: Number(o.timeout) * 1000 });
      } finally {
        progress.stop();
      }
      // We encrypt or pair right away, which also answers a peripheral's Security Request: the
      // SecurityManager does not answer it a second time on its own.
      const sm = m.attach(conn, { autoSecurityRequest: false });
      attachUser(ctx, sm, o, m.resolveIdentity(addr)?.address ?? addr);
      // A bond is used unless it is weaker than what this run demands.
      const bond = m.isPaired(addr) ? (await ctx.openRegistry()).getBond(m.resolveIdentity(addr)!.address) : undefined;
      const goodEnough = bond !== undefined && (!o.mitm || bond.authenticated) && (!o.scOnly || bond.secureConnections);
      if (goodEnough && !o.force) {
        try {
          await sm.encrypt(ctx.signal);
          await hangUp(conn);
          return;
        } catch (err) {
          ctx.output.warn(`encryption with the stored bond failed (${(err as Error).message}); pairing again`);
          if (!conn.connected) throw new CliError('DISCONNECTED', 'the peer dropped the link (its keys differ: forget the bond and pair again)', ExitCode.PAIRING_FAILED);
        }
      }
      const p = ctx.output.progress('pairing');
      try {
        await sm.pair(ctx.signal);
      } finally {
        p.stop();
      }
      await hangUp(conn);
    });

  ble
    .command('bonds')
    .description('list stored BLE bonds (no key material is printed)')
    .action(async () => {
      const registry = await ctx.openRegistry();
      const bonds = registry.listBonds().map((b) => ({
        address: b.address, addressType: b.addressType, sc: b.secureConnections, mitm: b.authenticated, keySize: b.keySize,
        irk: b.irk !== undefined, csrk: b.csrk !== undefined, linkKey: b.linkKey !== undefined, deviceId: b.deviceId, createdAt: new Date(b.createdAt).toISOString(),
      }));
      if (ctx.options.json) for (const b of bonds) ctx.output.result({ event: 'bond', ...b }, () => '');
      else ctx.output.info(bonds.length === 0 ? 'No BLE bonds.' : bonds.map((b) => `${b.address} (${b.addressType})  ${b.sc ? 'SC' : 'legacy'}  ${b.mitm ? 'MITM' : 'no MITM'}  ${b.keySize}-octet key${b.irk ? '  IRK' : ''}${b.csrk ? '  CSRK' : ''}`).join('\n'));
    });

  ble
    .command('forget')
    .description('remove the bond with ADDRESS (an identity address, or an RPA of a bonded peer)')
    .argument('<address>', 'peer address')
    .action(async (address: string) => {
      const registry = await ctx.openRegistry();
      const m = new SmpManager({ registry, ioCapability: IoCapability.NoInputNoOutput });
      if (!m.removePairing(address)) throw new CliError('NOT_FOUND', `no bond with ${address}`, ExitCode.NOT_FOUND);
      ctx.output.result({ event: 'forgotten', address: address.toUpperCase() }, () => `Bond with ${address.toUpperCase()} removed`);
    });

  // BOOT's out-of-band and network-assisted bonding live in ble-handover.ts, which loads
  // libp2p: only when they may run (or for help and unknown words).
  if (OWN.includes(subcommandWord(args) ?? '')) return;
  const { registerBleBond, registerBleOob } = await import('./ble-handover.js');
  registerBleOob(ble, ctx);
  registerBleBond(ble, ctx);
}
