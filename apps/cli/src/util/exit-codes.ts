// Exit codes of `pair` (documented in apps/cli/README.md). Scripts rely on them: never renumber.
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  PAIRING_FAILED: 4,
  TIMEOUT: 5,
  STORAGE: 6,
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
