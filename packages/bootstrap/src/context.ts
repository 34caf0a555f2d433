// What both ends of a BLE link agree on and the handover key is bound to.
import { BootstrapError } from './errors.js';

export type LeAddressType = 'public' | 'random';

export interface LeAddress {
  /** "AA:BB:CC:DD:EE:FF", most significant octet first. */
  address: string;
  type: LeAddressType;
}

const ADDRESS_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** 6 octets MSB-first from "AA:BB:CC:DD:EE:FF". */
export function addressOctets(address: string): Uint8Array {
  if (typeof address !== 'string' || !ADDRESS_RE.test(address)) {
    throw new BootstrapError('INVALID_INPUT', `not a BD_ADDR: ${String(address)}`);
  }
  return Uint8Array.from(address.split(':').map((p) => parseInt(p, 16)));
}

export function addressText(msbFirst: Uint8Array): string {
  return Array.from(msbFirst, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** Type octet (0 public, 1 random) then the address MSB-first: the A1/A2 layout of SMP's f5/f6. */
export function address56(a: LeAddress): Uint8Array {
  if (a.type !== 'public' && a.type !== 'random') throw new BootstrapError('INVALID_INPUT', `bad address type: ${String(a.type)}`);
  const out = new Uint8Array(7);
  out[0] = a.type === 'random' ? 1 : 0;
  out.set(addressOctets(a.address), 1);
  return out;
}
