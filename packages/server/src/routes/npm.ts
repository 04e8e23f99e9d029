import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import {
  authorizePackageWrite,
  findPackage,
  listDistTags,
  type PackageRef,
  removeDistTag,
  requireWriter,
  setDistTag,
} from '@entropic/core';
import {
  createHttpUpstreamRegistry,
  findNpmTarball,
  getLocalPackuments,
  type MirroredTarball,
  NpmMirror,
  type Packuments,
  putNpmPackage,
  resolveNpmName,
  unpublishNpmPackage,
  versionOfTarballFile,
} from '@entropic/npm';
import {
  type AppError,
  appError,
  type Integrity,
  isAppError,
  LEGACY,
  type NamespaceName,
  parsePackageName,
  parseVersion,
  truncate,
} from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { CachedResponse } from '../response-cache.ts';
import { packageGroup } from './refs.ts';

const ABBREVIATED_TYPE = 'application/vnd.npm.install-v1+json';
const JSON_TYPE = 'application/json; charset=utf-8';
/** First path segments that are routes of the registry, never npm names (nothing is fetched upstream for them). */
const ROUTE_WORDS = new Set([
  '-',
  'ping',
  'packages',
  'objects',
  'auth',
  'www',
  'namespaces',
  'users',
  'static',
  'api',
  'admin',
  'favicon.ico',
  'robots.txt',
]);
const SCOPED_RE = /^@([^/]+)\/([^/]+)$/;
/**
 * Tarballs are content-addressed and immutable: small ones are kept in memory by integrity, so a
 * hot tarball costs no database query and no file system round trips (bounded in bytes).
 */
const TARBALL_CACHE_BYTES = 16 * 1024 * 1024;
const TARBALL_CACHE_ITEM_BYTES = 1024 * 1024;

type NameParams = { name: string };
type ScopedParams = { scope: string; name: string };

/**
 * The npm registry protocol over Entropic packages: packuments, tarballs, publish, dist-tags,
 * deprecate (a message with the version), unpublish (as yank), and the `legacy` read-through
 * mirror. `@ns/name` is the package `ns@<this host>/name` when `ns` is a namespace here; every
 * other name is `legacy`.
 */
export function registerNpmRoutes(app: FastifyInstance): void {
  const { deps, responseCache } = app;
  const base = deps.config.externalUrl;
  const allowlist = deps.config.allowlistFile ? readAllowlist(deps.config.allowlistFile) : undefined;
  const legacyRef = (name: string): PackageRef => ({ namespace: LEGACY, host: deps.host, name: name as PackageRef['name'] });
  const mirror = new NpmMirror(deps, deps.config.legacyUpstream ? createHttpUpstreamRegistry(deps.config.legacyUpstream) : undefined, {
    ttlSeconds: deps.config.legacyTtlSeconds,
    allowlist,
    onChange: (name) => void responseCache.invalidate(packageGroup(legacyRef(name))),
    onError: (error, name) => app.log.warn({ err: error, name }, 'legacy mirror: revalidation failed'),
    log: app.log,
  });

  // first fetches store after their response: a shutdown waits for them (the database closes after)
  app.addHook('onClose', () => mirror.drain());
  const names = app.packageNames;
  const tarballBytes = new LRUCache<string, Buffer>({ maxSize: TARBALL_CACHE_BYTES, sizeCalculation: (b) => Math.max(1, b.length) });
  /**
   * npm name → package, from the in-memory name index. A scope the index does not know is the
   * legacy package of that name; when that would send the name upstream, the database confirms
   * first (a namespace created a moment ago in another process must still win over the upstream).
   */
  async function resolve(npmName: string): Promise<PackageRef> {
    const scoped = SCOPED_RE.exec(npmName);
    if (scoped && scoped[1] !== LEGACY && names.hasNamespace(scoped[1] as string)) {
      const namespace = scoped[1] as NamespaceName;
      return { namespace, host: deps.host, name: parsePackageName(scoped[2] as string, namespace) };
    }
    if (scoped && mirror.isAllowed(npmName)) return resolveNpmName(deps.repos, deps.host, npmName);
    return legacyRef(parsePackageName(npmName, LEGACY));
  }

  /** Why a name that is not stored here is not served. */
  function notHere(npmName: string, ref: PackageRef): AppError {
    if (ref.namespace !== LEGACY) return appError('PACKAGE_NOT_FOUND', `The package "${truncate(npmName)}" does not exist.`);
    const why = !mirror.enabled
      ? 'the legacy mirror is off (LEGACY_UPSTREAM is not set)'
      : mirror.isAllowed(npmName)
        ? 'the upstream registry does not have it'
        : 'it is not on the mirror allowlist';
    return appError('PACKAGE_NOT_FOUND', `The package "${truncate(npmName)}" is not here: ${why}.`);
  }

  /** Unknown names are answered from memory: no query, nothing cached, nothing evicted. */
  function assertMayExist(npmName: string, ref: PackageRef): void {
    if (names.hasPackage(ref)) return;
    if (ref.namespace === LEGACY && mirror.isAllowed(npmName)) return;
    throw notHere(npmName, ref);
  }

  async function computePackuments(npmName: string, ref: PackageRef): Promise<Packuments> {
    if (ref.namespace !== LEGACY) return getLocalPackuments(deps, ref, npmName, base);
    const found = await mirror.packuments(npmName, base);
    if (!found) throw notHere(npmName, ref);
    return found;
  }

  function storePackuments(group: string, packuments: Packuments, abbreviated: boolean): CachedResponse {
    const full = responseCache.set(group, 'npm:full', {
      status: 200,
      body: Buffer.from(JSON.stringify(packuments.full)),
      contentType: JSON_TYPE,
    });
    const abbr = responseCache.set(group, 'npm:abbreviated', {
      status: 200,
      body: Buffer.from(JSON.stringify(packuments.abbreviated)),
      contentType: `${ABBREVIATED_TYPE}; charset=utf-8`,
    });
    return abbreviated ? abbr : full;
  }

  async function sendPackument(request: FastifyRequest, reply: FastifyReply, npmName: string): Promise<FastifyReply> {
    const abbreviated = (request.headers.accept ?? '').includes(ABBREVIATED_TYPE);
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    const ref = await resolve(npmName);
    assertMayExist(npmName, ref);
    const group = packageGroup(ref);
    const plainKey = abbreviated ? 'npm:abbreviated' : 'npm:full';
    const key = gzip ? `${plainKey}:gzip` : plainKey;
    let entry: CachedResponse | undefined = responseCache.get(group, key);
    if (!entry) {
      // A local package that does not exist: its 404 is cached too (a publish invalidates the group).
      let missing = ref.namespace === LEGACY ? undefined : responseCache.get(group, 'npm:missing');
      let plain = missing ? undefined : responseCache.get(group, plainKey);
      if (!plain && !missing) {
        try {
          plain = storePackuments(group, await computePackuments(npmName, ref), abbreviated);
        } catch (error) {
          if (ref.namespace === LEGACY || !isAppError(error) || error.code !== 'PACKAGE_NOT_FOUND') throw error;
          const body = { message: error.message, code: error.code, ...(error.hint ? { hint: error.hint } : {}) };
          missing = responseCache.set(group, 'npm:missing', {
            status: error.status,
            body: Buffer.from(JSON.stringify(body)),
            contentType: JSON_TYPE,
          });
        }
      }
      if (missing) return reply.code(missing.status).type(missing.contentType).send(missing.body);
      if (!plain) throw appError('INTERNAL');
      entry = gzip ? responseCache.set(group, key, { ...plain, body: gzipSync(plain.body, { level: 6 }) }) : plain;
    }
    reply.header('etag', entry.etag).header('cache-control', 'public, max-age=10').header('vary', 'Accept, Accept-Encoding');
    if (request.headers['if-none-match'] === entry.etag) return reply.code(304).send();
    if (gzip) reply.header('content-encoding', 'gzip');
    return reply.code(200).type(entry.contentType).send(entry.body);
  }

  async function sendTarball(request: FastifyRequest, reply: FastifyReply, npmName: string, file: string): Promise<FastifyReply> {
    const version = versionOfTarballFile(npmName, file);
    if (!version) throw appError('NOT_FOUND', `"${truncate(file)}" is not a tarball of "${truncate(npmName)}".`);
    parseVersion(version);
    const ref = await resolve(npmName);
    assertMayExist(npmName, ref);
    // version → tarball integrity never changes once known; kept in the package's cache group
    const group = packageGroup(ref);
    const key = `npm:tarball:${version}`;
    let integrity = responseCache.get(group, key)?.body.toString();
    if (!integrity) {
      let mirrored: MirroredTarball | undefined;
      if (ref.namespace === LEGACY) {
        // HEAD is how `ds` asks for a version to be mirrored: it answers once the version is stored
        mirrored = await mirror.tarball(npmName, version, { durable: request.method === 'HEAD' });
        if (mirrored && mirrored.kind !== 'stored') return sendFirstFetch(reply, mirrored);
        integrity = mirrored?.integrity;
      } else {
        const pkg = await findPackage(deps.repos, ref, deps.host);
        if (pkg) integrity = await findNpmTarball(deps, pkg.id, npmName, version);
      }
      if (!integrity) throw appError('VERSION_NOT_FOUND', `The version "${npmName}@${version}" does not exist.`);
      responseCache.set(group, key, { status: 200, body: Buffer.from(integrity), contentType: 'text/plain' });
    }
    const etag = `"${integrity}"`;
    tarballHeaders(reply, etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
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

  function scopedName(params: ScopedParams): string {
    if (!params.scope.startsWith('@') || params.scope.length < 2)
      throw appError('NOT_FOUND', `No route for /${truncate(`${params.scope}/${params.name}`)}.`);
    return `${params.scope}/${params.name}`;
  }
  function plainName(params: NameParams): string {
    if (ROUTE_WORDS.has(params.name)) throw appError('NOT_FOUND', `No route for /${params.name}.`);
    return params.name;
  }

  app.get<{ Params: NameParams }>('/:name', (request, reply) => sendPackument(request, reply, plainName(request.params)));
  app.get<{ Params: ScopedParams }>('/:scope/:name', (request, reply) => sendPackument(request, reply, scopedName(request.params)));
  app.get<{ Params: NameParams & { file: string } }>('/:name/-/:file', (request, reply) =>
    sendTarball(request, reply, plainName(request.params), request.params.file),
  );
  app.get<{ Params: ScopedParams & { file: string } }>('/:scope/:name/-/:file', (request, reply) =>
    sendTarball(request, reply, scopedName(request.params), request.params.file),
  );

  // Writes. A publish body carries the tarball in base64: allow for it beyond the 1 MiB default.
  const bodyLimit = Math.min(Math.ceil(deps.limits.maxVersionBytes * 1.4) + 1024 * 1024, 500 * 1024 * 1024);
  const invalidate = (ref: PackageRef) => responseCache.invalidate(packageGroup(ref));

  app.put<{ Params: NameParams }>('/:name', { bodyLimit }, async (request, reply) => {
    const npmName = plainName(request.params);
    const result = await putNpmPackage(deps, request.principal, npmName, request.body);
    await invalidate(await resolve(npmName));
    return reply.code(result.kind === 'published' ? 201 : 200).send({ ok: true, id: npmName });
  });
  app.put<{ Params: NameParams & { rev: string } }>('/:name/-rev/:rev', { bodyLimit: 16 * 1024 * 1024 }, async (request) => {
    const npmName = plainName(request.params);
    await putNpmPackage(deps, request.principal, npmName, request.body, { removeMissing: true });
    await invalidate(await resolve(npmName));
    return { ok: true, id: npmName };
  });
  app.delete<{ Params: NameParams & { rev: string } }>('/:name/-rev/:rev', async (request) => {
    const npmName = plainName(request.params);
    await unpublishNpmPackage(deps, request.principal, npmName);
    await invalidate(await resolve(npmName));
    return { ok: true, id: npmName };
  });
  // npm deletes the tarball after unpublishing a version: the version is yanked, its files stay.
  const deleteTarball = async (request: FastifyRequest, npmName: string) => {
    const ref = await resolve(npmName);
    await authorizePackageWrite(deps.repos, requireWriter(request.principal), ref, deps.host);
    return { ok: true };
  };
  app.delete<{ Params: NameParams & { file: string; rev: string } }>('/:name/-/:file/-rev/:rev', (request) =>
    deleteTarball(request, plainName(request.params)),
  );
  app.delete<{ Params: ScopedParams & { file: string; rev: string } }>('/:scope/:name/-/:file/-rev/:rev', (request) =>
    deleteTarball(request, scopedName(request.params)),
  );

  app.get('/-/ping', async () => ({}));

  async function localRef(npmName: string): Promise<PackageRef> {
    const ref = await resolve(npmName);
    if (ref.namespace === LEGACY)
      throw appError('PACKAGE_NOT_FOUND', `"${npmName}" is a legacy package; its dist-tags come from the upstream.`);
    return ref;
  }
  app.get<{ Params: NameParams }>('/-/package/:name/dist-tags', async (request) => {
    const ref = await resolve(request.params.name);
    assertMayExist(request.params.name, ref);
    if (ref.namespace === LEGACY) {
      const found = await mirror.packuments(request.params.name, base);
      if (!found) throw appError('PACKAGE_NOT_FOUND', `The package "${request.params.name}" does not exist.`);
      return found.full['dist-tags'];
    }
    return listDistTags(deps, { ref });
  });
  app.put<{ Params: NameParams & { tag: string } }>('/-/package/:name/dist-tags/:tag', async (request, reply) => {
    const ref = await localRef(request.params.name);
    const body = request.body;
    const raw = typeof body === 'string' ? body : (body as { version?: unknown } | undefined)?.version;
    if (typeof raw !== 'string') throw appError('INVALID_FIELD', 'The body must be the version as a JSON string.');
    const tags = await setDistTag(deps, { principal: request.principal, ref, tag: request.params.tag, version: parseVersion(raw) });
    await invalidate(ref);
    return reply.code(201).send({ ok: true, ...tags });
  });
  app.delete<{ Params: NameParams & { tag: string } }>('/-/package/:name/dist-tags/:tag', async (request) => {
    const ref = await localRef(request.params.name);
    await removeDistTag(deps, { principal: request.principal, ref, tag: request.params.tag });
    await invalidate(ref);
    return { ok: true, ...(await listDistTags(deps, { ref })) };
  });
}

function tarballHeaders(reply: FastifyReply, etag: string | undefined): void {
  if (etag) reply.header('etag', etag);
  reply.header('cache-control', 'public, max-age=31536000, immutable').type('application/octet-stream');
}

/**
 * A legacy tarball fetched for the first time: the upstream's bytes as they arrive (the mirror
 * withholds the last chunk until they are verified; a failure aborts the response), or the
 * verified bytes of a fetch another request started.
 */
function sendFirstFetch(reply: FastifyReply, mirrored: Exclude<MirroredTarball, { kind: 'stored' }>): FastifyReply {
  if (mirrored.kind === 'bytes') {
    tarballHeaders(reply, `"${mirrored.integrity}"`);
    return reply.send(mirrored.bytes);
  }
  tarballHeaders(reply, mirrored.integrity ? `"${mirrored.integrity}"` : undefined);
  if (mirrored.size !== undefined) reply.header('content-length', String(mirrored.size));
  return reply.send(mirrored.stream);
}

function readAllowlist(path: string): Set<string> {
  const names = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
  return new Set(names);
}
