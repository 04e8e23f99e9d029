/**
 * The one error class for expected failures on the client side. `code` is either a code the
 * registry answered with (its catalogue, see @entropic/types) or one of the client's own codes.
 */
export type ClientErrorCode =
  | 'NETWORK_ERROR'
  | 'INVALID_RESPONSE'
  | 'INTEGRITY_MISMATCH'
  | 'LOGIN_TIMEOUT'
  | 'LOGIN_EXPIRED'
  | 'TOKEN_API_UNAVAILABLE';

export interface ClientErrorOptions {
  status?: number;
  hint?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class ClientError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ClientErrorCode | (string & {}), message: string, options: ClientErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ClientError';
    this.code = code;
    this.status = options.status;
    this.hint = options.hint;
    this.details = options.details;
  }
}

export function isClientError(error: unknown): error is ClientError {
  return error instanceof ClientError;
}
