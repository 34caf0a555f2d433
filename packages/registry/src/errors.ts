// Typed errors: callers branch on `code`, the CLI maps codes to exit codes.

export type RegistryErrorCode =
  | 'CORRUPT_DATABASE'
  | 'FOREIGN_DATABASE'
  | 'SCHEMA_TOO_NEW'
  | 'HOME_NOT_WRITABLE'
  | 'HOME_NOT_DIRECTORY'
  | 'KEY_FILE_PERMISSIONS'
  | 'CORRUPT_KEY_FILE'
  | 'NOT_FOUND'
  | 'AMBIGUOUS'
  | 'INVALID_INPUT'
  | 'CLOSED'
  | 'BUSY'
  | 'STORAGE';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  /** What the user can do about it, when there is something. */
  readonly hint?: string;
  /** The file or folder concerned, when there is one. */
  readonly path?: string;

  constructor(code: RegistryErrorCode, message: string, opts: { hint?: string; path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.hint !== undefined) this.hint = opts.hint;
    if (opts.path !== undefined) this.path = opts.path;
  }
}

export function isRegistryError(err: unknown, code?: RegistryErrorCode): err is RegistryError {
  return err instanceof RegistryError && (code === undefined || err.code === code);
}
