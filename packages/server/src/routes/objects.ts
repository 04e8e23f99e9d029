import { Readable } from 'node:stream';
import type { BlobContent, BlobStore } from '@entropic/blobs';
import type { Principal } from '@entropic/core';
import { appError, type Integrity, isIntegrity, MAX_BATCH_OBJECTS, OBJECTS_BATCH_TYPE } from '@entropic/types';
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
  registerBatchRoute(app);
}

/** The JSON body names at most MAX_BATCH_OBJECTS integrities of ≤ 100 characters each. */
const BATCH_BODY_LIMIT = 128 * 1024;
/** Objects looked up (access verdict, then opened or read) ahead of the one being sent. */
const BATCH_LOOKAHEAD = 8;

/** The integrities a batch asks for: a JSON body `{"objects": ["sha512-…", …]}`, 1 to MAX_BATCH_OBJECTS of them. */
function parseBatch(body: unknown): Integrity[] {
  const objects = (body as { objects?: unknown } | null)?.objects;
  if (!Array.isArray(objects) || objects.length === 0 || objects.length > MAX_BATCH_OBJECTS) {
    throw appError('INVALID_FIELD', `"objects" must be an array of 1 to ${MAX_BATCH_OBJECTS} integrities.`);
  }
  return objects.map((integrity) => {
    if (typeof integrity !== 'string' || !integrity.startsWith('sha512-')) {
      throw appError('INVALID_ALGORITHM', `"${String(integrity).slice(0, 20)}" is not a sha512 integrity.`);
    }
    if (!isIntegrity(integrity)) throw appError('INVALID_DIGEST', 'The digest must be the 88-character base64 sha512 digest.');
    return integrity as Integrity;
  });
}

/**
 * The records of a batch, in the order asked: each object the caller may read, or a "missing"
 * record (an object only private packages reference reads as missing to outsiders, as on the
 * GET). Looks up a few objects ahead of the one being sent; a stopped answer closes what it opened.
 */
async function* batchRecords(
  app: FastifyInstance,
  blobs: BlobStore,
  principal: Principal | undefined,
  integrities: Integrity[],
): AsyncGenerator<Buffer> {
  // one access query for the whole batch (the verdicts are taken when the batch starts, as a GET takes its own)
  const verdicts = app.publicObjects.accessMany(principal, integrities);
  verdicts.catch(() => {});
  const lookup = async (integrity: Integrity, at: number): Promise<BlobContent | undefined> => {
    if ((await verdicts)[at] === 'denied') return undefined;
    return blobs.get(integrity, undefined, { maxInlineBytes: MAX_INLINE_BYTES });
  };
  const pending: Array<Promise<BlobContent | undefined>> = [];
  let next = 0;
  const fill = () => {
    while (next < integrities.length && pending.length < BATCH_LOOKAHEAD) {
      const found = lookup(integrities[next] as Integrity, next);
      next++;
      found.catch(() => {});
      pending.push(found);
    }
  };
  try {
    for (const integrity of integrities) {
      fill();
      const found = await (pending.shift() as Promise<BlobContent | undefined>);
      if (!found) {
        yield Buffer.from(`${integrity} -\n`);
        continue;
      }
      yield Buffer.from(`${integrity} ${found.size}\n`);
      if (found.bytes) yield found.bytes;
      else for await (const chunk of found.stream) yield chunk as Buffer;
    }
  } finally {
    for (const left of pending)
      left.then(
        (found) => found?.stream?.destroy(),
        () => {},
      );
  }
}

/**
 * `POST /objects/batch`: many objects in one answer (an install asks for hundreds of small
 * files). Streamed in constant memory; the client verifies every record against its integrity.
 */
function registerBatchRoute(app: FastifyInstance): void {
  const { blobs } = app.deps;
  app.post('/objects/batch', { bodyLimit: BATCH_BODY_LIMIT }, async (request, reply) => {
    const integrities = parseBatch(request.body);
    reply.header('cache-control', 'no-store').type(OBJECTS_BATCH_TYPE);
    return reply.send(Readable.from(batchRecords(app, blobs, request.principal, integrities), { objectMode: false }));
  });
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
