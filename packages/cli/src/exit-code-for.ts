import { ClientError } from '@entropic/client';

/** Stable exit codes: scripts may rely on them (documented in packages/cli/README.md). */
export const EXIT = {
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  INPUT: 3,
  AUTH: 4,
  FORBIDDEN: 5,
  NOT_FOUND: 6,
  CONFLICT: 7,
  NETWORK: 8,
  INTEGRITY: 9,
  LOCKFILE: 10,
  REJECTED: 11,
  SERVER: 12,
  SCRIPT: 13,
  /** `ds audit` found advisories at or above `--audit-level` */
  VULNERABLE: 14,
} as const;

const BY_CODE: Record<string, number> = {
  USAGE: EXIT.USAGE,
  UNKNOWN_COMMAND: EXIT.USAGE,
  INVALID_SPEC: EXIT.USAGE,
  INVALID_CONFIG: EXIT.INPUT,
  MANIFEST_NOT_FOUND: EXIT.INPUT,
  INVALID_MANIFEST: EXIT.INPUT,
  PRIVATE_PACKAGE: EXIT.INPUT,
  REGISTRY_MISMATCH: EXIT.INPUT,
  UNSAFE_PATH: EXIT.INTEGRITY,
  LAYOUT_CONFLICT: EXIT.INPUT,
  NOT_LOGGED_IN: EXIT.AUTH,
  LOGIN_EXPIRED: EXIT.AUTH,
  LOGIN_TIMEOUT: EXIT.AUTH,
  NO_MATCHING_VERSION: EXIT.NOT_FOUND,
  UNKNOWN_TAG: EXIT.NOT_FOUND,
  UNSUPPORTED_ENGINE: EXIT.NOT_FOUND,
  TOKEN_API_UNAVAILABLE: EXIT.NOT_FOUND,
  NETWORK_ERROR: EXIT.NETWORK,
  OFFLINE_MISS: EXIT.NETWORK,
  INVALID_RESPONSE: EXIT.SERVER,
  INTEGRITY_MISMATCH: EXIT.INTEGRITY,
  BAD_HOST_SIGNATURE: EXIT.INTEGRITY,
  REPLACED_VERSION: EXIT.INTEGRITY,
  UNKNOWN_ORIGIN: EXIT.INPUT,
  SCRIPT_FAILED: EXIT.SCRIPT,
  SCRIPT_NOT_FOUND: EXIT.NOT_FOUND,
  LOCKFILE_OUTDATED: EXIT.LOCKFILE,
  INVALID_LOCKFILE: EXIT.LOCKFILE,
};

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof ClientError)) return EXIT.UNEXPECTED;
  // `ds run` / `ds exec` exit with the script's own status, as npm does
  const passed = (error as { exitCode?: unknown }).exitCode;
  if (typeof passed === 'number' && Number.isInteger(passed) && passed > 0 && passed < 256) return passed;
  const byCode = BY_CODE[error.code];
  if (byCode !== undefined) return byCode;
  const status = error.status ?? 0;
  if (status === 401) return EXIT.AUTH;
  if (status === 403) return EXIT.FORBIDDEN;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  if (status >= 500) return EXIT.SERVER;
  if (status >= 400) return EXIT.REJECTED;
  return EXIT.UNEXPECTED;
}
