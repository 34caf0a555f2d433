import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import {
  DeviceChannels,
  PairingService,
  createPairkitNode,
  libp2pPrivateKey,
  type PairedOutcome,
  type PairingServiceEvents,
  type PairkitLibp2p,
} from '@pairkit/net';
import { BleHandoverInitiator, BleHandoverJoiner, HciBleRadio, type HandoverEvents } from '@pairkit/bootstrap';
import { DeviceRegistry, type PairedDevice, type RegistryChange, type SessionKeys } from '@pairkit/registry';
import { SessionCipher, type SealerOptions } from './aead.js';
import { Channel, readChannelStatus, type WaitOptions } from './channel.js';
import { PairkitError } from './errors.js';
import { publicDevice, type Device, type DeviceChange, type PairingProgress, type PairingResult, type PairkitEvents } from './events.js';
import { PairingInvitation } from './invitation.js';
import type {
  BleInitiateOptions,
  BleJoinOptions,
  BlePairingOptions,
  ChannelHandler,
  DeviceIdentity,
  InitiateOptions,
  JoinOptions,
  PairkitOptions,
  RemoveOptions,
  RemoveResult,
  WatchDevicesOptions,
} from './options.js';
import { checkProtocol, withTimeout, wrapAbort } from './util.js';

const log = createDebug('pairkit:pairkit');

/**
 * One pairkit device: its identity, its paired devices, and channels to them. Open it with
 * {@link Pairkit.open}; close it with {@link Pairkit.close}.
 */
export class Pairkit extends EventEmitter<PairkitEvents> {
  readonly identity: DeviceIdentity;
  /** The data folder in use. */
  readonly home: string;
  readonly #registry: DeviceRegistry;
  readonly #node: PairkitLibp2p;
  readonly #channels: DeviceChannels;
  #pairing: PairingService | undefined;
  #networkPairings = 0;
  #blePairing = false;
  readonly #background = new AbortController();
  /** Open watchDevices() iterators; while there is one, the registry polls for other processes' writes. */
  #watchers = 0;
  readonly #protocols = new Set<string>();
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(registry: DeviceRegistry, node: PairkitLibp2p, channels: DeviceChannels, pairing: PairingService) {
    super();
    this.#registry = registry;
    this.#node = node;
    this.#channels = channels;
    this.#pairing = pairing;
    this.home = registry.home;
    const id = registry.identity();
    this.identity = { deviceId: id.deviceId, peerId: id.peerId, publicKey: id.publicKey, name: id.name, os: id.os, appVersion: id.appVersion };
    registry.on('change', this.#onRegistryChange);
    channels.on('removed-by-peer', this.#onRemovedByPeer);
    channels.on('refused', this.#onRefused);
  }

  /** Opens the registry in `home` (creating identity and database on first use) and starts the node. */
  static async open(options: PairkitOptions = {}): Promise<Pairkit> {
    if (options.signal?.aborted === true) throw new PairkitError('ABORTED', 'open aborted');
    const registry = await DeviceRegistry.open({ home: options.home });
    let node: PairkitLibp2p | undefined;
    try {
      if (options.name !== undefined) registry.setName(options.name);
      const identity = registry.identity();
      node = await createPairkitNode({
        identity,
        listen: options.listen,
        bootstrap: options.bootstrap,
        mdns: options.mdns,
        signal: options.signal,
      });
      const channels = new DeviceChannels(node, registry, libp2pPrivateKey(identity));
      await channels.start();
      const pairing = new PairingService({ node, registry });
      await pairing.start();
      const device = new Pairkit(registry, node, channels, pairing);
      log('opened %s in %s', identity.deviceId, registry.home);
      device.#deliverRevocations();
      return device;
    } catch (err) {
      await Promise.resolve(node?.stop()).catch(() => {});
      registry.close();
      throw wrapAbort(err, options.signal);
    }
  }

  /** Multiaddrs this device listens on (with `/p2p/<peer id>`). */
  get addresses(): string[] {
    return this.#node.getMultiaddrs().map(String);
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- pairing ----

  /** Starts a pairing: returns the code to show at once; `paired` resolves when a device joined. */
  initiatePairing(options: InitiateOptions = {}): PairingInvitation {
    this.#checkOpen();
    const cancel = new AbortController();
    const signal = options.signal === undefined ? cancel.signal : AbortSignal.any([options.signal, cancel.signal]);
    const service = this.#networkService();
    const started = service.initiate({ ttlMs: options.ttlMs, signal });
    this.#networkPairings++;
    void started.result.then(
      () => this.#networkPairings--,
      () => this.#networkPairings--,
    );
    let invitation!: PairingInvitation;
    const stopForwarding = this.#forwardProgress('initiator', (p) => invitation.emit('progress', p));
    const paired = started.result.then(
      (outcome) => {
        stopForwarding();
        return this.#paired(outcome, (p) => invitation.emit('progress', p));
      },
      (err: unknown) => {
        stopForwarding();
        throw wrapAbort(err, cancel.signal, options.signal);
      },
    );
    paired.catch(() => {});
    invitation = new PairingInvitation(started.code, started.expiresAt, paired, cancel);
    queueMicrotask(() => this.#progress({ stage: 'waiting', expiresAt: started.expiresAt }, (p) => invitation.emit('progress', p)));
    return invitation;
  }

  /** Joins a pairing with the initiator's 12 words (case, spaces, hyphens and 4-letter prefixes are fine). */
  async joinPairing(words: string, options: JoinOptions = {}): Promise<PairingResult> {
    this.#checkOpen();
    const service = this.#networkService();
    const stopForwarding = this.#forwardProgress('joiner', options.onProgress);
    this.#networkPairings++;
    try {
      const outcome = await service.join(words, { signal: options.signal, timeoutMs: options.timeoutMs });
      return this.#paired(outcome, options.onProgress);
    } catch (err) {
      throw wrapAbort(err, undefined, options.signal);
    } finally {
      this.#networkPairings--;
      stopForwarding();
    }
  }

  /**
   * BLE proximity pairing, initiating side: advertises the pairkit service, pairs over LE Secure
   * Connections with the device that connects, hands the network pairing secret over the
   * encrypted link, and resolves when the network pairing completed. No words to type.
   */
  async initiateBlePairing(options: BleInitiateOptions): Promise<PairingResult> {
    return this.#ble(options, (radio) => new BleHandoverInitiator({ ...this.#bleCommon(radio, options), ttlMs: options.ttlMs, maxAttempts: options.maxAttempts }));
  }

  /** BLE proximity pairing, joining side: scans, connects, pairs, and runs the handed-over network pairing. */
  async joinBlePairing(options: BleJoinOptions): Promise<PairingResult> {
    return this.#ble(options, (radio) => new BleHandoverJoiner({ ...this.#bleCommon(radio, options), choose: options.choose, target: options.target }));
  }

  #bleCommon(radio: HciBleRadio, o: BlePairingOptions) {
    return { radio, node: this.#node, registry: this.#registry, confirm: o.confirm, oob: o.oob, timeouts: o.timeouts, signal: o.signal };
  }

  async #ble(options: BlePairingOptions, make: (radio: HciBleRadio) => BleHandoverInitiator | BleHandoverJoiner): Promise<PairingResult> {
    this.#checkOpen();
    if (this.#blePairing || this.#networkPairings > 0) {
      throw new PairkitError('BUSY', 'another pairing is running on this device; wait for it or cancel it');
    }
    this.#blePairing = true;
    // The BLE flow runs its own network pairing service on our node; ours steps aside meanwhile
    // (one handler per protocol) and comes back afterwards.
    const ours = this.#pairing;
    this.#pairing = undefined;
    await ours?.close();
    let radio: HciBleRadio | undefined;
    try {
      radio = await HciBleRadio.open(options.hci, { registry: this.#registry, signal: options.signal });
      const flow = make(radio);
      const extra = options.onProgress;
      const on = <K extends keyof HandoverEvents>(event: K, map: (...args: HandoverEvents[K]) => PairingProgress): void => {
        (flow as EventEmitter<HandoverEvents>).on(event, ((...args: HandoverEvents[K]) => this.#progress(map(...args), extra)) as never);
      };
      on('advertising', (e) => ({ stage: 'ble-advertising', name: e.name, address: e.address }));
      on('attempt-failed', (e) => ({ stage: 'attempt-failed', address: e.address, attempt: e.attempt, maxAttempts: e.maxAttempts, code: e.code, message: e.message }));
      on('scanning', () => ({ stage: 'ble-scanning' }));
      on('nearby', (e) => ({ stage: 'ble-nearby', address: e.address, name: e.name, rssi: e.rssi }));
      on('connected', (e) => ({ stage: 'ble-connected', address: e.address }));
      on('compare', (e) => ({ stage: 'ble-compare', value: e.value }));
      on('ble-paired', (e) => ({ stage: 'ble-paired', authenticated: e.authenticated }));
      on('handover', () => ({ stage: 'handover' }));
      const outcome = await flow.run();
      return this.#paired(outcome, extra);
    } catch (err) {
      throw wrapAbort(err, undefined, options.signal);
    } finally {
      await radio?.close().catch(() => {});
      this.#blePairing = false;
      if (!this.#closed) {
        const service = new PairingService({ node: this.#node, registry: this.#registry });
        await service.start();
        this.#pairing = service;
      }
    }
  }

  #networkService(): PairingService {
    if (this.#pairing === undefined || this.#blePairing) {
      throw new PairkitError('BUSY', 'a BLE pairing is running on this device; wait for it or cancel it');
    }
    return this.#pairing;
  }

  #paired(outcome: PairedOutcome, extra?: (p: PairingProgress) => void): PairingResult {
    const { verification, ...device } = outcome;
    const result = { device: publicDevice(device), verification };
    this.#progress({ stage: 'paired', ...result }, extra);
    return result;
  }

  #progress(p: PairingProgress, extra?: (p: PairingProgress) => void): void {
    this.emit('pairing', p);
    extra?.(p);
  }

  #forwardProgress(role: 'initiator' | 'joiner', extra?: (p: PairingProgress) => void): () => void {
    const s = this.#pairing!;
    const onDiscovering = (e: PairingServiceEvents['discovering'][0]): void => this.#progress({ stage: 'discovering', ...e }, extra);
    const onCandidate = (e: PairingServiceEvents['candidate'][0]): void =>
      this.#progress({ stage: 'candidate', peerId: e.peerId, source: String(e.source) }, extra);
    const onVerifying = (e: PairingServiceEvents['verifying'][0]): void => {
      if (e.role === role) this.#progress({ stage: 'verifying', ...e }, extra);
    };
    const onFailed = (e: PairingServiceEvents['failed'][0]): void => {
      if (e.role === role) this.#progress({ stage: 'attempt-failed', peerId: e.peerId, code: e.code, message: e.message }, extra);
    };
    if (role === 'joiner') {
      s.on('discovering', onDiscovering);
      s.on('candidate', onCandidate);
    }
    s.on('verifying', onVerifying);
    s.on('failed', onFailed);
    return () => {
      s.off('discovering', onDiscovering);
      s.off('candidate', onCandidate);
      s.off('verifying', onVerifying);
      s.off('failed', onFailed);
    };
  }

  // ---- devices ----

  /** Paired devices (without session keys; see {@link sessionKeys}). */
  devices(): Device[] {
    this.#checkOpen();
    return this.#registry.list().map(publicDevice);
  }

  /**
   * Finds one paired device by id, peer id, name, or unique id prefix.
   * Throws `NOT_PAIRED` (`DEVICE_REMOVED` for the id of a device removed here) or the
   * registry's `AMBIGUOUS` (with a `hint`).
   */
  resolveDevice(query: string): Device {
    this.#checkOpen();
    try {
      return publicDevice(this.#registry.resolve(query));
    } catch (err) {
      if (err instanceof Error && (err as { code?: string }).code === 'NOT_FOUND') throw this.#notPaired(query, err);
      throw err;
    }
  }

  /**
   * Changes to the paired devices as they happen, until `signal` aborts or the device closes:
   * those made through this device at once, those other processes make on the same home (the
   * `pair` CLI pairing or removing a device) within `intervalMs` (default 1 s).
   * `for await (const change of device.watchDevices({ signal })) ...` (listening starts with
   * the first `next()`, as with any async generator).
   */
  async *watchDevices(options: WatchDevicesOptions = {}): AsyncGenerator<DeviceChange> {
    this.#checkOpen();
    const queue: DeviceChange[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const onChange = (c: DeviceChange): void => {
      queue.push(c);
      wake?.();
    };
    const onEnd = (): void => {
      ended = true;
      wake?.();
    };
    this.on('device', onChange);
    options.signal?.addEventListener('abort', onEnd, { once: true });
    this.#background.signal.addEventListener('abort', onEnd, { once: true });
    if (this.#watchers++ === 0) this.#registry.watch({ intervalMs: options.intervalMs ?? 1000 });
    try {
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (ended || options.signal?.aborted === true || this.#closed) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      if (--this.#watchers === 0 && !this.#closed) this.#registry.unwatch();
      this.off('device', onChange);
      options.signal?.removeEventListener('abort', onEnd);
      this.#background.signal.removeEventListener('abort', onEnd);
    }
  }

  /**
   * Removes a paired device: its keys go, it can no longer open channels to us, and it is
   * told (now if reachable, else the next time this device opens).
   */
  async removeDevice(deviceId: string, options: RemoveOptions = {}): Promise<RemoveResult> {
    this.#checkOpen();
    const device = this.resolveDevice(deviceId);
    const removed = this.#registry.remove(device.deviceId);
    if (removed === undefined) throw this.#notPaired(deviceId);
    let notified = false;
    if (options.notify !== false) {
      const revocation = this.#registry.pendingRevocations().find((r) => r.deviceId === device.deviceId);
      if (revocation !== undefined) {
        try {
          await this.#channels.notifyRemoved(revocation, { signal: withTimeout(options.signal, 15_000) });
          notified = true;
        } catch (err) {
          log('could not tell %s now: %s', device.deviceId, (err as Error).message);
        }
      }
    }
    return { device: publicDevice(removed), notified };
  }

  /** The per-direction session keys agreed when `deviceId` paired. */
  sessionKeys(deviceId: string): SessionKeys {
    this.#checkOpen();
    const d = this.#requirePaired(deviceId);
    if (d.sessionKeys === undefined) {
      throw new PairkitError('NO_SESSION_KEYS', `${d.name} (${d.deviceId}) has no session keys (paired over BLE only?)`);
    }
    return d.sessionKeys;
  }

  /** An AEAD helper with the session keys of `deviceId` (see {@link SessionCipher}). */
  sessionCipher(deviceId: string, options: SealerOptions = {}): SessionCipher {
    return new SessionCipher(this.sessionKeys(deviceId), options);
  }

  // ---- connections and channels ----

  /** Makes sure a connection to a paired device is up (known addresses, then DHT, then mDNS). */
  async connect(deviceId: string, options: WaitOptions = {}): Promise<{ remoteAddress: string }> {
    this.#checkOpen();
    const d = this.#requirePaired(deviceId);
    try {
      const conn = await this.#channels.connectToDevice(d.deviceId, { signal: options.signal });
      return { remoteAddress: conn.remoteAddr.toString() };
    } catch (err) {
      throw wrapAbort(err, undefined, options.signal);
    }
  }

  /**
   * Opens `protocol` to a paired device. The peer accepts only if it has us paired too;
   * otherwise this fails with `PEER_NOT_PAIRED`. A device not paired here fails with `NOT_PAIRED`.
   */
  async openChannel(deviceId: string, protocol: string, options: WaitOptions = {}): Promise<Channel> {
    this.#checkOpen();
    checkProtocol(protocol);
    const d = this.#requirePaired(deviceId);
    let stream;
    try {
      const conn = await this.#channels.connectToDevice(d.deviceId, { signal: options.signal });
      stream = await conn.newStream(protocol, { signal: options.signal });
    } catch (err) {
      throw wrapAbort(err, undefined, options.signal);
    }
    const channel = new Channel(stream, publicDevice(d) as PairedDevice, protocol);
    try {
      await readChannelStatus(channel, { signal: options.signal });
    } catch (err) {
      channel.abort(err as Error);
      throw err;
    }
    return channel;
  }

  /**
   * Serves `protocol` to paired devices. Unpaired and removed devices are refused before the
   * handler runs (and a `refused` event is emitted). Returns a function that stops serving.
   */
  async handle(protocol: string, handler: ChannelHandler): Promise<() => Promise<void>> {
    this.#checkOpen();
    checkProtocol(protocol);
    if (this.#protocols.has(protocol)) throw new PairkitError('BAD_PROTOCOL', `${protocol} already has a handler`);
    this.#protocols.add(protocol);
    await this.#channels.handle(protocol, async (stream, device) => {
      const channel = new Channel(stream, publicDevice(device) as PairedDevice, protocol);
      try {
        await handler(channel);
        await channel.close();
      } catch (err) {
        log('handler of %s failed: %s', protocol, (err as Error).message);
        channel.abort(err instanceof Error ? err : new Error(String(err)));
      }
    });
    return async () => {
      this.#protocols.delete(protocol);
      await this.#node.unhandle(protocol).catch(() => {});
    };
  }

  /** Stops the node and closes the registry. Pending pairings reject with CLOSED. */
  async close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#background.abort();
    this.#registry.off('change', this.#onRegistryChange);
    this.#channels.off('removed-by-peer', this.#onRemovedByPeer);
    this.#channels.off('refused', this.#onRefused);
    await this.#pairing?.close().catch((err: unknown) => log('pairing close: %s', (err as Error).message));
    await this.#channels.close().catch(() => {});
    await Promise.resolve(this.#node.stop()).catch((err: unknown) => log('node stop: %s', (err as Error).message));
    this.#registry.close();
    log('closed');
  }

  // ---- internals ----

  #deliverRevocations(): void {
    if (this.#registry.pendingRevocations().length === 0) return;
    void this.#channels
      .deliverRevocations({ signal: this.#background.signal })
      .then((n) => log('delivered %d pending removal notices', n))
      .catch(() => {});
  }

  #checkOpen(): void {
    if (this.#closed) throw new PairkitError('CLOSED', 'this pairkit device is closed');
  }

  #requirePaired(deviceId: string): PairedDevice {
    const d = this.#registry.get(deviceId);
    if (d !== undefined) return d;
    throw this.#notPaired(deviceId);
  }

  #notPaired(query: string, cause?: unknown): PairkitError {
    const removed = this.#registry.isRevoked(query);
    const err = new PairkitError(
      removed ? 'DEVICE_REMOVED' : 'NOT_PAIRED',
      removed ? `device ${query} was removed; pair again to use it` : `no paired device ${JSON.stringify(query)}`,
      cause === undefined ? undefined : { cause },
    );
    return err;
  }

  readonly #onRegistryChange = (c: RegistryChange): void => {
    if (c.type === 'added' || c.type === 'updated') this.emit('device', { type: c.type, device: publicDevice(c.device) });
    else if (c.type === 'removed') this.emit('device', { type: 'removed', deviceId: c.deviceId });
  };

  readonly #onRemovedByPeer = (d: PairedDevice): void => {
    this.emit('removed-by-peer', publicDevice(d));
  };

  readonly #onRefused = (peerId: string, protocol: string): void => {
    this.emit('refused', { peerId, protocol });
  };
}
