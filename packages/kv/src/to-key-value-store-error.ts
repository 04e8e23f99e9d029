import { type AppError, appError } from '@entropic/types';

/** Redis replies that mean "not now" rather than "wrong command". */
const unavailableReply = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|OOM|NOREPLICAS)\b/;

export function keyValueStoreUnavailable(cause: unknown): AppError {
  return appError('SERVICE_UNAVAILABLE', 'The key-value store is unavailable.', { cause, retryAfterSeconds: 1 });
}

/**
 * Maps a failed Redis call: connection problems (offline, timed out, closed, retries exhausted)
 * become SERVICE_UNAVAILABLE; other Redis reply errors (WRONGTYPE, not an integer…) are bugs and
 * pass through unchanged.
 */
export function toKeyValueStoreError(error: unknown): Error {
  if (error instanceof Error && error.name === 'ReplyError' && !unavailableReply.test(error.message)) return error;
  return keyValueStoreUnavailable(error);
}
