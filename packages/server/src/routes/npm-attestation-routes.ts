import { getNpmAttestations } from '@entropic/npm';
import { appError, LEGACY, truncate } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NpmContext } from './npm-context.ts';

/**
 * `GET /-/npm/v1/attestations/<name>@<version>` (issue 10.3): the Sigstore bundles stored with a
 * version, where `dist.attestations.url` points (npm audit signatures, pnpm's trustPolicy). A
 * scoped name comes as `@scope%2fname@1.0.0` or `@scope/name@1.0.0`. Private packages answer
 * only to readers.
 */
export function registerNpmAttestationRoutes(app: FastifyInstance, ctx: NpmContext): void {
  async function send(request: FastifyRequest, spec: string) {
    const at = spec.lastIndexOf('@');
    if (at <= 0) throw appError('NOT_FOUND', `"${truncate(spec)}" is not <name>@<version>.`);
    const npmName = spec.slice(0, at);
    const version = spec.slice(at + 1);
    const ref = await ctx.resolve(npmName);
    if (ref.namespace === LEGACY) throw appError('ATTESTATIONS_NOT_FOUND', 'The legacy mirror serves no attestations.');
    await app.packageReads.assert(request, ref);
    return getNpmAttestations(ctx.deps, { ref, npmName, version });
  }
  app.get<{ Params: { spec: string } }>('/-/npm/v1/attestations/:spec', (request) => send(request, request.params.spec));
  app.get<{ Params: { scope: string; spec: string } }>('/-/npm/v1/attestations/:scope/:spec', (request) =>
    send(request, `${request.params.scope}/${request.params.spec}`),
  );
}
