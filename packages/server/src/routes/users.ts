import { acceptMembership, leaveMembership, listMemberships } from '@entropic/core';
import { parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance } from 'fastify';

type UserParams = { user: string };

/** A user's memberships and their answers to invitations (API.md §3). */
export function registerUserRoutes(app: FastifyInstance): void {
  const { deps } = app;
  const base = '/users/user/:user/memberships';

  app.get<{ Params: UserParams; Querystring: { limit?: string; cursor?: string; status?: string } }>(base, async (request) =>
    listMemberships(deps, { ...request.query, principal: request.principal, user: parseNamespaceSegment(request.params.user, deps.host) }),
  );

  app.post<{ Params: UserParams & { namespace: string } }>(`${base}/:namespace`, async (request) => {
    const user = parseNamespaceSegment(request.params.user, deps.host);
    return acceptMembership(deps, { principal: request.principal, user, ref: parseNamespaceSegment(request.params.namespace, deps.host) });
  });

  app.delete<{ Params: UserParams & { namespace: string } }>(`${base}/:namespace`, async (request) => {
    const user = parseNamespaceSegment(request.params.user, deps.host);
    return leaveMembership(deps, { principal: request.principal, user, ref: parseNamespaceSegment(request.params.namespace, deps.host) });
  });
}
