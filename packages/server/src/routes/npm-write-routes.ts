import { authorizePackageWrite, countPublishRequest, requireWriter } from '@entropic/core';
import { changeNpmOwners, putNpmPackage, unpublishNpmPackage } from '@entropic/npm';
import { appError, LEGACY } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type NameParams, type NpmContext, plainName, type ScopedParams, scopedName } from './npm-context.ts';

/**
 * npm's writes: publish, `npm deprecate` (a message), `npm unpublish` (as yank), `npm owner add|rm`. The use cases announce what
 * changed; the caches follow their events.
 */
export function registerNpmWriteRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { deps } = ctx;
  // A publish body carries the tarball in base64: allow for it beyond the 1 MiB default.
  const bodyLimit = Math.min(Math.ceil(deps.limits.maxVersionBytes * 1.4) + 1024 * 1024, 500 * 1024 * 1024);

  app.put<{ Params: NameParams }>('/:name', { bodyLimit }, async (request, reply) => {
    const npmName = plainName(request.params);
    await countPublishRequest(deps, { principal: request.principal, perHour: app.deps.config.security.publishesPerHour });
    const result = await putNpmPackage(deps, { principal: request.principal, npmName, body: request.body });
    return reply.code(result.kind === 'published' ? 201 : 200).send({ ok: true, id: npmName });
  });
  app.put<{ Params: NameParams & { rev: string } }>('/:name/-rev/:rev', { bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
    const npmName = plainName(request.params);
    const body = request.body as Record<string, unknown> | undefined;
    // `npm owner add|rm` sends only {_id, _rev, maintainers}: a document without versions must never
    // read as "every version was removed" (that would yank them all, and a yank is final)
    if (body && typeof body === 'object' && body.versions === undefined) {
      if (body.maintainers === undefined) throw appError('INVALID_FIELD', 'The document has no "versions".');
      const ref = await ctx.resolve(npmName);
      if (ref.namespace === LEGACY) throw ctx.notHere(npmName, ref);
      ctx.assertMayExist(npmName, ref);
      // a private package someone may not read is a name that is not here, for writes too
      if (!(await app.packageReads.mayRead(request, ref))) throw ctx.notHere(npmName, ref);
      const changes = await changeNpmOwners(deps, { principal: request.principal, ref, maintainers: body.maintainers });
      // npm prints this header as `npm notice` (an invitation waits for its namespace to accept it)
      const notice = changes.map((change) => change.message).join(' ');
      if (notice) reply.header('npm-notice', notice.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000));
      return { ok: true, id: npmName, changes };
    }
    await putNpmPackage(deps, { principal: request.principal, npmName, body: request.body, removeMissing: true });
    return { ok: true, id: npmName };
  });
  app.delete<{ Params: NameParams & { rev: string } }>('/:name/-rev/:rev', async (request) => {
    const npmName = plainName(request.params);
    await unpublishNpmPackage(deps, { principal: request.principal, npmName });
    return { ok: true, id: npmName };
  });
  // npm deletes the tarball after unpublishing a version: the version is yanked, its files stay.
  const deleteTarball = async (request: FastifyRequest, npmName: string) => {
    const ref = await ctx.resolve(npmName);
    await authorizePackageWrite(deps.repos, requireWriter(request.principal), ref, deps.host, { changesNothing: true });
    return { ok: true };
  };
  app.delete<{ Params: NameParams & { file: string; rev: string } }>('/:name/-/:file/-rev/:rev', (request) =>
    deleteTarball(request, plainName(request.params)),
  );
  app.delete<{ Params: ScopedParams & { file: string; rev: string } }>('/:scope/:name/-/:file/-rev/:rev', (request) =>
    deleteTarball(request, scopedName(request.params)),
  );
}
