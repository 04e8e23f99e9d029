import { type AppError, isAppError } from '@entropic/types';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorShape, errorBody } from '../plugins/errors.ts';
import type { CachedResponse } from '../response-cache.ts';
import { etagMatches } from './etag-matches.ts';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** A response ready to cache: the value serialised once. */
export function jsonResponse(value: unknown, contentType = JSON_TYPE, status = 200): Omit<CachedResponse, 'etag'> {
  return { status, body: Buffer.from(JSON.stringify(value)), contentType };
}

/**
 * The cacheable answer of an expected failure, shaped by the one error mapping (`withHint`: the
 * error's hint travels too; `shape`: `npm` on npm routes).
 */
export function errorResponse(error: AppError, withHint = false, shape: ErrorShape = 'entropic'): Omit<CachedResponse, 'etag'> {
  const { hint, ...body } = errorBody(error, shape);
  return jsonResponse(withHint && hint ? { ...body, hint } : body, JSON_TYPE, error.status);
}

export interface SendCachedOptions {
  /** a `Vary` header sent with every 200 and 304 */
  vary?: string;
  /** a `Content-Encoding` of the cached body (sent with the body only) */
  encoding?: string;
}

/**
 * Sends a cached response: a 200 with its ETag and a short public cache lifetime, or a `304`
 * when `If-None-Match` matches with the weak comparison; any other status as it is.
 */
export function sendCachedResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  entry: CachedResponse,
  options: SendCachedOptions = {},
): FastifyReply {
  if (entry.status === 200) {
    // how long a client may reuse the answer without asking (DOCUMENT_MAX_AGE_SECONDS); then it revalidates with the ETag
    reply.header('etag', entry.etag).header('cache-control', `public, max-age=${request.server.deps.config.documentMaxAgeSeconds}`);
    if (options.vary) reply.header('vary', options.vary);
    if (etagMatches(request.headers['if-none-match'], entry.etag)) return reply.code(304).send();
    if (options.encoding) reply.header('content-encoding', options.encoding);
  }
  return reply.code(entry.status).type(entry.contentType).send(entry.body);
}

/**
 * Serves a JSON read from the pre-serialised response cache, computing it once on a miss.
 * Not-found answers of the package are cached too (a publish invalidates them).
 */
export async function sendCachedJson(
  request: FastifyRequest,
  reply: FastifyReply,
  group: string,
  key: string,
  compute: () => Promise<unknown>,
  cacheableErrors: readonly string[] = ['PACKAGE_NOT_FOUND', 'VERSION_NOT_FOUND'],
): Promise<FastifyReply> {
  const cache = request.server.responseCache;
  let entry: CachedResponse | undefined = cache.get(group, key);
  if (!entry) {
    try {
      entry = cache.set(group, key, jsonResponse(await compute()));
    } catch (error) {
      if (!isAppError(error) || !cacheableErrors.includes(error.code)) throw error;
      entry = cache.set(group, key, errorResponse(error));
    }
  }
  return sendCachedResponse(request, reply, entry);
}
