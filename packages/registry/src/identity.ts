// The local identity: made on first use, kept in a 0600 key file, never rewritten once made.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import createDebug from 'debug';
import { RegistryError } from './errors.js';
import { deviceIdFromPublicKey, peerIdFromEd25519PublicKey } from './ids.js';

const debug = createDebug('pairkit:registry');

export const KEY_FILE_NAME = 'identity.key';

/** The secret part of the identity, as stored in the key file. */
export interface IdentitySecrets {
  seed: Uint8Array;
  publicKey: Uint8Array;
  deviceId: string;
  peerId: string;
  bleIdentityAddress: string;
  bleIrk: Uint8Array;
  bleCsrk: Uint8Array;
  createdAt: number;
}

interface KeyFileV1 {
  format: 'pairkit-identity';
  version: 1;
  ed25519Seed: string; // hex
  bleIdentityAddress: string;
  bleIrk: string; // hex
  bleCsrk: string; // hex
  createdAt: number;
}

/** Loads the key file in `home`, creating it atomically when it does not exist yet. */
export function loadOrCreateIdentity(home: string, now = Date.now()): IdentitySecrets {
  const file = path.join(home, KEY_FILE_NAME);
  let raw: Buffer | undefined;
  try {
    raw = readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (raw === undefined) {
    createKeyFile(file, now);
    raw = readKeyFile(file);
  }
  return parseKeyFile(file, raw);
}

function readKeyFile(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new RegistryError('CORRUPT_KEY_FILE', `${file} is not a regular file`, { path: file });
    if ((st.mode & 0o077) !== 0) {
      throw new RegistryError(
        'KEY_FILE_PERMISSIONS',
        `key file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); refusing to use it`,
        { path: file, hint: `chmod 600 '${file}'  (and consider the key exposed: others could read it)` },
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new RegistryError('KEY_FILE_PERMISSIONS', `key file ${file} belongs to another user (uid ${st.uid})`, {
        path: file,
        hint: `run as its owner, or chown it: chown ${uid} '${file}'`,
      });
    }
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function createKeyFile(file: string, now: number): void {
  const seed = randomBytes(32);
  const body: KeyFileV1 = {
    format: 'pairkit-identity',
    version: 1,
    ed25519Seed: seed.toString('hex'),
    bleIdentityAddress: randomStaticAddress(),
    bleIrk: randomBytes(16).toString('hex'),
    bleCsrk: randomBytes(16).toString('hex'),
    createdAt: now,
  };
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // the umask may have cut more, never less; be exact
    fs.writeSync(fd, JSON.stringify(body, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  // link() fails if the file exists: a second process racing us keeps the first identity made.
  try {
    fs.linkSync(tmp, file);
    debug('created identity key file %s', file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
  fs.rmSync(tmp, { force: true });
  fsyncDir(path.dirname(file));
  seed.fill(0);
}

function parseKeyFile(file: string, raw: Buffer): IdentitySecrets {
  const bad = (why: string) =>
    new RegistryError('CORRUPT_KEY_FILE', `key file ${file} is not a pairkit identity (${why}); left untouched`, {
      path: file,
      hint: 'restore it from a backup, or move it away to make a new identity (paired devices will no longer recognise this one)',
    });
  let j: Partial<KeyFileV1>;
  try {
    j = JSON.parse(raw.toString('utf8')) as Partial<KeyFileV1>;
  } catch {
    throw bad('not JSON');
  }
  if (j === null || typeof j !== 'object' || j.format !== 'pairkit-identity') throw bad('wrong format tag');
  if (j.version !== 1) throw bad(`unknown version ${String(j.version)}`);
  const seed = hexField(j.ed25519Seed, 32);
  const irk = hexField(j.bleIrk, 16);
  const csrk = hexField(j.bleCsrk, 16);
  if (!seed || !irk || !csrk) throw bad('bad key field');
  if (typeof j.bleIdentityAddress !== 'string' || !/^[C-F][0-9A-F](:[0-9A-F]{2}){5}$/.test(j.bleIdentityAddress)) {
    throw bad('bad BLE identity address');
  }
  const publicKey = ed25519.getPublicKey(seed);
  return {
    seed,
    publicKey,
    deviceId: deviceIdFromPublicKey(publicKey),
    peerId: peerIdFromEd25519PublicKey(publicKey),
    bleIdentityAddress: j.bleIdentityAddress,
    bleIrk: irk,
    bleCsrk: csrk,
    createdAt: typeof j.createdAt === 'number' ? j.createdAt : 0,
  };
}

function hexField(v: unknown, len: number): Uint8Array | undefined {
  if (typeof v !== 'string' || v.length !== len * 2 || !/^[0-9a-f]+$/i.test(v)) return undefined;
  return new Uint8Array(Buffer.from(v, 'hex'));
}

/** Static random address: two top bits 11, the other 46 bits neither all 0 nor all 1. */
export function randomStaticAddress(): string {
  for (;;) {
    const b = randomBytes(6);
    b[0] = b[0]! | 0xc0;
    const rest = [b[0]! & 0x3f, ...b.subarray(1)];
    const allZero = rest.every((x) => x === 0);
    const allOne = rest[0] === 0x3f && rest.slice(1).every((x) => x === 0xff);
    if (allZero || allOne) continue;
    return [...b].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':');
  }
}

export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // some filesystems refuse fsync on folders; the rename/link is still atomic
  }
}
