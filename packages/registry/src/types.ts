// The registry's public data model. Other packages code against these types;
// change them only together with every caller.

/** How a device came to be trusted. */
export type PairingMethod = 'network' | 'ble' | 'both';

/** What a device says about itself (names, OS, app); never trusted for identity. */
export interface DeviceInfo {
  name: string;
  os: string;
  appVersion: string;
}

/** This device's own identity, made on first use. */
export interface LocalIdentity extends DeviceInfo {
  /** Derived from the Ed25519 public key (see README "Device id"). */
  deviceId: string;
  /** libp2p peer id (base58btc string) of the same Ed25519 key. */
  peerId: string;
  /** Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array;
  /** Ed25519 private key seed, 32 bytes. Never log it. */
  privateKey: Uint8Array;
  /** BLE identity: static random address "C0:11:22:33:44:55" (two top bits set), and our IRK (16 bytes, MSB-first). */
  bleIdentityAddress: string;
  bleIrk: Uint8Array;
  /** Our CSRK (16 bytes) for signed writes. */
  bleCsrk: Uint8Array;
  createdAt: number;
}

/** Per-direction session keys from a network pairing, 32 bytes each. */
export interface SessionKeys {
  /** Key for data we send to the peer. */
  tx: Uint8Array;
  /** Key for data the peer sends to us. */
  rx: Uint8Array;
  createdAt: number;
}

export type BleAddressType = 'public' | 'random';

/** A BLE bond with one peer (SMP key distribution result). Byte arrays are MSB-first. */
export interface BleBond {
  /** Peer identity address "AA:BB:CC:DD:EE:FF" (its public or static random address). */
  address: string;
  addressType: BleAddressType;
  /** Peer's IRK if it distributed one (all-zero IRKs are stored as undefined). */
  irk?: Uint8Array;
  /** Long Term Key used when we are the central (SC: the one LTK; legacy: the peer's distributed LTK). */
  ltk?: Uint8Array;
  ediv?: number;
  /** 8 bytes. */
  rand?: Uint8Array;
  /** Legacy pairing: the LTK/EDIV/Rand we distributed, used when we are the peripheral. */
  localLtk?: Uint8Array;
  localEdiv?: number;
  localRand?: Uint8Array;
  /** Peer's CSRK if distributed. */
  csrk?: Uint8Array;
  /** BR/EDR link key from cross-transport key derivation, if any. */
  linkKey?: Uint8Array;
  keySize: number;
  authenticated: boolean; // MITM
  secureConnections: boolean;
  createdAt: number;
}

export interface PairedDevice extends DeviceInfo {
  deviceId: string;
  /** libp2p peer id; undefined only for BLE-only bonds not linked to a network identity. */
  peerId: string;
  /** Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array;
  method: PairingMethod;
  pairedAt: number;
  lastSeenAt?: number;
  /** Multiaddrs last known for the device (hints for reconnecting). */
  addresses: string[];
  sessionKeys?: SessionKeys;
  bond?: BleBond;
}

/** Everything one pairing writes, saved in a single transaction. */
export interface PairingRecord extends DeviceInfo {
  peerId: string;
  publicKey: Uint8Array;
  method: PairingMethod;
  addresses?: string[];
  sessionKeys?: Omit<SessionKeys, 'createdAt'>;
  bond?: Omit<BleBond, 'createdAt'>;
  /** Defaults to now. */
  pairedAt?: number;
  /**
   * The public session id (32 bytes) of the pairing code that paired this device, for network
   * pairing: recorded in the same transaction so {@link UsedCode} lookups refuse the code later.
   */
  codeSessionId?: Uint8Array;
}

/** A pairing code this device already paired with (by its public session id). */
export interface UsedCode {
  deviceId: string;
  /** The device's name when it paired. */
  deviceName: string;
  usedAt: number;
}

export type RegistryChange =
  | { type: 'added'; device: PairedDevice }
  | { type: 'updated'; device: PairedDevice }
  | { type: 'removed'; deviceId: string }
  | { type: 'bond-saved'; bond: BleBond; deviceId?: string }
  | { type: 'bond-removed'; address: string };
