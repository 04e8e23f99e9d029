import { type AppError, appError, isAppError } from '@entropic/types';
import { storeError } from './store-error.ts';

interface ServiceError {
  name: string;
  $metadata?: { httpStatusCode?: number };
}

function serviceError(error: unknown): ServiceError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as Partial<ServiceError>;
  return typeof candidate.name === 'string' && typeof candidate.$metadata === 'object' ? (candidate as ServiceError) : undefined;
}

/** The HTTP status of an S3 error response (undefined for network errors and anything else). */
export function s3Status(error: unknown): number | undefined {
  return serviceError(error)?.$metadata?.httpStatusCode;
}

/** A missing key: GetObject's NoSuchKey, HeadObject's bare 404. */
export function isS3Missing(error: unknown): boolean {
  const service = serviceError(error);
  return service !== undefined && (service.name === 'NoSuchKey' || service.name === 'NotFound' || s3Status(error) === 404);
}

const NETWORK_ERRORS = new Set(['TimeoutError', 'AbortError', 'RequestTimeout']);

/**
 * S3 failures (service errors, network errors, timeouts) become SERVICE_UNAVAILABLE with the
 * error as cause; the message names the S3 error code only, never the bucket or a key.
 * AppErrors and programmer errors pass through.
 */
export function s3Error(error: unknown): AppError | unknown {
  if (isAppError(error)) return error;
  const service = serviceError(error);
  if (service !== undefined) {
    const status = service.$metadata?.httpStatusCode;
    return appError('SERVICE_UNAVAILABLE', `The blob storage failed (S3 ${service.name}${status ? ` ${status}` : ''}).`, {
      cause: error,
    });
  }
  const mapped = storeError(error); // ECONNREFUSED, ECONNRESET…
  if (mapped !== error) return mapped;
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && NETWORK_ERRORS.has(name)) {
    return appError('SERVICE_UNAVAILABLE', `The blob storage failed (S3 ${name}).`, { cause: error });
  }
  return error;
}

/** Runs an S3 call, mapping its failures with s3Error. */
export async function s3<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw s3Error(error);
  }
}
