import type { BleOob, ChooseInitiator, LeAddress, StageTimeouts } from '@pairkit/bootstrap';
import type { HciTransport } from '@pairkit/hci';
import type { Channel, WaitOptions } from './channel.js';
import type { Device, PairingProgress } from './events.js';

export interface PairkitOptions {
  /** Data folder (registry, identity). Default: `PAIRKIT_HOME`, then `~/.local/share/pairkit`. */
  home?: string;
  /** Multiaddrs to listen on (default one TCP port on all IPv4 interfaces). */
  listen?: string[];
  /** DHT bootstrap nodes (`/ip4/.../tcp/.../p2p/<id>`); used to pair and reach devices across networks. */
  bootstrap?: string[];
  /** LAN discovery with mDNS (default true). */
  mdns?: boolean;
  /** Set this device's name shown to peers. */
  name?: string;
  signal?: AbortSignal;
}

/** This device as others see it (no secrets). */
export interface DeviceIdentity {
  deviceId: string;
  peerId: string;
  publicKey: Uint8Array;
  name: string;
  os: string;
  appVersion: string;
}

export interface InitiateOptions extends WaitOptions {
  /** Code lifetime (default 5 minutes). */
  ttlMs?: number;
}

export interface JoinOptions extends WaitOptions {
  /** Overall limit (default 2 minutes). */
  timeoutMs?: number;
  /** Called with each step, like the invitation's `progress` event. */
  onProgress?: (progress: PairingProgress) => void;
}

/** Options of both BLE roles. */
export interface BlePairingOptions extends WaitOptions {
  /**
   * The Bluetooth controller: a transport URI (`hci0`, `usb:VID:PID`, `tcp:HOST:PORT` for H4 over
   * TCP such as a `pair sim` server, `unix:PATH`, `serial:PATH[@BAUD]`) or an open transport.
   */
  hci: string | HciTransport;
  /** Numeric Comparison: show `digits`; resolve true once the user confirmed both devices show them. */
  confirm: (digits: string, signal: AbortSignal) => Promise<boolean>;
  /** LE SC out-of-band data instead of Numeric Comparison. */
  oob?: BleOob;
  /** Per-stage time limits, ms. */
  timeouts?: Partial<StageTimeouts>;
  onProgress?: (progress: PairingProgress) => void;
}

export interface BleInitiateOptions extends BlePairingOptions {
  /** Lifetime of the network pairing session handed over (default 5 minutes). */
  ttlMs?: number;
  /**
   * How many BLE connections may end without a handover (a stranger that hangs up, a peer whose
   * user rejects the comparison) before the run fails with TOO_MANY_ATTEMPTS; each one is an
   * `attempt-failed` progress event and the device advertises again. Default 5.
   */
  maxAttempts?: number;
}

export interface BleJoinOptions extends BlePairingOptions {
  /** Which initiator in range to pair with (default: the first one seen). */
  choose?: ChooseInitiator;
  /** Connect to this BLE address without scanning. */
  target?: LeAddress;
}

export interface WatchDevicesOptions extends WaitOptions {
  /**
   * How often to look for changes other processes made (the `pair` CLI, another app on the
   * same home), in ms. Default 1000. Changes made through this device arrive at once.
   */
  intervalMs?: number;
}

export interface RemoveOptions extends WaitOptions {
  /** Tell the peer now (default true). If it is unreachable, it is told later, when it is. */
  notify?: boolean;
}

export interface RemoveResult {
  device: Device;
  /** True if the peer was told now; otherwise the notice stays queued. */
  notified: boolean;
}

/** Handles one inbound channel; the channel is closed when the returned promise settles. */
export type ChannelHandler = (channel: Channel) => void | Promise<void>;
