import { countReportedDownloads, getPackageDownloads, type PackageRef } from '@entropic/core';
import { appError } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NpmContext } from './npm-context.ts';
import { parsePackageRef, requireObjectBody } from './refs.ts';

type Kind = 'point' | 'range';
type Params = { kind: string; period: string; first: string; name?: string };

/**
 * npm's downloads API over the counts (docs/downloads.md): `/-/downloads/point/<period>/<name>`
 * answers `{downloads, start, end, package}`, `/range/` the same with `downloads` a list of
 * `{downloads, day}`. `<name>` is an npm name (`name`, `@scope/name`) or Entropic's
 * `ns@host/name`. `POST /-/downloads/installs` is how `ds` reports what an install fetched.
 */
export function registerDownloadRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { deps } = app;

  /** `name`, `@scope/name` (npm names) or `ns@host/name`, `ns/name` (Entropic's) → the package. */
  async function resolveName(first: string, name: string | undefined): Promise<{ ref: PackageRef; label: string }> {
    if (name === undefined) return { ref: await ctx.resolve(first), label: first };
    if (first.startsWith('@')) return { ref: await ctx.resolve(`${first}/${name}`), label: `${first}/${name}` };
    return { ref: parsePackageRef({ namespace: first, name }, deps.host), label: `${first}/${name}` };
  }

  const answer = async (params: Params, request: FastifyRequest) => {
    const kind = params.kind as Kind;
    if (kind !== 'point' && kind !== 'range')
      throw appError('NOT_FOUND', 'Downloads are served at /-/downloads/point/… and /-/downloads/range/….');
    const { ref, label } = await resolveName(params.first, params.name);
    const found = await getPackageDownloads(deps, { ref, period: params.period, principal: request.principal });
    // a private package's counts are its readers' business: never kept by a shared cache
    request.privateRead = found.private;
    const downloads = kind === 'point' ? found.total : found.days.map((d) => ({ downloads: d.downloads, day: d.day }));
    return { downloads, start: found.start, end: found.end, package: label };
  };

  app.get<{ Params: Params }>('/-/downloads/:kind/:period/:first', async (request) => answer(request.params, request));
  app.get<{ Params: Params }>('/-/downloads/:kind/:period/:first/:name', async (request) => answer(request.params, request));

  app.post('/-/downloads/installs', async (request, reply) => {
    const counter = app.downloads;
    const body = requireObjectBody(request.body);
    if (!counter) return reply.code(202).send({ counted: 0 });
    return reply.code(202).send(await countReportedDownloads(deps, counter, { downloads: body.downloads }));
  });
}
