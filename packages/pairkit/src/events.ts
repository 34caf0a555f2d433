import type { PairedDevice } from '@pairkit/registry';

/** A paired device as the facade shows it: everything but the session keys. */
export type Device = Omit<PairedDevice, 'sessionKeys'>;

/** A change to the set of paired devices. */
export type DeviceChange =
  | { type: 'added'; device: Device }
  | { type: 'updated'; device: Device }
  | { type: 'removed'; deviceId: string };

/** Where a pairing is; the code itself never appears in an event. */
export type PairingProgress =
  /** initiate: waiting for a joiner until `expiresAt` (ms since epoch). */
  | { stage: 'waiting'; expiresAt: number }
  /** join: looking for the initiator. */
  | { stage: 'discovering'; mdns: boolean; dht: boolean }
  /** join: a peer that may be the initiator. */
  | { stage: 'candidate'; peerId: string; source: string }
  /** A proof exchange with a peer is running. */
  | { stage: 'verifying'; peerId: string; role: 'initiator' | 'joiner' }
  /**
   * One exchange failed (a wrong peer, a bogus joiner; on BLE a connection that ended without a
   * handover, with its `address` and the count so far); the pairing may still succeed.
   */
  | { stage: 'attempt-failed'; peerId?: string; address?: string; attempt?: number; maxAttempts?: number; code: string; message: string }
  /** BLE initiator: advertising the pairkit service under `name` from `address` (again after a failed attempt). */
  | { stage: 'ble-advertising'; name: string; address: string }
  /** BLE joiner: scanning for initiators. */
  | { stage: 'ble-scanning' }
  /** BLE joiner: an initiator in range. */
  | { stage: 'ble-nearby'; address: string; name: string; rssi: number }
  | { stage: 'ble-connected'; address: string }
  /** BLE Numeric Comparison: both devices show these 6 digits; `confirm` is being asked. */
  | { stage: 'ble-compare'; value: string }
  /** LE Secure Connections pairing done, link encrypted. */
  | { stage: 'ble-paired'; authenticated: boolean }
  /** The sealed network pairing secret crossed the BLE link; the network pairing runs. */
  | { stage: 'handover' }
  | { stage: 'paired'; device: Device; verification: string };

/** The outcome of a pairing. */
export interface PairingResult {
  device: Device;
  /** 6 digits both devices can show to confirm they paired with each other. */
  verification: string;
}

/** Events of a {@link Pairkit} device. */
export interface PairkitEvents {
  /** The registry changed (pairing, removal, a device seen). */
  device: [DeviceChange];
  /** A paired device removed us; we removed it too. */
  'removed-by-peer': [Device];
  /** A peer that is not paired (or was removed) tried to open one of our protocols. */
  refused: [{ peerId: string; protocol: string }];
  /** Progress of any pairing on this device. */
  pairing: [PairingProgress];
}

export function publicDevice(d: PairedDevice): Device {
  const { sessionKeys: _keys, ...rest } = d;
  return rest;
}
