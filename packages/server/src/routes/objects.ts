import { appError, type Integrity, isIntegrity } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import parseRange from 'range-parser';
import { etagMatches } from './etag-matches.ts';

/** Objects up to this size are read into one buffer (one open, one read); larger ones are streamed. */
const MAX_INLINE_BYTES = 64 * 1024;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Content-addressed bytes: immutable, so cached forever; streamed in constant memory. */
export function registerObjectRoutes(app: FastifyInstance): void {
  const { blobs } = app.deps;
  const handler = async (request: FastifyRequest<{ Params: { algo: string; '*': string } }>, reply: FastifyReply) => {
    const integrity = parseObjectAddress(request.params.algo, request.params['*']);
    // an object only private packages reference reads as one that does not exist to outsiders
    const access = await app.publicObjects.access(request.principal, integrity);
    if (access === 'denied') throw appError('OBJECT_NOT_FOUND', 'No object has that digest.');
    request.privateRead = access === 'private';
    const { headers } = request;
    if (request.method === 'GET' && headers.range === undefined && headers['if-none-match'] === undefined) {
      // The common case: the whole object, found and sized by the same open (no separate stat).
      const found = await blobs.get(integrity, undefined, { maxInlineBytes: MAX_INLINE_BYTES });
      if (!found) throw appError('OBJECT_NOT_FOUND', 'No object has that digest.');
      reply.headers({
        etag: `"${integrity}"`,
        'cache-control': IMMUTABLE,
        'accept-ranges': 'bytes',
        'content-type': 'application/octet-stream',
        'content-length': String(found.size),
      });
      return reply.send(found.bytes ?? found.stream);
    }
    const info = await blobs.stat(integrity);
    if (!info) throw appError('OBJECT_NOT_FOUND', 'No object has that digest.');
    const etag = `"${integrity}"`;
    reply.header('etag', etag).header('cache-control', IMMUTABLE).header('accept-ranges', 'bytes').type('application/octet-stream');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    let range: { start: number; end: number } | undefined;
    const rangeHeader = request.headers.range;
    if (rangeHeader && (!request.headers['if-range'] || request.headers['if-range'] === etag)) {
      const parsed = parseRange(info.size, rangeHeader, { combine: true });
      if (parsed === -1) {
        reply.header('content-range', `bytes */${info.size}`);
        throw appError('RANGE_NOT_SATISFIABLE');
      }
      if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1 && parsed[0]) range = parsed[0];
    }
    const length = range ? range.end - range.start + 1 : info.size;
    reply.header('content-length', String(length));
    if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
    if (request.method === 'HEAD') return reply.send();
    const found = await blobs.get(integrity, range);
    if (!found) throw appError('OBJECT_NOT_FOUND', 'No object has that digest.');
    return reply.send(found.stream);
  };
  // HEAD explicitly: Fastify's automatic HEAD route would answer an empty send with Content-Length: 0.
  app.route({ method: ['GET', 'HEAD'], url: '/objects/object/:algo/*', handler });
}

function parseObjectAddress(algo: string, rawDigest: string): Integrity {
  if (algo !== 'sha512') throw appError('INVALID_ALGORITHM', `"${algo.slice(0, 20)}" is not supported; use sha512.`);
  let digest = rawDigest;
  if (digest.includes('%')) {
    try {
      digest = decodeURIComponent(digest);
    } catch {
      throw appError('INVALID_DIGEST');
    }
  }
  const integrity = `sha512-${digest}`;
  if (!isIntegrity(integrity)) throw appError('INVALID_DIGEST', 'The digest must be the 88-character base64 sha512 digest.');
  return integrity as Integrity;
}
