import { ClientError } from '@entropic/client';

/** Codes for failures the CLI detects itself (the registry's own codes come through ClientError too). */
export type CliErrorCode =
  | 'USAGE'
  | 'UNKNOWN_COMMAND'
  | 'INVALID_SPEC'
  | 'INVALID_CONFIG'
  | 'MANIFEST_NOT_FOUND'
  | 'INVALID_MANIFEST'
  | 'PRIVATE_PACKAGE'
  | 'REGISTRY_MISMATCH'
  | 'NOT_LOGGED_IN'
  | 'NO_MATCHING_VERSION'
  | 'UNKNOWN_TAG'
  | 'UNSUPPORTED_ENGINE'
  | 'LOCKFILE_OUTDATED'
  | 'INVALID_LOCKFILE'
  | 'OFFLINE_MISS'
  | 'UNSAFE_PATH'
  | 'LAYOUT_CONFLICT'
  | 'SCRIPT_FAILED'
  | 'SCRIPT_NOT_FOUND'
  | 'UNKNOWN_ORIGIN';

export function cliError(code: CliErrorCode, message: string, hint?: string, cause?: unknown): ClientError {
  return new ClientError(code, message, { ...(hint ? { hint } : {}), ...(cause ? { cause } : {}) });
}
