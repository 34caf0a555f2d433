// LE device addresses as SMP sees them: "AA:BB:CC:DD:EE:FF" strings plus a type.
import { SmpUsageError } from './errors.js';

export type AddressType = 'public' | 'random';

export interface LeAddress {
  type: AddressType;
  /** "AA:BB:CC:DD:EE:FF", most significant octet first. */
  address: string;
}

const RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** 6 octets, MSB-first. */
export function addressBytes(address: string): Uint8Array {
  if (!RE.test(address)) throw new SmpUsageError('INVALID_ADDRESS', `not a BD_ADDR: ${address}`);
  return Uint8Array.from(address.split(':').map((p) => parseInt(p, 16)));
}

export function addressString(msbFirst: Uint8Array): string {
  return Array.from(msbFirst, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

export function normalizeAddress(address: string): string {
  return addressString(addressBytes(address));
}

/** The 56-bit A1/A2 value of f5/f6: the type octet (0 public, 1 random), then the address MSB-first. */
export function address56(a: LeAddress): Uint8Array {
  const out = new Uint8Array(7);
  out[0] = a.type === 'random' ? 1 : 0;
  out.set(addressBytes(a.address), 1);
  return out;
}
