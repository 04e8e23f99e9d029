import { listDistTags, type PackageRef, removeDistTag, setDistTag } from '@entropic/core';
import { appError, LEGACY, parseVersion } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import type { NameParams, NpmContext } from './npm-context.ts';

/** `npm dist-tag ls|add|rm`: a `legacy` package's tags come from the upstream and are read-only. */
export function registerNpmDistTagRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { deps } = ctx;

  async function localRef(npmName: string): Promise<PackageRef> {
    const ref = await ctx.resolve(npmName);
    if (ref.namespace === LEGACY)
      throw appError('PACKAGE_NOT_FOUND', `"${npmName}" is a legacy package; its dist-tags come from the upstream.`);
    return ref;
  }

  app.get<{ Params: NameParams }>('/-/package/:name/dist-tags', async (request) => {
    const ref = await ctx.resolve(request.params.name);
    ctx.assertMayExist(request.params.name, ref);
    if (ref.namespace === LEGACY) {
      const found = await ctx.mirror.packuments(request.params.name, ctx.base);
      if (!found) throw appError('PACKAGE_NOT_FOUND', `The package "${request.params.name}" does not exist.`);
      return found.full['dist-tags'];
    }
    if (!(await app.packageReads.mayRead(request, ref))) throw ctx.notHere(request.params.name, ref);
    return listDistTags(deps, { ref });
  });
  app.put<{ Params: NameParams & { tag: string } }>('/-/package/:name/dist-tags/:tag', async (request, reply) => {
    const ref = await localRef(request.params.name);
    const body = request.body;
    const raw = typeof body === 'string' ? body : (body as { version?: unknown } | undefined)?.version;
    if (typeof raw !== 'string') throw appError('INVALID_FIELD', 'The body must be the version as a JSON string.');
    const tags = await setDistTag(deps, { principal: request.principal, ref, tag: request.params.tag, version: parseVersion(raw) });
    return reply.code(201).send({ ok: true, ...tags });
  });
  app.delete<{ Params: NameParams & { tag: string } }>('/-/package/:name/dist-tags/:tag', async (request) => {
    const ref = await localRef(request.params.name);
    await removeDistTag(deps, { principal: request.principal, ref, tag: request.params.tag });
    return { ok: true, ...(await listDistTags(deps, { ref })) };
  });
}
