// Where pairkit keeps its files, and making sure that folder is safe to use.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import createDebug from 'debug';
import { RegistryError } from './errors.js';

const debug = createDebug('pairkit:registry');

export interface HomeOptions {
  /** Explicit folder (the CLI's `--home DIR`); wins over everything else. */
  home?: string;
  /** Environment to read PAIRKIT_HOME / XDG_DATA_HOME / HOME from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Picks the data folder without touching the disk. */
export function homePath(opts: HomeOptions = {}): string {
  const env = opts.env ?? process.env;
  if (opts.home) return path.resolve(opts.home);
  if (env.PAIRKIT_HOME) return path.resolve(env.PAIRKIT_HOME);
  if (env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)) return path.join(env.XDG_DATA_HOME, 'pairkit');
  const userHome = env.HOME || os.homedir();
  return path.join(userHome, '.local', 'share', 'pairkit');
}

/**
 * Resolves the data folder, creates it 0700 if missing, and refuses one that is a file or
 * that we cannot write. An existing folder we own with looser permissions is tightened to 0700.
 */
export function resolveHome(opts: HomeOptions = {}): string {
  const dir = homePath(opts);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw homeError(dir, err);
  }
  if (st && !st.isDirectory()) {
    throw new RegistryError('HOME_NOT_DIRECTORY', `pairkit home ${dir} exists but is not a folder`, {
      path: dir,
      hint: 'choose another folder with --home DIR or PAIRKIT_HOME, or move that file away',
    });
  }
  if (!st) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      debug('created home %s', dir);
    } catch (err) {
      throw homeError(dir, err);
    }
    st = fs.statSync(dir);
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK | fs.constants.R_OK);
  } catch (err) {
    throw homeError(dir, err);
  }
  const uid = process.getuid?.();
  if ((st.mode & 0o077) !== 0 && (uid === undefined || st.uid === uid)) {
    try {
      fs.chmodSync(dir, 0o700);
      debug('tightened %s to 0700', dir);
    } catch (err) {
      throw homeError(dir, err);
    }
  }
  return dir;
}

function homeError(dir: string, cause: unknown): RegistryError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new RegistryError('HOME_NOT_DIRECTORY', `pairkit home ${dir} cannot be a folder: part of that path is a file`, {
      path: dir,
      cause,
      hint: 'choose another folder with --home DIR or PAIRKIT_HOME',
    });
  }
  return new RegistryError('HOME_NOT_WRITABLE', `pairkit home ${dir} is not writable (${code ?? 'error'})`, {
    path: dir,
    cause,
    hint: 'choose a writable folder with --home DIR or PAIRKIT_HOME, or fix its permissions',
  });
}
