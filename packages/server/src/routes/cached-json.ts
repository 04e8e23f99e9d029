import { isAppError } from '@entropic/types';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedResponse } from '../response-cache.ts';
import { etagMatches } from './etag-matches.ts';

const CACHE_CONTROL = 'public, max-age=10';
const JSON_TYPE = 'application/json; charset=utf-8';

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
      const value = await compute();
      entry = cache.set(group, key, { status: 200, body: Buffer.from(JSON.stringify(value)), contentType: JSON_TYPE });
    } catch (error) {
      if (!isAppError(error) || !cacheableErrors.includes(error.code)) throw error;
      const body = { message: error.message, code: error.code };
      entry = cache.set(group, key, { status: error.status, body: Buffer.from(JSON.stringify(body)), contentType: JSON_TYPE });
    }
  }
  if (entry.status === 200) {
    reply.header('etag', entry.etag).header('cache-control', CACHE_CONTROL);
    if (etagMatches(request.headers['if-none-match'], entry.etag)) return reply.code(304).send();
  }
  return reply.code(entry.status).type(entry.contentType).send(entry.body);
}
