import { HciError } from './errors.js';

const ADDR_RE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

/** "AA:BB:CC:DD:EE:FF" -> 6 bytes little-endian, as HCI carries BD_ADDR. */
export function addressToBytes(address: string): Buffer {
  if (!ADDR_RE.test(address)) {
    throw new HciError('INVALID_PARAMETER', `not a Bluetooth address: ${JSON.stringify(address)}`);
  }
  const b = Buffer.from(address.split(':').map((h) => parseInt(h, 16)));
  return b.reverse();
}

/** 6 little-endian bytes -> "AA:BB:CC:DD:EE:FF" (upper case). */
export function addressFromBytes(bytes: Uint8Array, offset = 0): string {
  if (bytes.length - offset < 6) throw new HciError('TRUNCATED', 'address needs 6 bytes');
  const parts: string[] = [];
  for (let i = 5; i >= 0; i--) parts.push(bytes[offset + i].toString(16).padStart(2, '0'));
  return parts.join(':').toUpperCase();
}

export function isValidAddress(address: string): boolean {
  return ADDR_RE.test(address);
}

/** Normalise an address string to upper case; throws on malformed input. */
export function normalizeAddress(address: string): string {
  return addressFromBytes(addressToBytes(address));
}

/** Random address sub-type from the two most significant bits (Core Vol 6 Part B §1.3). */
export function randomAddressKind(address: string): 'static' | 'resolvable' | 'non-resolvable' | 'reserved' {
  const top = addressToBytes(address)[5] >> 6;
  return top === 0b11 ? 'static' : top === 0b01 ? 'resolvable' : top === 0b00 ? 'non-resolvable' : 'reserved';
}
