import type { PackageRef } from '@entropic/core';
import { findNpmTarball, type MirroredTarball, versionOfTarballFile } from '@entropic/npm';
import { appError, type Integrity, LEGACY, parseVersion, truncate } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { etagMatches } from './etag-matches.ts';
import { type NameParams, type NpmContext, plainName, type ScopedParams, scopedName } from './npm-context.ts';
import { packageGroup } from './refs.ts';

/**
 * Tarballs are content-addressed and immutable: small ones are kept in memory by integrity, so a
 * hot tarball costs no database query and no file system round trips (bounded in bytes).
 */
const TARBALL_CACHE_BYTES = 16 * 1024 * 1024;
const TARBALL_CACHE_ITEM_BYTES = 1024 * 1024;

/**
 * `GET /:name/-/:file` and `GET /@scope/:name/-/:file`: a version's npm tarball (a `legacy` one is
 * fetched from the upstream once, verified and kept).
 */
export function registerNpmTarballRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { responseCache } = app;
  const { deps } = ctx;
  const tarballBytes = new LRUCache<string, Buffer>({ maxSize: TARBALL_CACHE_BYTES, sizeCalculation: (b) => Math.max(1, b.length) });

  /** The stored tarball's integrity, or a legacy tarball's first fetch. */
  async function lookUp(request: FastifyRequest, npmName: string, ref: PackageRef, version: string): Promise<string | FirstFetch> {
    let integrity: string | undefined;
    if (ref.namespace === LEGACY) {
      // HEAD is how `ds` asks for a version to be mirrored: it answers once the version is stored
      const durable = request.method === 'HEAD';
      const mirrored = await ctx.mirror.tarball(npmName, version, { durable, timing: request, stored: ctx.isStored(ref) });
      if (mirrored && mirrored.kind !== 'stored') return mirrored;
      integrity = mirrored?.integrity;
    } else {
      // a remote version is mirrored first (its document and files checked by hash), then built
      if (ref.host !== deps.host) await app.federation.prepareVersion(ref, version);
      integrity = await findNpmTarball(deps, { ref, version, build: ctx.buildTarball });
    }
    if (!integrity) throw appError('VERSION_NOT_FOUND', `The version "${npmName}@${version}" does not exist.`);
    return integrity;
  }

  async function sendTarball(request: FastifyRequest, reply: FastifyReply, npmName: string, file: string): Promise<FastifyReply> {
    ctx.mirror.noteRead();
    const version = versionOfTarballFile(npmName, file);
    if (!version) throw appError('NOT_FOUND', `"${truncate(file)}" is not a tarball of "${truncate(npmName)}".`);
    parseVersion(version);
    const ref = await ctx.resolve(npmName);
    if (!ctx.mayExist(npmName, ref)) return ctx.replyNotHere(reply, npmName, ref);
    if (!(await app.packageReads.mayRead(request, ref))) return ctx.replyNotHere(reply, npmName, ref);
    // version → tarball integrity never changes once known; kept in the package's cache group
    const group = packageGroup(ref);
    const key = `npm:tarball:${version}`;
    let integrity = responseCache.get(group, key)?.body.toString();
    // a download is a GET answered with the bytes (HEAD is `ds` asking for a mirror copy; a 304 sends nothing)
    const counted = request.method === 'GET' ? app.downloads : undefined;
    if (!integrity) {
      const found = await lookUp(request, npmName, ref, version);
      if (typeof found !== 'string') {
        counted?.count(ref, version);
        return sendFirstFetch(reply, found);
      }
      integrity = found;
      responseCache.set(group, key, { status: 200, body: Buffer.from(integrity), contentType: 'text/plain' });
    }
    const etag = `"${integrity}"`;
    tarballHeaders(reply, etag);
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    counted?.count(ref, version);
    const cached = tarballBytes.get(integrity);
    if (cached) return reply.send(cached);
    const found = await deps.blobs.get(integrity as Integrity);
    if (!found) throw appError('OBJECT_NOT_FOUND', 'The tarball is missing from storage.');
    if (found.size <= TARBALL_CACHE_ITEM_BYTES) {
      const chunks: Buffer[] = [];
      for await (const chunk of found.stream) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      if (bytes.length === found.size) tarballBytes.set(integrity, bytes);
      return reply.send(bytes);
    }
    reply.header('content-length', String(found.size));
    return reply.send(found.stream);
  }

  app.get<{ Params: NameParams & { file: string } }>('/:name/-/:file', (request, reply) =>
    sendTarball(request, reply, plainName(request.params), request.params.file),
  );
  app.get<{ Params: ScopedParams & { file: string } }>('/:scope/:name/-/:file', (request, reply) =>
    sendTarball(request, reply, scopedName(request.params), request.params.file),
  );
}

type FirstFetch = Exclude<MirroredTarball, { kind: 'stored' }>;

function tarballHeaders(reply: FastifyReply, etag: string | undefined): void {
  if (etag) reply.header('etag', etag);
  reply.header('cache-control', 'public, max-age=31536000, immutable').type('application/octet-stream');
}

/**
 * A legacy tarball fetched for the first time: the upstream's bytes as they arrive (the mirror
 * withholds the last chunk until they are verified; a failure aborts the response), or the
 * verified bytes of a fetch another request started.
 */
function sendFirstFetch(reply: FastifyReply, mirrored: FirstFetch): FastifyReply {
  if (mirrored.kind === 'bytes') {
    tarballHeaders(reply, `"${mirrored.integrity}"`);
    return reply.send(mirrored.bytes);
  }
  tarballHeaders(reply, mirrored.integrity ? `"${mirrored.integrity}"` : undefined);
  if (mirrored.size !== undefined) reply.header('content-length', String(mirrored.size));
  return reply.send(mirrored.stream);
}
