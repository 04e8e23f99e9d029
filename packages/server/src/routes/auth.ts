import {
  assertMayListTokens,
  assertMayManageTokens,
  createToken,
  listTokens,
  pollCliLogin,
  revokeToken,
  startCliLogin,
} from '@entropic/core';
import { appError } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { requireObjectBody } from './refs.ts';

/** Token management for API clients (`ds token …`) and the CLI/npm web-login protocol (§7). */
export function registerAuthRoutes(app: FastifyInstance): void {
  const { deps } = app;

  app.get('/auth/tokens', async (request) => {
    const principal = assertMayListTokens(request.principal);
    return { objects: await listTokens(deps, { userId: principal.userId }), next: null };
  });

  app.post('/auth/tokens', async (request, reply) => {
    const principal = assertMayManageTokens(request.principal);
    const body = requireObjectBody(request.body);
    const description = typeof body.description === 'string' ? body.description : '';
    const scope = body.scope === undefined ? 'publish' : body.scope;
    if (scope !== 'read' && scope !== 'publish') throw appError('INVALID_TOKEN_SCOPE', 'The scope must be "read" or "publish".');
    let expiresAt: Date | null = null;
    if (body.expiresInDays !== undefined) {
      if (
        typeof body.expiresInDays !== 'number' ||
        !Number.isInteger(body.expiresInDays) ||
        body.expiresInDays < 1 ||
        body.expiresInDays > 3650
      ) {
        throw appError('INVALID_FIELD', '"expiresInDays" must be a whole number from 1 to 3650.');
      }
      expiresAt = new Date(Date.now() + body.expiresInDays * 86_400_000);
    }
    const { token, info } = await createToken(deps, { userId: principal.userId, description, scope, expiresAt });
    return reply.code(201).send({ token, ...info });
  });

  app.delete<{ Params: { id: string } }>('/auth/tokens/:id', async (request, reply) => {
    const principal = assertMayManageTokens(request.principal);
    await revokeToken(deps, { userId: principal.userId, tokenId: request.params.id });
    return reply.code(204).send();
  });

  app.post('/-/v1/login', async (request) => {
    const body = requireObjectBody(request.body);
    const hostname = typeof body.hostname === 'string' ? body.hostname.slice(0, 100) : '';
    const id = await startCliLogin(deps, { hostname });
    return {
      loginUrl: `${deps.config.externalUrl}/www/login?cli=${id}`,
      doneUrl: `${deps.config.externalUrl}/-/v1/login/poll/${id}`,
    };
  });

  app.get<{ Params: { session: string } }>('/-/v1/login/poll/:session', async (request, reply) => {
    const result = await pollCliLogin(deps, { id: request.params.session });
    if (result.state === 'pending') return reply.code(202).header('retry-after', '2').send({});
    return { token: result.token };
  });
}
