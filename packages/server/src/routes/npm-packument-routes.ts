import { gzipSync } from 'node:zlib';
import type { PackageRef } from '@entropic/core';
import { getLocalPackuments, getRemotePackuments, type Packuments, quarantineYoungVersions, type UpstreamTiming } from '@entropic/npm';
import { isAppError, LEGACY } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CachedResponse } from '../response-cache.ts';
import { errorResponse, jsonResponse, sendCachedResponse } from './cached-json.ts';
import { type NameParams, type NpmContext, plainName, type ScopedParams, scopedName } from './npm-context.ts';
import { packageGroup } from './refs.ts';

const ABBREVIATED_TYPE = 'application/vnd.npm.install-v1+json';
const VARY = 'Accept, Accept-Encoding';

/**
 * `GET /:name` and `GET /@scope/:name`: the full or abbreviated (`Accept`) packument, plain or
 * gzipped, pre-serialised in the package's cache group. A read: it never writes.
 */
export function registerNpmPackumentRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { responseCache } = app;

  /**
   * `timing`: the request, which learns how much of its time the legacy mirror's upstream took.
   * Young versions are quarantined (release-age policy) as the views are made: a cached view
   * lets a version out of quarantine at most CACHE_TTL_SECONDS late.
   */
  async function computePackuments(npmName: string, ref: PackageRef, timing: UpstreamTiming): Promise<Packuments> {
    const { minReleaseAgeHours } = ctx.deps.config;
    if (ref.host !== ctx.deps.host) {
      const input = { ref, npmName, tarballBase: ctx.base, build: ctx.buildTarball, sign: ctx.sign };
      const remote = await getRemotePackuments(ctx.deps, app.federation, input);
      return quarantineYoungVersions(remote, { minAgeHours: minReleaseAgeHours.local, now: ctx.deps.clock.now() });
    }
    if (ref.namespace !== LEGACY) {
      const [local, own] = await Promise.all([
        getLocalPackuments(ctx.deps, { ref, npmName, tarballBase: ctx.base, build: ctx.buildTarball, sign: ctx.sign }),
        ctx.deps.repos.namespaces.findMinReleaseAge(ref.namespace),
      ]);
      // the namespace's own policy can only make the operator's stricter
      const minAgeHours = Math.max(minReleaseAgeHours.local, own ?? 0);
      return quarantineYoungVersions(local, { minAgeHours, now: ctx.deps.clock.now() });
    }
    const found = await ctx.mirror.packuments(npmName, ctx.base, timing, { stored: ctx.isStored(ref) });
    if (!found) throw ctx.notHere(npmName, ref);
    return quarantineYoungVersions(found, { minAgeHours: minReleaseAgeHours.legacy, now: ctx.deps.clock.now() });
  }

  /**
   * A local package's two views are serialised at once (making either again costs queries). Of a
   * legacy one only the view asked for: npm install asks for the abbreviated one only, the full one
   * (every upstream readme) costs several times more to serialise and hash, and the mirror keeps
   * the parsed upstream document in memory for the other.
   */
  function storePackuments(group: string, packuments: Packuments, abbreviated: boolean, both: boolean): CachedResponse {
    const abbr = () =>
      responseCache.set(group, 'npm:abbreviated', jsonResponse(packuments.abbreviated, `${ABBREVIATED_TYPE}; charset=utf-8`));
    const full = () => responseCache.set(group, 'npm:full', jsonResponse(packuments.full));
    if (!both) return abbreviated ? abbr() : full();
    const [a, f] = [abbr(), full()];
    return abbreviated ? a : f;
  }

  /** The plain (not gzipped) packument, or the cached 404 of a local package that does not exist. */
  async function plainEntry(
    npmName: string,
    ref: PackageRef,
    group: string,
    abbreviated: boolean,
    timing: UpstreamTiming,
  ): Promise<CachedResponse> {
    // A local package that does not exist: its 404 is cached too (a publish drops the group).
    const missing = ref.namespace === LEGACY ? undefined : responseCache.get(group, 'npm:missing');
    if (missing) return missing;
    const plain = responseCache.get(group, abbreviated ? 'npm:abbreviated' : 'npm:full');
    if (plain) return plain;
    try {
      return storePackuments(group, await computePackuments(npmName, ref, timing), abbreviated, ref.namespace !== LEGACY);
    } catch (error) {
      // a remote package's absence is not cached: its origin may publish it any time
      if (ref.namespace === LEGACY || ref.host !== ctx.deps.host || !isAppError(error) || error.code !== 'PACKAGE_NOT_FOUND') throw error;
      return responseCache.set(group, 'npm:missing', errorResponse(error, true, 'npm'));
    }
  }

  async function sendPackument(request: FastifyRequest, reply: FastifyReply, npmName: string): Promise<FastifyReply> {
    ctx.mirror.noteRead();
    const abbreviated = (request.headers.accept ?? '').includes(ABBREVIATED_TYPE);
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    const ref = await ctx.resolve(npmName);
    if (!ctx.mayExist(npmName, ref)) return ctx.replyNotHere(reply, npmName, ref);
    // a private package someone may not read is answered as a name that is not here
    if (!(await app.packageReads.mayRead(request, ref))) return ctx.replyNotHere(reply, npmName, ref);
    // a remote package's statement is refreshed from its origin (within FEDERATION_REFRESH_SECONDS):
    // a change drops the cached packuments (package-changed)
    if (ref.host !== ctx.deps.host) await app.federation.preparePackage(ref);
    const group = packageGroup(ref);
    const key = `${abbreviated ? 'npm:abbreviated' : 'npm:full'}${gzip ? ':gzip' : ''}`;
    let entry = responseCache.get(group, key);
    if (!entry) {
      const plain = await plainEntry(npmName, ref, group, abbreviated, request);
      if (plain.status !== 200) return reply.code(plain.status).type(plain.contentType).send(plain.body);
      entry = gzip ? responseCache.set(group, key, { ...plain, body: gzipSync(plain.body, { level: 6 }) }) : plain;
    }
    return sendCachedResponse(request, reply, entry, { vary: VARY, ...(gzip ? { encoding: 'gzip' } : {}) });
  }

  app.get<{ Params: NameParams }>('/:name', (request, reply) => sendPackument(request, reply, plainName(request.params)));
  app.get<{ Params: ScopedParams }>('/:scope/:name', (request, reply) => sendPackument(request, reply, scopedName(request.params)));
}
