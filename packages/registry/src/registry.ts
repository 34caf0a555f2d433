// DeviceRegistry: the one place trust is written. Sync SQLite underneath, async open() on top.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import createDebug from 'debug';
import type { BleBond, LocalIdentity, PairedDevice, PairingMethod, PairingRecord, RegistryChange, UsedCode } from './types.js';
import { RegistryError } from './errors.js';
import { resolveHome, type HomeOptions } from './home.js';
import { loadOrCreateIdentity, type IdentitySecrets } from './identity.js';
import { openDatabase, sqliteError, tightenModes } from './database.js';
import { deviceIdFromPublicKey, normalizeBleAddress, peerIdFromEd25519PublicKey } from './ids.js';
import {
  blob,
  bondFromRow,
  bondParams,
  bytes,
  checkAddresses,
  checkBond,
  checkBytes,
  checkMethod,
  checkString,
  checkTime,
  deviceFromRow,
  type BondRow,
  type DeviceRow,
  type SessionKeysRow,
} from './rows.js';

const debug = createDebug('pairkit:registry');

/** How long a used code's session id is remembered (codes themselves expire within minutes). */
const USED_CODE_RETENTION_MS = 30 * 24 * 3600 * 1000;

export const DB_FILE_NAME = 'registry.db';

export interface RegistryOpenOptions extends HomeOptions {
  /** Reported as our appVersion (default: the registry package version). */
  appVersion?: string;
  /** How long a write waits for another process's write to finish (default 10 s). */
  busyTimeoutMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** A bond as stored, with the device it belongs to (if any). */
export type StoredBond = BleBond & { deviceId?: string };

/** A removed device whose peer has not yet been told. */
export interface PendingRevocation {
  deviceId: string;
  peerId: string;
  publicKey: Uint8Array;
  addresses: string[];
  removedAt: number;
}

export type BondInput = Omit<BleBond, 'createdAt'> & { createdAt?: number };

export interface RegistryEvents {
  change: [RegistryChange];
}

export const REGISTRY_VERSION = '0.1.0';

export class DeviceRegistry extends EventEmitter<RegistryEvents> {
  /** The data folder in use. */
  readonly home: string;
  readonly dbPath: string;
  #db: Database.Database | undefined;
  readonly #statements = new Map<string, Database.Statement>();
  #watch: WatchState | undefined;
  readonly #secrets: IdentitySecrets;
  readonly #appVersion: string;
  readonly #now: () => number;

  private constructor(home: string, db: Database.Database, secrets: IdentitySecrets, opts: RegistryOpenOptions) {
    super();
    this.home = home;
    this.dbPath = path.join(home, DB_FILE_NAME);
    this.#db = db;
    this.#secrets = secrets;
    this.#appVersion = opts.appVersion ?? REGISTRY_VERSION;
    this.#now = opts.now ?? Date.now;
  }

  /** Opens the registry in the resolved home, creating home, identity and database on first use. */
  static async open(opts: RegistryOpenOptions = {}): Promise<DeviceRegistry> {
    return DeviceRegistry.openSync(opts);
  }

  /** Same as open(), for callers that cannot await (SQLite itself is synchronous). */
  static openSync(opts: RegistryOpenOptions = {}): DeviceRegistry {
    const home = resolveHome(opts);
    const dbPath = path.join(home, DB_FILE_NAME);
    const db = openDatabase(dbPath, { busyTimeoutMs: opts.busyTimeoutMs ?? 10_000 });
    try {
      const secrets = loadOrCreateIdentity(home, (opts.now ?? Date.now)());
      debug('opened %s as %s', dbPath, secrets.deviceId);
      return new DeviceRegistry(home, db, secrets, opts);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#db === undefined;
  }

  // ---- identity ----

  /** This device's identity. The returned byte arrays are copies. */
  identity(): LocalIdentity {
    const s = this.#secrets;
    return {
      deviceId: s.deviceId,
      peerId: s.peerId,
      publicKey: bytes(s.publicKey),
      privateKey: bytes(s.seed),
      name: this.#name(),
      os: osDescription(),
      appVersion: this.#appVersion,
      bleIdentityAddress: s.bleIdentityAddress,
      bleIrk: bytes(s.bleIrk),
      bleCsrk: bytes(s.bleCsrk),
      createdAt: s.createdAt,
    };
  }

  /** Sets the name other devices see (default: the host name). */
  setName(name: string): void {
    const n = checkString('name', name, 64).trim();
    if (n.length === 0) throw new RegistryError('INVALID_INPUT', 'name must not be empty');
    this.#write(() => {
      this.#stmt(`INSERT INTO settings(key, value) VALUES ('name', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(n);
    });
  }

  #name(): string {
    const row = this.#read(() => this.#stmt(`SELECT value FROM settings WHERE key = 'name'`).get()) as { value: string } | undefined;
    return row?.value ?? (os.hostname() || 'pairkit device');
  }

  // ---- devices ----

  list(): PairedDevice[] {
    return this.#read(() => {
      const rows = this.#stmt(`SELECT * FROM devices ORDER BY paired_at, device_id`).all() as DeviceRow[];
      return rows.map((r) => this.#hydrate(r));
    });
  }

  get(deviceId: string): PairedDevice | undefined {
    return this.#read(() => {
      const row = this.#stmt(`SELECT * FROM devices WHERE device_id = ?`).get(String(deviceId)) as DeviceRow | undefined;
      return row && this.#hydrate(row);
    });
  }

  findByPeerId(peerId: string): PairedDevice | undefined {
    return this.#read(() => {
      const row = this.#stmt(`SELECT * FROM devices WHERE peer_id = ?`).get(String(peerId)) as DeviceRow | undefined;
      return row && this.#hydrate(row);
    });
  }

  /** The device whose bond has this identity address (not an RPA: resolve those with bondsWithIrk()). */
  findByBleAddress(address: string): PairedDevice | undefined {
    const a = normalizeBleAddress(address);
    return this.#read(() => {
      const row = this.#stmt(`SELECT d.* FROM devices d JOIN ble_bonds b ON b.device_id = d.device_id WHERE b.address = ?`)
        .get(a) as DeviceRow | undefined;
      return row && this.#hydrate(row);
    });
  }

  /**
   * Finds one device for a user's words: exact device id or peer id, else exact name
   * (then case-insensitive), else a unique device-id prefix. Throws NOT_FOUND or AMBIGUOUS.
   */
  resolve(query: string): PairedDevice {
    const q = String(query).trim();
    if (q.length === 0) throw new RegistryError('INVALID_INPUT', 'empty device name or id');
    const exact = this.get(q) ?? this.findByPeerId(q);
    if (exact) return exact;
    const pick = (sql: string, args: string[], what: string): PairedDevice | undefined => {
      const found = this.#read(() => (this.#stmt(sql).all(...args) as DeviceRow[]).map((r) => this.#hydrate(r)));
      if (found.length === 1) return found[0];
      if (found.length > 1) {
        throw new RegistryError('AMBIGUOUS', `${JSON.stringify(q)} matches ${found.length} devices by ${what}`, {
          hint: `use more of the device id: ${found.map((d) => `${d.deviceId.slice(0, 8)} (${d.name})`).join(', ')}`,
        });
      }
      return undefined;
    };
    const found =
      pick(`SELECT * FROM devices WHERE name = ? ORDER BY paired_at`, [q], 'name') ??
      pick(`SELECT * FROM devices WHERE lower(name) = lower(?) ORDER BY paired_at`, [q], 'name') ??
      // ids are [a-z2-7]: every id starting with p sorts in [p, p + U+007F)
      pick(`SELECT * FROM devices WHERE device_id >= ? AND device_id < ? || char(127) ORDER BY paired_at`, [q.toLowerCase(), q.toLowerCase()], 'id prefix');
    if (found) return found;
    throw new RegistryError('NOT_FOUND', `no paired device matches ${JSON.stringify(q)}`, {
      hint: 'see the paired devices with: pair list',
    });
  }

  /**
   * Writes everything one pairing produced in ONE transaction. A device that pairs again is
   * updated in place (methods are merged: network + ble = both). The device id is derived
   * from the public key, and the peer id must belong to that key.
   */
  savePairing(record: PairingRecord): PairedDevice {
    if (record === null || typeof record !== 'object') throw new RegistryError('INVALID_INPUT', 'record must be an object');
    const publicKey = checkBytes('publicKey', record.publicKey, 32);
    const deviceId = deviceIdFromPublicKey(publicKey);
    const peerId = checkString('peerId', record.peerId, 128);
    if (peerId !== peerIdFromEd25519PublicKey(publicKey)) {
      throw new RegistryError('INVALID_INPUT', 'peerId does not belong to publicKey');
    }
    if (deviceId === this.#secrets.deviceId) throw new RegistryError('INVALID_INPUT', 'cannot pair a device with itself');
    const name = checkString('name', record.name);
    const osName = checkString('os', record.os);
    const appVersion = checkString('appVersion', record.appVersion, 64);
    const method = checkMethod(record.method);
    const now = this.#now();
    const pairedAt = record.pairedAt === undefined ? now : checkTime('pairedAt', record.pairedAt);
    const addresses = record.addresses === undefined ? undefined : checkAddresses(record.addresses);
    let keys: { tx: Uint8Array; rx: Uint8Array } | undefined;
    if (record.sessionKeys !== undefined) {
      keys = {
        tx: checkBytes('sessionKeys.tx', record.sessionKeys.tx, 32),
        rx: checkBytes('sessionKeys.rx', record.sessionKeys.rx, 32),
      };
    }
    const bond = record.bond === undefined ? undefined : checkBond(record.bond, now);
    const codeSessionId = record.codeSessionId === undefined ? undefined : checkBytes('codeSessionId', record.codeSessionId, 32);

    const { existed, device } = this.#write(() => {
      const old = this.#stmt(`SELECT * FROM devices WHERE device_id = ?`).get(deviceId) as DeviceRow | undefined;
      const clash = this.#stmt(`SELECT device_id FROM devices WHERE peer_id = ? AND device_id != ?`).get(peerId, deviceId);
      if (clash) throw new RegistryError('INVALID_INPUT', 'another device already has this peerId');
      const merged = old ? mergeMethods(old.method, method) : method;
      const params = {
        device_id: deviceId,
        peer_id: peerId,
        public_key: Buffer.from(publicKey),
        name,
        os: osName,
        app_version: appVersion,
        method: merged,
        paired_at: pairedAt,
        addresses: JSON.stringify(addresses ?? (old ? JSON.parse(old.addresses) : [])),
      };
      this.#stmt(
        `INSERT INTO devices(device_id, peer_id, public_key, name, os, app_version, method, paired_at, addresses)
         VALUES (@device_id, @peer_id, @public_key, @name, @os, @app_version, @method, @paired_at, @addresses)
         ON CONFLICT(device_id) DO UPDATE SET peer_id = excluded.peer_id, public_key = excluded.public_key,
           name = excluded.name, os = excluded.os, app_version = excluded.app_version, method = excluded.method,
           paired_at = excluded.paired_at, addresses = excluded.addresses`,
      ).run(params);
      if (keys) {
        this.#stmt(
          `INSERT INTO session_keys(device_id, tx, rx, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(device_id) DO UPDATE SET tx = excluded.tx, rx = excluded.rx, created_at = excluded.created_at`,
        ).run(deviceId, blob(keys.tx), blob(keys.rx), now);
      }
      if (bond) this.#putBond(bond, deviceId);
      if (codeSessionId) {
        // Codes live minutes; a month of history is plenty to catch a code typed again.
        this.#stmt(`DELETE FROM used_codes WHERE used_at < ?`).run(now - USED_CODE_RETENTION_MS);
        this.#stmt(`INSERT OR REPLACE INTO used_codes(session_id, device_id, device_name, used_at) VALUES (?, ?, ?, ?)`)
          .run(blob(codeSessionId), deviceId, name, now);
      }
      this.#stmt(`DELETE FROM revocations WHERE device_id = ?`).run(deviceId);
      // read back inside the transaction: what we return is exactly what was committed
      return { existed: old !== undefined, device: this.get(deviceId)! };
    });
    debug('%s device %s (%s)', existed ? 'updated' : 'added', deviceId, method);
    this.emit('change', { type: existed ? 'updated' : 'added', device });
    if (bond && device.bond) this.emit('change', { type: 'bond-saved', bond: device.bond, deviceId });
    return device;
  }

  /** Records when and where a device was last seen. */
  touch(deviceId: string, update: { addresses?: string[]; lastSeenAt?: number } = {}): PairedDevice {
    const addresses = update.addresses === undefined ? undefined : checkAddresses(update.addresses);
    const lastSeenAt = update.lastSeenAt === undefined ? this.#now() : checkTime('lastSeenAt', update.lastSeenAt);
    const device = this.#write(() => {
      const info = this.#stmt(`UPDATE devices SET last_seen_at = ?, addresses = coalesce(?, addresses) WHERE device_id = ?`)
        .run(lastSeenAt, addresses === undefined ? null : JSON.stringify(addresses), String(deviceId));
      if (info.changes === 0) throw notFound(deviceId);
      return this.get(deviceId)!;
    });
    this.emit('change', { type: 'updated', device });
    return device;
  }

  /**
   * Removes a device with its session keys and linked bond, and queues a revocation so the
   * peer can be told later (see pendingRevocations()). Returns what was removed, or undefined.
   */
  remove(deviceId: string): PairedDevice | undefined {
    const device = this.get(deviceId);
    if (!device) return undefined;
    const removed = this.#write(() => {
      const info = this.#stmt(`DELETE FROM devices WHERE device_id = ?`).run(device.deviceId);
      if (info.changes === 0) return false; // another process removed it meanwhile
      this.#stmt(
        `INSERT INTO revocations(device_id, peer_id, public_key, addresses, removed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(device_id) DO UPDATE SET removed_at = excluded.removed_at, addresses = excluded.addresses, notified_at = NULL`,
      ).run(device.deviceId, device.peerId, Buffer.from(device.publicKey), JSON.stringify(device.addresses), this.#now());
      return true;
    });
    if (!removed) return undefined;
    debug('removed device %s', device.deviceId);
    this.emit('change', { type: 'removed', deviceId: device.deviceId });
    if (device.bond) this.emit('change', { type: 'bond-removed', address: device.bond.address });
    return device;
  }

  /** Removed devices whose peers have not been told yet (for the network layer). */
  pendingRevocations(): PendingRevocation[] {
    return this.#read(() => {
      const rows = this.#stmt(`SELECT * FROM revocations WHERE notified_at IS NULL ORDER BY removed_at`)
        .all() as { device_id: string; peer_id: string; public_key: Buffer; addresses: string; removed_at: number }[];
      return rows.map((r) => ({
        deviceId: r.device_id,
        peerId: r.peer_id,
        publicKey: bytes(r.public_key),
        addresses: JSON.parse(r.addresses) as string[],
        removedAt: r.removed_at,
      }));
    });
  }

  /** Marks a revocation as delivered to the peer. */
  markRevocationNotified(deviceId: string, at: number = this.#now()): void {
    this.#write(() => {
      this.#stmt(`UPDATE revocations SET notified_at = ? WHERE device_id = ?`).run(at, String(deviceId));
    });
  }

  /** The pairing that already used the code with this public session id, if any (see PairingRecord.codeSessionId). */
  usedCode(sessionId: Uint8Array): UsedCode | undefined {
    const id = checkBytes('sessionId', sessionId, 32);
    return this.#read(() => {
      const row = this.#stmt(`SELECT device_id, device_name, used_at FROM used_codes WHERE session_id = ?`).get(blob(id)) as
        | { device_id: string; device_name: string; used_at: number }
        | undefined;
      return row === undefined ? undefined : { deviceId: row.device_id, deviceName: row.device_name, usedAt: row.used_at };
    });
  }

  /** True if this device was removed here (and not paired again since). */
  isRevoked(deviceId: string): boolean {
    return this.#read(() => this.#stmt(`SELECT 1 FROM revocations WHERE device_id = ?`).get(String(deviceId)) !== undefined);
  }

  // ---- BLE bonds ----

  /**
   * Saves a bond; with a deviceId it is linked to that (existing) device, replacing the
   * device's previous bond. Without one, an existing link is kept and a new bond stays BLE-only.
   */
  saveBond(bond: BondInput, deviceId?: string): StoredBond {
    const b = checkBond(bond, this.#now());
    const result = this.#write(() => {
      let link: string | null = null;
      if (deviceId !== undefined) {
        if (!this.#stmt(`SELECT 1 FROM devices WHERE device_id = ?`).get(String(deviceId))) throw notFound(deviceId);
        link = String(deviceId);
      } else {
        const old = this.#stmt(`SELECT device_id FROM ble_bonds WHERE address = ?`).get(b.address) as { device_id: string | null } | undefined;
        link = old?.device_id ?? null;
      }
      this.#putBond(b, link);
      let updated: PairedDevice | undefined;
      if (link) {
        const info = this.#stmt(`UPDATE devices SET method = 'both' WHERE device_id = ? AND method = 'network'`).run(link);
        if (info.changes > 0) updated = this.get(link);
      }
      return { link, updated };
    });
    const stored: StoredBond = result.link ? { ...b, deviceId: result.link } : { ...b };
    this.emit('change', result.link ? { type: 'bond-saved', bond: b, deviceId: result.link } : { type: 'bond-saved', bond: b });
    if (result.updated) this.emit('change', { type: 'updated', device: result.updated });
    return stored;
  }

  listBonds(): StoredBond[] {
    return this.#read(() => (this.#stmt(`SELECT * FROM ble_bonds ORDER BY created_at, address`).all() as BondRow[]).map(storedBond));
  }

  getBond(address: string): StoredBond | undefined {
    const a = normalizeBleAddress(address);
    return this.#read(() => {
      const row = this.#stmt(`SELECT * FROM ble_bonds WHERE address = ?`).get(a) as BondRow | undefined;
      return row && storedBond(row);
    });
  }

  /** Bonds whose peer gave us an IRK: what the SMP layer needs to resolve private addresses. */
  bondsWithIrk(): (StoredBond & { irk: Uint8Array })[] {
    return this.#read(() =>
      (this.#stmt(`SELECT * FROM ble_bonds WHERE irk IS NOT NULL ORDER BY created_at`).all() as BondRow[]).map(
        (r) => storedBond(r) as StoredBond & { irk: Uint8Array },
      ),
    );
  }

  /** Deletes a bond (a linked device stays, network-paired only). Returns false if there was none. */
  removeBond(address: string): boolean {
    const a = normalizeBleAddress(address);
    const result = this.#write(() => {
      const row = this.#stmt(`SELECT device_id FROM ble_bonds WHERE address = ?`).get(a) as { device_id: string | null } | undefined;
      if (!row) return undefined;
      this.#stmt(`DELETE FROM ble_bonds WHERE address = ?`).run(a);
      if (row.device_id) this.#stmt(`UPDATE devices SET method = 'network' WHERE device_id = ? AND method = 'both'`).run(row.device_id);
      return { deviceId: row.device_id };
    });
    if (!result) return false;
    this.emit('change', { type: 'bond-removed', address: a });
    if (result.deviceId) {
      const d = this.get(result.deviceId);
      if (d) this.emit('change', { type: 'updated', device: d });
    }
    return true;
  }

  // ---- changes made by other processes ----

  /**
   * Also emit 'change' for writes by OTHER processes (or other DeviceRegistry instances on the
   * same home), e.g. `pair remove` while an app runs: polls SQLite's PRAGMA data_version every
   * intervalMs (default 1000) and diffs what changed. Stops on close(), unwatch() or signal abort.
   */
  watch(opts: { intervalMs?: number; signal?: AbortSignal } = {}): void {
    if (this.#watch || opts.signal?.aborted) return;
    const timer = setInterval(() => this.#poll(), opts.intervalMs ?? 1000);
    timer.unref();
    this.#watch = { timer, version: this.#dataVersion(), ...this.#snapshot() };
    opts.signal?.addEventListener('abort', () => this.unwatch(), { once: true });
  }

  unwatch(): void {
    if (this.#watch) clearInterval(this.#watch.timer);
    this.#watch = undefined;
  }

  #dataVersion(): number {
    return this.#sql().pragma('data_version', { simple: true }) as number;
  }

  /** Cheap fingerprints of every device and bond row (no secrets kept: only lengths and times). */
  #snapshot(): Pick<WatchState, 'devices' | 'bonds'> {
    const devices = new Map<string, string>();
    for (const r of this.#stmt(
      `SELECT d.device_id AS id, d.peer_id, d.name, d.os, d.app_version, d.method, d.paired_at, d.last_seen_at, d.addresses,
              k.created_at AS keys_at, b.address AS bond, b.created_at AS bond_at
       FROM devices d LEFT JOIN session_keys k ON k.device_id = d.device_id LEFT JOIN ble_bonds b ON b.device_id = d.device_id`,
    ).all() as { id: string }[]) {
      devices.set(r.id, JSON.stringify(r));
    }
    const bonds = new Map<string, string>();
    for (const r of this.#stmt(
      `SELECT address, address_type, device_id, created_at, key_size, authenticated, secure_connections,
              length(irk), length(ltk), length(local_ltk), length(csrk), length(link_key) FROM ble_bonds`,
    ).all() as { address: string }[]) {
      bonds.set(r.address, JSON.stringify(r));
    }
    return { devices, bonds };
  }

  /** Diffs against the last snapshot; call inside a transaction or poll. Returns the events to emit. */
  #externalChanges(): RegistryChange[] {
    const w = this.#watch;
    if (!w) return [];
    const version = this.#dataVersion();
    if (version === w.version) return [];
    w.version = version;
    const next = this.#snapshot();
    const out: RegistryChange[] = [];
    for (const [id, sig] of next.devices) {
      const old = w.devices.get(id);
      if (old === sig) continue;
      const device = this.get(id);
      if (device) out.push({ type: old === undefined ? 'added' : 'updated', device });
    }
    for (const id of w.devices.keys()) if (!next.devices.has(id)) out.push({ type: 'removed', deviceId: id });
    for (const [address, sig] of next.bonds) {
      if (w.bonds.get(address) === sig) continue;
      const b = this.getBond(address);
      if (!b) continue;
      const { deviceId, ...bond } = b;
      out.push(deviceId ? { type: 'bond-saved', bond, deviceId } : { type: 'bond-saved', bond });
    }
    for (const address of w.bonds.keys()) if (!next.bonds.has(address)) out.push({ type: 'bond-removed', address });
    w.devices = next.devices;
    w.bonds = next.bonds;
    return out;
  }

  #poll(): void {
    if (!this.#db) return;
    let events: RegistryChange[];
    try {
      events = this.#externalChanges();
    } catch (err) {
      debug('watch: poll failed: %O', err);
      return;
    }
    for (const e of events) this.emit('change', e);
  }

  // ---- lifecycle ----

  /** Closes the database. Further calls throw CLOSED; closing twice is fine. */
  close(): void {
    const db = this.#db;
    if (!db) return;
    this.unwatch();
    this.#db = undefined;
    this.#statements.clear();
    try {
      db.close();
    } finally {
      this.removeAllListeners();
    }
  }

  // ---- internals ----

  #sql(): Database.Database {
    if (!this.#db) throw new RegistryError('CLOSED', 'the registry is closed');
    return this.#db;
  }

  /** Prepared statements are compiled once per connection and reused. */
  #stmt(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#sql().prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  #read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw sqliteError(this.dbPath, err);
    }
  }

  /** Runs fn in an IMMEDIATE transaction: takes the write lock up front so concurrent writers queue on busy_timeout. */
  #write<T>(fn: () => T): T {
    let external: RegistryChange[] = [];
    let t: T;
    try {
      t = this.#sql()
        .transaction(() => {
          // While watching: under the write lock, first pick up what others committed, so their
          // changes are reported as theirs and ours are not reported twice.
          external = this.#externalChanges();
          const result = fn();
          if (this.#watch) Object.assign(this.#watch, this.#snapshot());
          return result;
        })
        .immediate();
      tightenModes(this.dbPath);
    } catch (err) {
      for (const e of external) this.emit('change', e); // others' commits happened all the same
      throw sqliteError(this.dbPath, err);
    }
    for (const e of external) this.emit('change', e);
    return t;
  }

  #putBond(b: BleBond, deviceId: string | null): void {
    if (deviceId) this.#stmt(`DELETE FROM ble_bonds WHERE device_id = ? AND address != ?`).run(deviceId, b.address);
    this.#stmt(
      `INSERT INTO ble_bonds(address, address_type, device_id, irk, ltk, ediv, rand, local_ltk, local_ediv, local_rand,
         csrk, link_key, key_size, authenticated, secure_connections, created_at)
       VALUES (@address, @address_type, @device_id, @irk, @ltk, @ediv, @rand, @local_ltk, @local_ediv, @local_rand,
         @csrk, @link_key, @key_size, @authenticated, @secure_connections, @created_at)
       ON CONFLICT(address) DO UPDATE SET address_type = excluded.address_type, device_id = excluded.device_id,
         irk = excluded.irk, ltk = excluded.ltk, ediv = excluded.ediv, rand = excluded.rand, local_ltk = excluded.local_ltk,
         local_ediv = excluded.local_ediv, local_rand = excluded.local_rand, csrk = excluded.csrk, link_key = excluded.link_key,
         key_size = excluded.key_size, authenticated = excluded.authenticated,
         secure_connections = excluded.secure_connections, created_at = excluded.created_at`,
    ).run(bondParams(b, deviceId));
  }

  #hydrate(row: DeviceRow): PairedDevice {
    const keys = this.#stmt(`SELECT * FROM session_keys WHERE device_id = ?`).get(row.device_id) as SessionKeysRow | undefined;
    const bond = this.#stmt(`SELECT * FROM ble_bonds WHERE device_id = ?`).get(row.device_id) as BondRow | undefined;
    return deviceFromRow(row, keys, bond);
  }
}

interface WatchState {
  timer: NodeJS.Timeout;
  version: number;
  devices: Map<string, string>;
  bonds: Map<string, string>;
}

function storedBond(r: BondRow): StoredBond {
  const b: StoredBond = bondFromRow(r);
  if (r.device_id !== null) b.deviceId = r.device_id;
  return b;
}

function mergeMethods(a: PairingMethod, b: PairingMethod): PairingMethod {
  return a === b ? a : 'both';
}

function notFound(deviceId: string): RegistryError {
  return new RegistryError('NOT_FOUND', `no paired device with id ${JSON.stringify(String(deviceId))}`);
}

function osDescription(): string {
  return `${os.type()} ${os.release()} ${process.arch}`;
}
