// SMP PDU codec (Vol 3 Part H 3.3-3.6). Every multi-octet field is little-endian on the wire;
// decoded values are MSB-first like the toolbox. Lengths are exact: anything else fails with
// INVALID_PARAMETERS, an unknown code with COMMAND_NOT_SUPPORTED.
import { addressFromBytes, addressToBytes } from '@pairkit/hci';
import { normalizeAddress, type AddressType } from './address.js';
import { reverse } from './bytes.js';
import { PairingFailedReason as R, SmpArgumentError, SmpError } from './errors.js';

export const SmpCode = {
  PAIRING_REQUEST: 0x01,
  PAIRING_RESPONSE: 0x02,
  PAIRING_CONFIRM: 0x03,
  PAIRING_RANDOM: 0x04,
  PAIRING_FAILED: 0x05,
  ENCRYPTION_INFORMATION: 0x06,
  CENTRAL_IDENTIFICATION: 0x07,
  IDENTITY_INFORMATION: 0x08,
  IDENTITY_ADDRESS_INFORMATION: 0x09,
  SIGNING_INFORMATION: 0x0a,
  SECURITY_REQUEST: 0x0b,
  PAIRING_PUBLIC_KEY: 0x0c,
  PAIRING_DHKEY_CHECK: 0x0d,
  PAIRING_KEYPRESS_NOTIFICATION: 0x0e,
} as const;

/** IO Capability values (3.5.1, table 3.4). */
export const IoCapability = {
  DisplayOnly: 0x00,
  DisplayYesNo: 0x01,
  KeyboardOnly: 0x02,
  NoInputNoOutput: 0x03,
  KeyboardDisplay: 0x04,
} as const;
export type IoCapabilityValue = (typeof IoCapability)[keyof typeof IoCapability];

/** AuthReq bits (3.5.1, figure 3.3). */
export const AuthReq = { BONDING: 0x01, MITM: 0x04, SC: 0x08, KEYPRESS: 0x10, CT2: 0x20 } as const;

/** Key distribution bits (3.6.1). */
export const KeyDist = { ENC_KEY: 0x01, ID_KEY: 0x02, SIGN_KEY: 0x04, LINK_KEY: 0x08 } as const;

/** Keypress notification types (3.5.8). */
export const KeypressType = {
  PASSKEY_ENTRY_STARTED: 0,
  PASSKEY_DIGIT_ENTERED: 1,
  PASSKEY_DIGIT_ERASED: 2,
  PASSKEY_CLEARED: 3,
  PASSKEY_ENTRY_COMPLETED: 4,
} as const;
export type KeypressTypeValue = (typeof KeypressType)[keyof typeof KeypressType];

export interface PairingFeatures {
  ioCapability: IoCapabilityValue;
  oobDataFlag: boolean;
  /** The raw AuthReq octet (reserved bits kept: f6 IOcap hashes the octet as sent). */
  authReq: number;
  maxEncryptionKeySize: number;
  initiatorKeyDistribution: number;
  responderKeyDistribution: number;
}

export type SmpPdu =
  | ({ code: 0x01 } & PairingFeatures)
  | ({ code: 0x02 } & PairingFeatures)
  | { code: 0x03; confirm: Uint8Array }
  | { code: 0x04; random: Uint8Array }
  | { code: 0x05; reason: number }
  | { code: 0x06; ltk: Uint8Array }
  | { code: 0x07; ediv: number; rand: Uint8Array }
  | { code: 0x08; irk: Uint8Array }
  | { code: 0x09; addressType: AddressType; address: string }
  | { code: 0x0a; csrk: Uint8Array }
  | { code: 0x0b; authReq: number }
  | { code: 0x0c; x: Uint8Array; y: Uint8Array }
  | { code: 0x0d; check: Uint8Array }
  | { code: 0x0e; notification: KeypressTypeValue };

const LENGTHS: Record<number, number> = {
  0x01: 7, 0x02: 7, 0x03: 17, 0x04: 17, 0x05: 2, 0x06: 17, 0x07: 11, 0x08: 17,
  0x09: 8, 0x0a: 17, 0x0b: 2, 0x0c: 65, 0x0d: 17, 0x0e: 2,
};

export const PDU_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(SmpCode).map(([k, v]) => [v, k]),
);

function field(pdu: Uint8Array, offset: number, length: number): Uint8Array {
  return reverse(pdu.subarray(offset, offset + length));
}

/** Decodes one SMP PDU (the L2CAP payload on CID 0x0006). Throws SmpError. */
export function decodePdu(pdu: Uint8Array): SmpPdu {
  if (pdu.length === 0) throw new SmpError(R.INVALID_PARAMETERS, 'EMPTY_PDU');
  const code = pdu[0];
  const expected = LENGTHS[code];
  if (expected === undefined) throw new SmpError(R.COMMAND_NOT_SUPPORTED, `UNKNOWN_CODE_0x${code.toString(16)}`);
  if (pdu.length !== expected) throw new SmpError(R.INVALID_PARAMETERS, `${PDU_NAMES[code]}_LENGTH_${pdu.length}`);
  switch (code) {
    case 0x01:
    case 0x02: {
      const io = pdu[1];
      if (io > 4) throw new SmpError(R.INVALID_PARAMETERS, 'IO_CAPABILITY_RESERVED');
      if (pdu[2] > 1) throw new SmpError(R.INVALID_PARAMETERS, 'OOB_FLAG_RESERVED');
      const max = pdu[4];
      if (max < 7 || max > 16) throw new SmpError(R.INVALID_PARAMETERS, 'MAX_KEY_SIZE_OUT_OF_RANGE');
      return {
        code, ioCapability: io as IoCapabilityValue, oobDataFlag: pdu[2] === 1, authReq: pdu[3],
        maxEncryptionKeySize: max, initiatorKeyDistribution: pdu[5] & 0x0f, responderKeyDistribution: pdu[6] & 0x0f,
      };
    }
    case 0x03: return { code, confirm: field(pdu, 1, 16) };
    case 0x04: return { code, random: field(pdu, 1, 16) };
    case 0x05: return { code, reason: pdu[1] };
    case 0x06: return { code, ltk: field(pdu, 1, 16) };
    case 0x07: return { code, ediv: pdu[1] | (pdu[2] << 8), rand: field(pdu, 3, 8) };
    case 0x08: return { code, irk: field(pdu, 1, 16) };
    case 0x09: {
      if (pdu[1] > 1) throw new SmpError(R.INVALID_PARAMETERS, 'ADDRESS_TYPE_RESERVED');
      return { code, addressType: pdu[1] === 1 ? 'random' : 'public', address: addressFromBytes(pdu, 2) };
    }
    case 0x0a: return { code, csrk: field(pdu, 1, 16) };
    case 0x0b: return { code, authReq: pdu[1] };
    case 0x0c: return { code, x: field(pdu, 1, 32), y: field(pdu, 33, 32) };
    case 0x0d: return { code, check: field(pdu, 1, 16) };
    case 0x0e: {
      if (pdu[1] > 4) throw new SmpError(R.INVALID_PARAMETERS, 'KEYPRESS_TYPE_RESERVED');
      return { code, notification: pdu[1] as KeypressTypeValue };
    }
  }
  throw new SmpError(R.COMMAND_NOT_SUPPORTED, 'UNKNOWN_CODE');
}

function withField(code: number, value: Uint8Array, length: number): Uint8Array {
  if (value.length !== length) throw new SmpArgumentError(`${PDU_NAMES[code]} field must be ${length} octets`);
  const out = new Uint8Array(1 + length);
  out[0] = code;
  out.set(reverse(value), 1);
  return out;
}

export function encodePdu(p: SmpPdu): Uint8Array {
  switch (p.code) {
    case 0x01:
    case 0x02:
      return Uint8Array.of(p.code, p.ioCapability, p.oobDataFlag ? 1 : 0, p.authReq, p.maxEncryptionKeySize,
        p.initiatorKeyDistribution, p.responderKeyDistribution);
    case 0x03: return withField(p.code, p.confirm, 16);
    case 0x04: return withField(p.code, p.random, 16);
    case 0x05: return Uint8Array.of(p.code, p.reason);
    case 0x06: return withField(p.code, p.ltk, 16);
    case 0x07: {
      if (p.rand.length !== 8) throw new SmpArgumentError('Rand must be 8 octets');
      const out = new Uint8Array(11);
      out[0] = p.code;
      out[1] = p.ediv & 0xff;
      out[2] = (p.ediv >>> 8) & 0xff;
      out.set(reverse(p.rand), 3);
      return out;
    }
    case 0x08: return withField(p.code, p.irk, 16);
    case 0x09: {
      const out = new Uint8Array(8);
      out[0] = p.code;
      out[1] = p.addressType === 'random' ? 1 : 0;
      out.set(addressToBytes(normalizeAddress(p.address)), 2); // wire order; normalize throws SmpUsageError
      return out;
    }
    case 0x0a: return withField(p.code, p.csrk, 16);
    case 0x0b: return Uint8Array.of(p.code, p.authReq);
    case 0x0c: {
      if (p.x.length !== 32 || p.y.length !== 32) throw new SmpArgumentError('public key coordinates must be 32 octets');
      const out = new Uint8Array(65);
      out[0] = p.code;
      out.set(reverse(p.x), 1);
      out.set(reverse(p.y), 33);
      return out;
    }
    case 0x0d: return withField(p.code, p.check, 16);
    case 0x0e: return Uint8Array.of(p.code, p.notification);
  }
}

/** f6 IOcap: AuthReq || OOB data flag || IO Capability, MSB-first (the request octets 1..3 reversed). */
export function ioCapOf(f: PairingFeatures): Uint8Array {
  return Uint8Array.of(f.authReq, f.oobDataFlag ? 1 : 0, f.ioCapability);
}
