// The seam between the handover flows and a BLE stack. The flows only need these few
// operations; `hci-radio.ts` implements them on @pairkit/hci + @pairkit/smp.
import type { BleBond } from '@pairkit/registry';
import type { LeAddress } from './context.js';

/** A 128-bit service UUID for "pairkit handover", chosen for this project. */
export const PAIRKIT_SERVICE_UUID = '6c1f2a8e-3b7d-4f52-9e0a-5d4c8b71e2a9';
/** The LE credit-based channel PSM the handover travels on (dynamic range 0x0080-0x00FF). */
export const HANDOVER_PSM = 0x0081;
/** The one-octet SDU the joiner sends first on the channel: "my end is set up, send". */
export const HANDOVER_READY = 0x01;

/** An initiator seen while scanning. */
export interface NearbyInitiator {
  address: LeAddress;
  name: string;
  rssi: number;
}

/** LE SC OOB material for one pairing (see oob.ts): our own data and/or the peer's r and C. */
export interface BleOob {
  local?: { keyPair: unknown; r: Uint8Array; c: Uint8Array };
  peer?: { r: Uint8Array; c: Uint8Array };
}

export interface BlePairOptions {
  /** Numeric Comparison: show the 6 digits, resolve true if the user confirms. */
  confirm: (value: string, signal: AbortSignal) => Promise<boolean>;
  /** LE SC OOB instead of Numeric Comparison. */
  oob?: BleOob;
  signal: AbortSignal;
}

/** What SMP gave us: the link key and the bond to store (not yet stored). */
export interface BlePairResult {
  ltk: Uint8Array;
  model: 'JustWorks' | 'NumericComparison' | 'PasskeyEntry' | 'OOB';
  authenticated: boolean;
  bond: Omit<BleBond, 'createdAt'>;
}

export interface BleChannel {
  send(sdu: Uint8Array, signal: AbortSignal): Promise<void>;
  /** Next SDU; rejects when the channel or link closes. */
  receive(signal: AbortSignal): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** One LE connection. */
export interface BleLink {
  readonly role: 'central' | 'peripheral';
  /** Our address and the peer's, as used on this connection (what SMP's f5/f6 use too). */
  readonly local: LeAddress;
  readonly peer: LeAddress;
  /** Resolves with the HCI reason when the link goes down (never rejects). */
  readonly closed: Promise<number>;
  /** SMP LE Secure Connections pairing; the link is encrypted when this resolves. */
  pair(opts: BlePairOptions): Promise<BlePairResult>;
  /** Central: open an LE credit-based channel to the peer's PSM. */
  openChannel(psm: number, signal: AbortSignal): Promise<BleChannel>;
  /** Peripheral: the next channel the peer opens on this PSM. */
  acceptChannel(psm: number, signal: AbortSignal): Promise<BleChannel>;
  disconnect(): Promise<void>;
}

/** One controller's worth of GAP: advertise + accept, scan + connect. */
export interface BleRadio {
  /** Our (static random) address. */
  readonly address: LeAddress;
  /** Advertises the service and name until a central connects; stops advertising then. */
  advertise(opts: { serviceUuid: string; name: string; signal: AbortSignal; onAdvertising?: () => void }): Promise<BleLink>;
  /** Advertisers of the service as they are seen (each address once) until the signal aborts. */
  scan(opts: { serviceUuid: string; signal: AbortSignal }): AsyncIterable<NearbyInitiator>;
  connect(address: LeAddress, signal: AbortSignal): Promise<BleLink>;
  close(): Promise<void>;
}
