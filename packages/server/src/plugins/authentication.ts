import { countTokenRequest, type Principal, presentOtp } from '@entropic/core';
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
    const { deps } = request.server;
    if (principal.tokenId)
      await countTokenRequest(deps, { tokenId: principal.tokenId, perMinute: deps.config.security.tokenRequestsPerMinute });
    // A per-request copy (the cached principal is shared): where the request came from, and the
    // one-time password it presents (npm's `npm-otp` header; `ds --otp` sends the same).
    const otp = request.headers['npm-otp'];
    request.principal = {
      ...principal,
      address: request.ip,
      ...(typeof otp === 'string' && otp !== '' ? { otp: presentOtp(deps, principal.userId, otp.slice(0, 64)) } : {}),
    };
  };
  // Callback style: an anonymous request (most reads) costs no promise here.
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined || request.routeOptions.config.ownBearerToken) return done();
    authenticate(request, header).then(() => done(), done);
  });
}
