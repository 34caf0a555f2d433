// LE device addresses as SMP sees them: "AA:BB:CC:DD:EE:FF" strings plus a type.
import { addressToBytes, isValidAddress, normalizeAddress as hciNormalize } from '@pairkit/hci';
import { SmpUsageError } from './errors.js';

export type AddressType = 'public' | 'random';

export interface LeAddress {
  type: AddressType;
  /** "AA:BB:CC:DD:EE:FF", most significant octet first. */
  address: string;
}

function checked(address: string): string {
  if (typeof address !== 'string' || !isValidAddress(address)) throw new SmpUsageError('INVALID_ADDRESS', `not a BD_ADDR: ${address}`);
  return address;
}

/** 6 octets, MSB-first (hci's bytes are the little-endian wire order). */
export function addressBytes(address: string): Uint8Array {
  return new Uint8Array(addressToBytes(checked(address)).reverse());
}

export function normalizeAddress(address: string): string {
  return hciNormalize(checked(address));
}

/** The 56-bit A1/A2 value of f5/f6: the type octet (0 public, 1 random), then the address MSB-first. */
export function address56(a: LeAddress): Uint8Array {
  const out = new Uint8Array(7);
  out[0] = a.type === 'random' ? 1 : 0;
  out.set(addressBytes(a.address), 1);
  return out;
}
