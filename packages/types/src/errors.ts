/**
 * The one error catalogue. Every expected failure is an AppError with a code from here; the
 * edge (HTTP, website, CLI) maps it once. docs/errors.md is kept in sync by a test.
 */
export const errorCatalogue = {
  // 400 — invalid input
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  INVALID_NAMESPACE: { status: 400, message: 'The namespace name is not valid.' },
  INVALID_USERNAME: { status: 400, message: 'The username is not valid.' },
  RESERVED_NAME: { status: 400, message: 'That name is reserved.' },
  INVALID_PACKAGE_NAME: { status: 400, message: 'The package name is not valid.' },
  INVALID_VERSION: { status: 400, message: 'The version is not canonical semver.' },
  INVALID_DEPENDENCY: { status: 400, message: 'A dependency name or range is not valid.' },
  INVALID_PATH: { status: 400, message: 'A file path is not valid.' },
  DUPLICATE_PATH: { status: 400, message: 'Two files have the same path.' },
  INVALID_MULTIPART: { status: 400, message: 'The multipart body is malformed.' },
  INVALID_FIELD: { status: 400, message: 'A field of the request is not valid.' },
  INVALID_TAG: { status: 400, message: 'The dist-tag is not valid.' },
  INVALID_ADVISORY: { status: 400, message: 'A field of the security advisory is not valid.' },
  CANNOT_DELETE_LATEST: { status: 400, message: 'The latest tag cannot be deleted.' },
  INVALID_ALGORITHM: { status: 400, message: 'The hash algorithm is not supported.' },
  INVALID_DIGEST: { status: 400, message: 'The digest is not valid.' },
  INVALID_CURSOR: { status: 400, message: 'The pagination cursor is not valid.' },
  INVALID_LIMIT: { status: 400, message: 'The page size is not valid.' },
  INVALID_SESSION_ID: { status: 400, message: 'The login session id is not valid.' },
  INVALID_TOKEN_SCOPE: { status: 400, message: 'The token scope is not valid.' },
  TOO_MANY_DEPENDENCIES: { status: 400, message: 'The version has too many dependencies.' },
  TOO_MANY_FILES: { status: 400, message: 'The version has too many files.' },
  REMOTE_HOST: { status: 400, message: 'That namespace belongs to another host.' },
  LAST_MAINTAINER: { status: 400, message: 'The last maintainer cannot be removed.' },
  LAST_MEMBER: { status: 400, message: 'The last member cannot leave.' },
  INTEGRITY_MISMATCH: { status: 400, message: 'The content does not match its integrity.' },
  OAUTH_STATE_INVALID: { status: 400, message: 'The sign-in link is invalid, expired or already used; start again.' },
  CANNOT_LEAVE_OWN_NAMESPACE: { status: 400, message: 'A user cannot leave or be removed from their own user namespace.' },
  SYSTEM_NAMESPACE: { status: 400, message: 'System namespaces (legacy, abandonware) cannot be invited or joined.' },
  INVALID_STATUS: { status: 400, message: 'The status filter is not valid.' },
  INVALID_TARBALL: { status: 400, message: 'The tarball is corrupt or holds an entry that is not allowed.' },
  SEARCH_QUERY_EMPTY: { status: 400, message: 'The search query is empty.' },
  SEARCH_QUERY_TOO_LONG: { status: 400, message: 'The search query is too long.' },
  INVALID_PERIOD: { status: 400, message: 'The download period is not valid.' },
  INVALID_PROVENANCE: { status: 400, message: 'The provenance bundle is malformed or does not attest this tarball.' },
  // 401 / 403
  UNAUTHENTICATED: { status: 401, message: 'You must be signed in to do that.' },
  INVALID_TOKEN: { status: 401, message: 'The token is malformed, unknown, revoked or expired.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do that.' },
  INSUFFICIENT_SCOPE: { status: 403, message: 'The token does not have the scope for that.' },
  NOT_A_MEMBER: { status: 403, message: 'You are not a member of that namespace.' },
  NOT_A_MAINTAINER: { status: 403, message: 'You are not a maintainer of that package.' },
  NAMESPACE_IS_PRIVATE: { status: 409, message: 'The namespace is private, so all its packages are.' },
  CSRF_FAILED: { status: 403, message: 'The form has expired; reload the page and try again.' },
  SIGN_IN_FAILED: { status: 401, message: 'The username or password is not right.' },
  NOT_YOUR_ACCOUNT: { status: 403, message: 'Only that user can see or answer their invitations.' },
  OTP_REQUIRED: { status: 401, message: 'This operation requires a one-time password from your authenticator.' },
  OTP_INVALID: { status: 401, message: 'The one-time password is wrong, expired or already used.' },
  SECOND_FACTOR_REQUIRED: { status: 403, message: 'Two-factor authentication is required for that.' },
  PASSKEY_INVALID: { status: 401, message: 'The passkey could not be verified.' },
  PASSKEY_CHALLENGE_INVALID: { status: 401, message: 'The passkey challenge is unknown, expired or already used; try again.' },
  OIDC_TOKEN_INVALID: {
    status: 401,
    message: 'The OpenID Connect token is malformed, expired, for another audience, or from an issuer not trusted here.',
  },
  TRUSTED_PUBLISHER_MISMATCH: { status: 403, message: 'No trusted publisher of the package matches the OpenID Connect identity.' },
  // 404
  NOT_FOUND: { status: 404, message: 'Not found.' },
  PACKAGE_NOT_FOUND: { status: 404, message: 'The package does not exist.' },
  VERSION_NOT_FOUND: { status: 404, message: 'The version does not exist.' },
  NAMESPACE_NOT_FOUND: { status: 404, message: 'The namespace does not exist.' },
  PEER_NOT_CONFIGURED: { status: 404, message: 'That host is not one this registry federates with.' },
  USER_NOT_FOUND: { status: 404, message: 'The user does not exist.' },
  OBJECT_NOT_FOUND: { status: 404, message: 'The object does not exist.' },
  TAG_NOT_FOUND: { status: 404, message: 'The dist-tag does not exist.' },
  ADVISORY_NOT_FOUND: { status: 404, message: 'The security advisory does not exist.' },
  INVITATION_NOT_FOUND: { status: 404, message: 'The invitation does not exist.' },
  TOKEN_NOT_FOUND: { status: 404, message: 'The token does not exist.' },
  TEAM_NOT_FOUND: { status: 404, message: 'The team does not exist.' },
  LOGIN_SESSION_NOT_FOUND: { status: 404, message: 'The login session is unknown, expired or already used.' },
  PASSKEY_NOT_FOUND: { status: 404, message: 'You have no passkey with that id.' },
  PROVIDER_NOT_FOUND: { status: 404, message: 'That sign-in provider is not enabled here.' },
  TRUSTED_PUBLISHER_NOT_FOUND: { status: 404, message: 'The trusted publisher does not exist.' },
  ATTESTATIONS_NOT_FOUND: { status: 404, message: 'The version has no attestations.' },
  // 405 / 408 / 409 / 413 / 414 / 415 / 416 / 429 / 431
  METHOD_NOT_ALLOWED: { status: 405, message: 'That method is not allowed here.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time.' },
  VERSION_EXISTS: { status: 409, message: 'That version has already been published.' },
  PACKAGE_EXISTS: { status: 409, message: 'That package already exists.' },
  NAMESPACE_EXISTS: { status: 409, message: 'That namespace already exists.' },
  TEAM_EXISTS: { status: 409, message: 'That team already exists in the namespace.' },
  USER_EXISTS: { status: 409, message: 'That username is taken.' },
  PACKAGE_ABANDONED: { status: 409, message: 'The package has been abandoned.' },
  VERSION_YANKED: { status: 409, message: 'The version was yanked; a yank is final.' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state.' },
  SECOND_FACTOR_ALREADY_ENABLED: {
    status: 409,
    message: 'Two-factor authentication is already on; turn it off first to set up a new device.',
  },
  SECOND_FACTOR_NOT_ENABLED: { status: 409, message: 'Two-factor authentication is not on for this account.' },
  PASSKEY_EXISTS: { status: 409, message: 'That passkey is registered already.' },
  PASSKEY_LIMIT: { status: 409, message: 'This account has as many passkeys as it may have.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  URI_TOO_LONG: { status: 414, message: 'A part of the URL is too long.' },
  FILE_TOO_LARGE: { status: 413, message: 'A file is too large.' },
  VERSION_TOO_LARGE: { status: 413, message: 'The version is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The content type is not supported.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range cannot be served.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again later.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request line or headers are too large.' },
  // 5xx
  INTERNAL: { status: 500, message: 'Something went wrong on our side.' },
  UPSTREAM_UNAVAILABLE: { status: 502, message: 'The upstream registry could not be reached.' },
  PEER_UNREACHABLE: { status: 502, message: 'The origin registry of that package could not be reached.' },
  PEER_BAD_RESPONSE: { status: 502, message: 'The origin registry answered something that is not what was asked for.' },
  PEER_TOO_LARGE: { status: 502, message: 'The origin registry sent more than the limit for that response.' },
  PEER_BAD_SIGNATURE: { status: 502, message: 'A statement from the origin registry is not signed by one of its pinned keys.' },
  PEER_HASH_MISMATCH: { status: 502, message: 'Bytes from the origin registry do not match their hash.' },
  PEER_REPLACED_VERSION: {
    status: 502,
    message: 'The origin registry shows a different integrity for a version already seen; refused.',
  },
  PEER_TIMEOUT: { status: 504, message: 'The origin registry did not answer in time.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A backing service is unavailable; try again shortly.' },
  PROVIDER_UNAVAILABLE: { status: 502, message: 'The sign-in provider could not be reached or refused the sign-in.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface AppErrorOptions {
  message?: string;
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
  /** when a retry may succeed (rate limits, outages); the HTTP edge sends it as Retry-After */
  retryAfterSeconds?: number;
}

/** The one class for expected failures. Programmer errors stay plain Error. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message ?? errorCatalogue[code].message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.hint = options.hint;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export function appError(code: ErrorCode, message?: string, extra: Omit<AppErrorOptions, 'message'> = {}): AppError {
  return new AppError(code, { ...extra, ...(message === undefined ? {} : { message }) });
}
