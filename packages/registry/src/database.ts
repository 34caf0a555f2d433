// Opening the SQLite file safely: look before writing, refuse what is not ours, then migrate.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import createDebug from 'debug';
import { RegistryError } from './errors.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema.js';

const debug = createDebug('pairkit:registry');
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export interface OpenDbOptions {
  busyTimeoutMs: number;
}

/**
 * Opens (creating if missing) the registry database. Nothing is written to an existing file
 * until it has been checked to be an intact pairkit database of a schema we know.
 */
export function openDatabase(file: string, opts: OpenDbOptions): Database.Database {
  precheckFile(file);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: opts.busyTimeoutMs });
  } catch (err) {
    throw sqliteError(file, err);
  }
  try {
    inspect(db, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL'); // a pairing that returned is on disk: both sides must agree
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    tightenModes(file);
    return db;
  } catch (err) {
    db.close();
    throw err instanceof RegistryError ? err : sqliteError(file, err);
  }
}

/** Refuses a file that does not even start like SQLite; creates a missing one 0600. */
function precheckFile(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      createEmpty(file);
      return;
    }
    if (code === 'ELOOP') throw new RegistryError('STORAGE', `${file} is a symbolic link; refusing to follow it`, { path: file });
    throw new RegistryError('STORAGE', `cannot read ${file} (${code ?? 'error'})`, { path: file, cause: err });
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new RegistryError('CORRUPT_DATABASE', `${file} is not a regular file`, { path: file });
    if (st.size === 0) return; // SQLite treats an empty file as a new database
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    if (n < 16 || !head.equals(SQLITE_MAGIC)) throw corrupt(file, 'it is not an SQLite database');
  } finally {
    fs.closeSync(fd);
  }
}

function createEmpty(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return; // another process made it first
    throw new RegistryError('HOME_NOT_WRITABLE', `cannot create ${file} (${code ?? 'error'})`, {
      path: file,
      cause: err,
      hint: 'choose a writable folder with --home DIR or PAIRKIT_HOME, or fix its permissions',
    });
  }
}

/** Read-only look at the file: ours, intact, and not from a newer pairkit? */
function inspect(db: Database.Database, file: string, integrity = true): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const objects = (db.prepare(`SELECT count(*) AS n FROM sqlite_schema`).get() as { n: number }).n;
  if (appId === 0 && version === 0 && objects === 0) return; // brand new
  if (appId !== APPLICATION_ID) {
    throw new RegistryError('FOREIGN_DATABASE', `${file} is an SQLite database that pairkit did not create; left untouched`, {
      path: file,
      hint: 'point --home / PAIRKIT_HOME at a pairkit folder, or move that file away',
    });
  }
  if (version > SCHEMA_VERSION) {
    throw new RegistryError(
      'SCHEMA_TOO_NEW',
      `${file} has schema version ${version}, newer than this pairkit understands (${SCHEMA_VERSION}); left untouched`,
      { path: file, hint: 'upgrade pairkit to a version that knows this schema' },
    );
  }
  if (!integrity) return;
  const check = db.pragma('quick_check', { simple: true }) as string;
  if (check !== 'ok') throw corrupt(file, `integrity check: ${check}`);
}

function migrate(db: Database.Database, file: string): void {
  const run = db.transaction(() => {
    // Re-read under the write lock: another process may have migrated meanwhile.
    inspect(db, file, false);
    const from = db.pragma('user_version', { simple: true }) as number;
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      debug('migrating %s to schema %d', file, m.version);
      db.exec(m.sql);
    }
    if (from < SCHEMA_VERSION) {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
  });
  run.immediate();
}

/** The db and its -wal/-shm hold keys: owner only, whatever the umask was. */
export function tightenModes(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      const st = fs.statSync(f);
      if ((st.mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function corrupt(file: string, why: string): RegistryError {
  return new RegistryError('CORRUPT_DATABASE', `${file} is corrupt (${why}); left untouched`, {
    path: file,
    hint: 'restore it from a backup, or move it away to start an empty registry',
  });
}

/**
 * Maps better-sqlite3 errors (which carry SQLITE_* codes) to registry errors. Anything else is
 * not a storage problem (a bug, or a RangeError because the CALLER's recursion used up the
 * stack just as it reached SQLite) and is returned unchanged: labelled STORAGE it would send
 * people hunting in the database for a fault that lives in the caller's stack trace.
 */
export function sqliteError(file: string, err: unknown): unknown {
  if (err instanceof RegistryError || !isStorageError(err)) return err;
  const code = err.code;
  const msg = err.message;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return corrupt(file, msg);
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    return new RegistryError('HOME_NOT_WRITABLE', `cannot write ${file}: ${msg}`, {
      path: file,
      cause: err,
      hint: 'choose a writable folder with --home DIR or PAIRKIT_HOME, or fix its permissions',
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new RegistryError('BUSY', `the registry ${file} stayed locked by another process: ${msg}`, {
      path: file,
      cause: err,
      hint: 'another pairkit process is writing; try again',
    });
  }
  return new RegistryError('STORAGE', `registry storage error on ${file}: ${msg}`, { path: file, cause: err });
}

/** better-sqlite3's SqliteError (SQLITE_* code) or a Node system error (file modes, fsync). */
function isStorageError(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error)) return false;
  const e = err as { code?: unknown; syscall?: unknown };
  return typeof e.code === 'string' && (e.code.startsWith('SQLITE_') || typeof e.syscall === 'string');
}
