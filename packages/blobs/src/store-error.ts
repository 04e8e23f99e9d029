import { type AppError, appError, isAppError } from '@entropic/types';

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** The file (or a directory on its path) does not exist: a missing object, not a fault. */
export function isMissing(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function hasErrnoCode(error: unknown): boolean {
  return errnoCode(error) !== undefined;
}

/**
 * Maps a system error (EACCES, ENOSPC, EIO…) to SERVICE_UNAVAILABLE, keeping it as the cause;
 * the message names the code only, never a path. AppErrors and programmer errors pass through.
 */
export function storeError(error: unknown): AppError | unknown {
  if (isAppError(error)) return error;
  const code = errnoCode(error);
  if (code === undefined) return error;
  return appError('SERVICE_UNAVAILABLE', `The blob storage failed (${code}).`, { cause: error });
}

/** Runs an fs operation, mapping its system errors with storeError. */
export async function io<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw storeError(error);
  }
}

export function corruptObject(): AppError {
  return appError('INTERNAL', 'A stored object is corrupt.');
}
