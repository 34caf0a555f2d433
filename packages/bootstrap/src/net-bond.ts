// Network-assisted BLE bond: two devices already paired over the network exchange LE SC OOB
// data on an authenticated libp2p channel (paired devices only), then pair over BLE with OOB
// on both sides: no comparison, no user step. The bond is linked to the existing device entry.
import createDebug from 'debug';
import { FrameStream, type DeviceChannels } from '@pairkit/net';
import type { DeviceRegistry, PairedDevice } from '@pairkit/registry';
import { BootstrapError } from './errors.js';
import { createLocalOob, encodeOobText, parseOobText, type OobData } from './oob.js';
import { PAIRKIT_SERVICE_UUID, type BleLink, type BleRadio } from './ports.js';
import { asBootstrapError, runStage } from './stages.js';

const log = createDebug('pairkit:bootstrap:bond');

export const BLE_BOND_PROTOCOL = '/pairkit/ble-bond/1.0.0';
const MESSAGE_VERSION = 1;
const MAX_MESSAGE = 512;
/** How long exchanged OOB data stays valid: only for this one bond attempt. */
const OOB_TTL_MS = 60_000;

type BondRegistry = Pick<DeviceRegistry, 'get' | 'saveBond' | 'identity' | 'getBond' | 'listBonds' | 'bondsWithIrk' | 'removeBond'>;

export interface NetworkBondOptions {
  radio: BleRadio;
  channels: DeviceChannels;
  registry: BondRegistry;
  signal?: AbortSignal;
  /** Per-step limit, ms (default 15 s). */
  timeoutMs?: number;
  now?: () => number;
}

export interface NetworkBondResult {
  device: PairedDevice;
  /** The peer's BLE identity address. */
  address: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

function encodeMessage(oob: OobData): Uint8Array {
  return enc.encode(JSON.stringify({ v: MESSAGE_VERSION, oob: encodeOobText(oob) }));
}

function decodeMessage(bytes: Uint8Array, now: number): OobData {
  let msg: unknown;
  try {
    msg = JSON.parse(dec.decode(bytes));
  } catch {
    throw new BootstrapError('MALFORMED', 'bond message is not JSON');
  }
  const m = msg as { v?: unknown; oob?: unknown };
  if (m === null || typeof m !== 'object' || Object.keys(m).length !== 2) throw new BootstrapError('MALFORMED', 'bond message has unexpected fields');
  if (m.v !== MESSAGE_VERSION) throw new BootstrapError('UNSUPPORTED_VERSION', `bond message version ${String(m.v)}`);
  if (typeof m.oob !== 'string') throw new BootstrapError('MALFORMED', 'bond message without OOB data');
  return parseOobText(m.oob, { now });
}

/** Pairs the link with OOB on both sides and links the bond to the device entry. */
async function bondOver(link: BleLink, local: ReturnType<typeof createLocalOob>, peer: OobData, deviceId: string, o: NetworkBondOptions): Promise<NetworkBondResult> {
  const result = await runStage('ble pairing', o.timeoutMs ?? 15_000, o.signal, link.closed, (s) =>
    link.pair({
      signal: s,
      oob: { local: local.sc, peer: { r: peer.r, c: peer.c } },
      confirm: async () => false, // OOB has no comparison; refuse anything else
    }),
  );
  if (result.model !== 'OOB') throw new BootstrapError('BLE_PAIRING_FAILED', `expected OOB pairing, got ${result.model}`);
  o.registry.saveBond(result.bond, deviceId);
  const device = o.registry.get(deviceId);
  if (!device) throw new BootstrapError('NETWORK_FAILED', 'the device was removed meanwhile');
  return { device, address: result.bond.address };
}

/**
 * Central side: asks a paired device (`deviceId`) for a bond. It must run `serveBleBond`
 * (`pair ble bond --accept`).
 */
export async function requestBleBond(deviceId: string, o: NetworkBondOptions): Promise<NetworkBondResult> {
  const now = o.now ?? Date.now;
  const t = o.timeoutMs ?? 15_000;
  let link: BleLink | undefined;
  try {
    const local = createLocalOob({ address: o.radio.address, now: now(), ttlMs: OOB_TTL_MS, role: 'central' });
    const peer = await runStage('oob exchange', t, o.signal, undefined, async (s) => {
      const stream = await o.channels.openChannel(deviceId, BLE_BOND_PROTOCOL, { signal: s });
      try {
        const frames = new FrameStream(stream, MAX_MESSAGE);
        await frames.write(encodeMessage(local.data), s);
        return decodeMessage(await frames.read({ timeoutMs: t, signal: s }), now());
      } finally {
        await stream.close().catch(() => {});
      }
    });
    const target = peer.address;
    link = await runStage('connecting', t, o.signal, undefined, (s) => o.radio.connect(target, s));
    return await bondOver(link, local, peer, deviceId, o);
  } catch (err) {
    throw asBootstrapError(err, 'BLE_PAIRING_FAILED', 'network-assisted bond failed');
  } finally {
    await link?.disconnect().catch(() => {});
  }
}

/**
 * Peripheral side: waits for one bond request from a paired device, advertises, and pairs
 * with the device that connects using the OOB data exchanged on the authenticated channel.
 */
export async function serveBleBond(o: NetworkBondOptions): Promise<NetworkBondResult> {
  const now = o.now ?? Date.now;
  const t = o.timeoutMs ?? 15_000;
  let settle!: { resolve: (r: NetworkBondResult) => void; reject: (e: unknown) => void };
  const done = new Promise<NetworkBondResult>((resolve, reject) => (settle = { resolve, reject }));
  let busy = false;
  const onAbort = (): void => settle.reject(new BootstrapError('ABORTED', 'stopped waiting for a bond request'));
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  await o.channels.handle(BLE_BOND_PROTOCOL, async (stream, device) => {
    if (busy) {
      stream.abort(new Error('busy'));
      return;
    }
    busy = true;
    let link: BleLink | undefined;
    const ac = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, ac.signal]) : ac.signal;
    try {
      const frames = new FrameStream(stream, MAX_MESSAGE);
      const peer = decodeMessage(await frames.read({ timeoutMs: t, signal }), now());
      const local = createLocalOob({ address: o.radio.address, now: now(), ttlMs: OOB_TTL_MS, role: 'peripheral' });
      log('bond request from %s', device.deviceId);
      // Advertise first, then answer: the requester connects as soon as it has our data.
      let advertising!: () => void;
      const started = new Promise<void>((r) => (advertising = r));
      const accepted = runStage('advertising', t, signal, undefined, (s) =>
        o.radio.advertise({ serviceUuid: PAIRKIT_SERVICE_UUID, name: o.registry.identity().name, signal: s, onAdvertising: advertising }),
      );
      accepted.catch(() => {});
      await Promise.race([started, accepted]);
      await frames.write(encodeMessage(local.data), signal);
      await stream.close().catch(() => {});
      link = await accepted;
      settle.resolve(await bondOver(link, local, peer, device.deviceId, o));
    } catch (err) {
      settle.reject(asBootstrapError(err, 'BLE_PAIRING_FAILED', 'network-assisted bond failed'));
    } finally {
      ac.abort();
      await link?.disconnect().catch(() => {});
    }
  });
  try {
    return await done;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}
