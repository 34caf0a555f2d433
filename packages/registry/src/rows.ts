// Row <-> object conversion and input checks. Byte columns come back as Buffer; callers get plain Uint8Array.
import type { BleBond, PairingMethod, PairedDevice, SessionKeys } from './types.js';
import { RegistryError } from './errors.js';
import { normalizeBleAddress } from './ids.js';

export interface DeviceRow {
  device_id: string;
  peer_id: string;
  public_key: Buffer;
  name: string;
  os: string;
  app_version: string;
  method: PairingMethod;
  paired_at: number;
  last_seen_at: number | null;
  addresses: string;
}

export interface SessionKeysRow {
  device_id: string;
  tx: Buffer;
  rx: Buffer;
  created_at: number;
}

export interface BondRow {
  address: string;
  address_type: 'public' | 'random';
  device_id: string | null;
  irk: Buffer | null;
  ltk: Buffer | null;
  ediv: number | null;
  rand: Buffer | null;
  local_ltk: Buffer | null;
  local_ediv: number | null;
  local_rand: Buffer | null;
  csrk: Buffer | null;
  link_key: Buffer | null;
  key_size: number;
  authenticated: number;
  secure_connections: number;
  created_at: number;
}

export const bytes = (b: Buffer | Uint8Array): Uint8Array => new Uint8Array(b);
const opt = (b: Buffer | null): Uint8Array | undefined => (b === null ? undefined : bytes(b));
export const blob = (b: Uint8Array | undefined): Buffer | null => (b === undefined ? null : Buffer.from(b));

export function deviceFromRow(row: DeviceRow, keys?: SessionKeysRow, bond?: BondRow): PairedDevice {
  const d: PairedDevice = {
    deviceId: row.device_id,
    peerId: row.peer_id,
    publicKey: bytes(row.public_key),
    name: row.name,
    os: row.os,
    appVersion: row.app_version,
    method: row.method,
    pairedAt: row.paired_at,
    addresses: parseAddresses(row.addresses),
  };
  if (row.last_seen_at !== null) d.lastSeenAt = row.last_seen_at;
  if (keys) d.sessionKeys = sessionKeysFromRow(keys);
  if (bond) d.bond = bondFromRow(bond);
  return d;
}

export function sessionKeysFromRow(r: SessionKeysRow): SessionKeys {
  return { tx: bytes(r.tx), rx: bytes(r.rx), createdAt: r.created_at };
}

export function bondFromRow(r: BondRow): BleBond {
  const b: BleBond = {
    address: r.address,
    addressType: r.address_type,
    keySize: r.key_size,
    authenticated: r.authenticated !== 0,
    secureConnections: r.secure_connections !== 0,
    createdAt: r.created_at,
  };
  const set = <K extends keyof BleBond>(k: K, v: BleBond[K] | undefined) => {
    if (v !== undefined) b[k] = v;
  };
  set('irk', opt(r.irk));
  set('ltk', opt(r.ltk));
  set('ediv', r.ediv ?? undefined);
  set('rand', opt(r.rand));
  set('localLtk', opt(r.local_ltk));
  set('localEdiv', r.local_ediv ?? undefined);
  set('localRand', opt(r.local_rand));
  set('csrk', opt(r.csrk));
  set('linkKey', opt(r.link_key));
  return b;
}

function parseAddresses(s: string): string[] {
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

// ---- input checks: bad input is refused before anything is written ----

const invalid = (msg: string) => new RegistryError('INVALID_INPUT', msg);

export function checkBytes(name: string, v: unknown, len: number, optional: true): Uint8Array | undefined;
export function checkBytes(name: string, v: unknown, len: number, optional?: false): Uint8Array;
export function checkBytes(name: string, v: unknown, len: number, optional = false): Uint8Array | undefined {
  if (v === undefined && optional) return undefined;
  if (!(v instanceof Uint8Array) || v.length !== len) throw invalid(`${name} must be ${len} bytes`);
  return v;
}

export function checkString(name: string, v: unknown, max = 256): string {
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  // control characters would garble terminals when listed
  if (v.length > max || /[\u0000-\u001f\u007f]/.test(v)) throw invalid(`${name} must be at most ${max} printable characters`);
  return v;
}

export function checkMethod(v: unknown): PairingMethod {
  if (v !== 'network' && v !== 'ble' && v !== 'both') throw invalid(`method must be 'network', 'ble' or 'both'`);
  return v;
}

export function checkAddresses(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > 64 || v.some((a) => typeof a !== 'string' || a.length > 1024)) {
    throw invalid('addresses must be an array of at most 64 strings');
  }
  return [...(v as string[])];
}

export function checkTime(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${name} must be a millisecond timestamp`);
  return v;
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

/** Validates a bond and returns the normalised copy to store (all-zero IRK/CSRK become undefined). */
export function checkBond(b: Omit<BleBond, 'createdAt'> & { createdAt?: number }, now: number): BleBond {
  if (b === null || typeof b !== 'object') throw invalid('bond must be an object');
  const address = normalizeBleAddress(b.address);
  if (b.addressType !== 'public' && b.addressType !== 'random') throw invalid(`addressType must be 'public' or 'random'`);
  if (!Number.isInteger(b.keySize) || b.keySize < 7 || b.keySize > 16) throw invalid('keySize must be 7..16');
  const u16 = (n: string, v: unknown) => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffff) throw invalid(`${n} must be 0..65535`);
    return v as number;
  };
  const out: BleBond = {
    address,
    addressType: b.addressType,
    keySize: b.keySize,
    authenticated: Boolean(b.authenticated),
    secureConnections: Boolean(b.secureConnections),
    createdAt: b.createdAt === undefined ? now : checkTime('createdAt', b.createdAt),
  };
  const irk = checkBytes('irk', b.irk, 16, true);
  if (irk && !isZero(irk)) out.irk = bytes(irk);
  const csrk = checkBytes('csrk', b.csrk, 16, true);
  if (csrk && !isZero(csrk)) out.csrk = bytes(csrk);
  const ltk = checkBytes('ltk', b.ltk, 16, true);
  if (ltk) out.ltk = bytes(ltk);
  const ediv = u16('ediv', b.ediv);
  if (ediv !== undefined) out.ediv = ediv;
  const rand = checkBytes('rand', b.rand, 8, true);
  if (rand) out.rand = bytes(rand);
  const localLtk = checkBytes('localLtk', b.localLtk, 16, true);
  if (localLtk) out.localLtk = bytes(localLtk);
  const localEdiv = u16('localEdiv', b.localEdiv);
  if (localEdiv !== undefined) out.localEdiv = localEdiv;
  const localRand = checkBytes('localRand', b.localRand, 8, true);
  if (localRand) out.localRand = bytes(localRand);
  const linkKey = checkBytes('linkKey', b.linkKey, 16, true);
  if (linkKey) out.linkKey = bytes(linkKey);
  return out;
}

export function bondParams(b: BleBond, deviceId: string | null) {
  return {
    address: b.address,
    address_type: b.addressType,
    device_id: deviceId,
    irk: blob(b.irk),
    ltk: blob(b.ltk),
    ediv: b.ediv ?? null,
    rand: blob(b.rand),
    local_ltk: blob(b.localLtk),
    local_ediv: b.localEdiv ?? null,
    local_rand: blob(b.localRand),
    csrk: blob(b.csrk),
    link_key: blob(b.linkKey),
    key_size: b.keySize,
    authenticated: b.authenticated ? 1 : 0,
    secure_connections: b.secureConnections ? 1 : 0,
    created_at: b.createdAt,
  };
}
