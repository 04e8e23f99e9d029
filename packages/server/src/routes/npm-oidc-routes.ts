import { exchangeIdToken } from '@entropic/core';
import { appError, LEGACY } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createOidcVerifier } from '../oidc-verifier.ts';
import { type NameParams, type NpmContext, type ScopedParams, scopedName } from './npm-context.ts';

/**
 * Trusted publishing's token exchange, as npm's registry has it (npm CLI 11 calls it by itself in
 * CI): `POST /-/npm/v1/oidc/token/exchange/package/<name>` with the CI's id token as the bearer
 * answers `{token}`, a short-lived token that publishes only that package. The bearer here is an
 * id token, not a registry token: the route reads it itself (`ownBearerToken`).
 */
export function registerNpmOidcRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { deps } = ctx;
  const verifier = createOidcVerifier({
    issuers: deps.config.security.trustedPublishingIssuers,
    audience: `npm:${new URL(deps.config.externalUrl).hostname}`,
    // read at each call: a test swaps the clock after the app is built
    clock: { now: () => deps.clock.now() },
  });

  async function exchange(request: FastifyRequest, npmName: string) {
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    if (!match) {
      throw appError('UNAUTHENTICATED', 'Send the CI id token as "Authorization: Bearer <id token>".', {
        hint: 'In GitHub Actions, give the job `permissions: id-token: write` and publish with npm 11.5 or later.',
      });
    }
    const ref = await ctx.resolve(npmName);
    if (ref.namespace === LEGACY) throw ctx.notHere(npmName, ref);
    const idToken = await verifier.verify(match[1] as string);
    const { token, expires } = await exchangeIdToken(deps, {
      ref,
      idToken,
      ttlSeconds: deps.config.security.trustedPublishingTokenTtlSeconds,
      address: request.ip,
    });
    return { token, expires };
  }

  const path = '/-/npm/v1/oidc/token/exchange/package';
  const config = { config: { ownBearerToken: true } };
  // npm sends the escaped name (`@scope%2fname`): one segment, decoded by the router
  app.post<{ Params: NameParams }>(`${path}/:name`, config, (request) => exchange(request, request.params.name));
  app.post<{ Params: ScopedParams }>(`${path}/:scope/:name`, config, (request) => exchange(request, scopedName(request.params)));
}
