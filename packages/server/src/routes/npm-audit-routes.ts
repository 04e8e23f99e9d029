import { PassThrough, type Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { bulkLocalAdvisories, findPackage, type PackageRef } from '@entropic/core';
import { createHttpUpstreamRegistry, UpstreamAdvisories } from '@entropic/npm';
import { appError, formatPackageName, LEGACY } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { packagePath } from '../www/views/package-links.ts';
import type { NpmContext } from './npm-context.ts';

/** Bounds of one audit request (a big monorepo has a few thousand packages, each with a few versions). */
const MAX_NAMES = 20_000;
const MAX_VERSIONS_PER_NAME = 1000;
const MAX_STRING = 256;
/** npm sends the body gzipped; decompressed it may be this large (a gzip bomb stops here) */
const BODY_LIMIT = 8 * 1024 * 1024;

/**
 * A gzip- or deflate-encoded body is decompressed as it arrives (npm sends `Content-Encoding:
 * gzip`); the body limit counts the decompressed bytes, and a body that does not decompress is a
 * 400, not a crash.
 */
function decodeBody(request: FastifyRequest, payload: Readable): Readable {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return payload;
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw Object.assign(new Error(`unsupported content encoding`), { statusCode: 415 });
  }
  const decoder = encoding === 'gzip' ? createGunzip() : createInflate();
  const out = new PassThrough() as PassThrough & { receivedEncodedLength?: number };
  let received = 0;
  payload.on('data', (chunk: Buffer) => {
    received += chunk.length;
    out.receivedEncodedLength = received;
  });
  decoder.on('error', () => out.destroy(Object.assign(new Error('the body does not decompress'), { statusCode: 400 })));
  payload.on('error', (error) => out.destroy(error));
  payload.pipe(decoder).pipe(out);
  return out;
}

/** `{name: [versions]}`, bounded; anything else is INVALID_FIELD. */
function parseBulkQuery(body: unknown): Record<string, string[]> {
  const bad = (why: string) => appError('INVALID_FIELD', `The body must be {"<package name>": ["<version>", …]}: ${why}.`);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('it is not an object');
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length > MAX_NAMES) throw bad(`more than ${MAX_NAMES} names`);
  const out: Record<string, string[]> = {};
  for (const [name, versions] of entries) {
    if (name.length === 0 || name.length > MAX_STRING) throw bad('a name is empty or too long');
    if (!Array.isArray(versions) || versions.length > MAX_VERSIONS_PER_NAME) throw bad('each name needs a list of versions');
    if (!versions.every((v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_STRING)) throw bad('a version is not a short text');
    out[name] = versions as string[];
  }
  return out;
}

/**
 * `POST /-/npm/v1/security/advisories/bulk`, what `npm audit` (and pnpm and yarn) ask: for
 * `legacy` packages the upstream's answer, asked for exactly those names (cached briefly; an
 * upstream that cannot answer is UPSTREAM_UNAVAILABLE, never "no vulnerabilities"); for local
 * packages the advisories their maintainers published here; merged in npm's shape,
 * `{name: [{id, url, title, severity, vulnerable_versions, cwe, cvss}]}`. A name that is not
 * served here (unknown, off the mirror allowlist, private to the caller) gets no entry.
 */
export function registerNpmAuditRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { deps } = ctx;
  const upstreamUrl = deps.config.legacyUpstream;
  const upstream = upstreamUrl
    ? new UpstreamAdvisories(createHttpUpstreamRegistry(upstreamUrl), { ttlSeconds: deps.config.legacyAdvisoryTtlSeconds })
    : undefined;

  app.post(
    '/-/npm/v1/security/advisories/bulk',
    { bodyLimit: BODY_LIMIT, preParsing: async (request, _reply, payload) => decodeBody(request, payload) },
    async (request) => {
      const query = parseBulkQuery(request.body);
      const legacy: Record<string, string[]> = {};
      const local = new Map<string, { packageId: number; versions: string[]; defaultUrl: string }>();
      for (const [name, versions] of Object.entries(query)) {
        let ref: PackageRef;
        try {
          ref = await ctx.resolve(name);
        } catch {
          continue; // not a name this registry could serve
        }
        if (ref.namespace === LEGACY) {
          if (ctx.mirror.isAllowed(name)) legacy[name] = versions;
          continue;
        }
        if (!ctx.isStored(ref) || !(await app.packageReads.mayRead(request, ref))) continue;
        const pkg = await findPackage(deps.repos, ref, deps.host);
        if (pkg) local.set(name, { packageId: pkg.id, versions, defaultUrl: `${ctx.base}${packagePath(formatPackageName(ref))}` });
      }
      const [fromUpstream, fromLocal] = await Promise.all([
        upstream && Object.keys(legacy).length > 0 ? upstream.bulk(legacy) : {},
        bulkLocalAdvisories(deps, local),
      ]);
      return { ...fromUpstream, ...fromLocal };
    },
  );
}
