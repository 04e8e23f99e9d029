import type { Principal } from '@entropic/core';
import { appError } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenCache } from '../token-cache.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** the signed-in principal, set by bearer auth (API) or the website session plugin */
    principal: Principal | undefined;
  }
}

/**
 * Bearer authentication on every route. A header that is present but malformed, unknown,
 * revoked or expired is a 401, never anonymous.
 */
export function registerAuthentication(app: FastifyInstance, tokens: TokenCache): void {
  app.decorateRequest('principal', undefined);
  const authenticate = async (request: FastifyRequest, header: string): Promise<void> => {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match) {
      // the error edge answers `WWW-Authenticate: Bearer error="invalid_request"` (RFC 6750 §3.1)
      throw appError('INVALID_TOKEN', 'The Authorization header must be "Bearer ent_v1_…".', {
        details: { bearerError: 'invalid_request' },
      });
    }
    const { principal } = await tokens.authenticate(match[1] as string, request.ip);
    request.principal = principal;
  };
  // Callback style: an anonymous request (most reads) costs no promise here.
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined || request.routeOptions.config.ownBearerToken) return done();
    authenticate(request, header).then(() => done(), done);
  });
}
