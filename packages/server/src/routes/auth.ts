import {
  assertMayListTokens,
  assertMayManageTokens,
  createToken,
  listTokens,
  pollCliLogin,
  pollWriteApproval,
  revokeToken,
  startCliLogin,
} from '@entropic/core';
import { appError } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { requireObjectBody } from './refs.ts';
import { booleanField, expiryOf, stringList } from './token-fields.ts';

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
    const { token, info } = await createToken(deps, {
      userId: principal.userId,
      description,
      scope,
      expiresAt: expiryOf(body.expiresInDays, 'expiresInDays'),
      namespaces: stringList(body.namespaces, 'namespaces'),
      packages: stringList(body.packages, 'packages'),
      cidrs: stringList(body.cidrs, 'cidrs'),
      automation: booleanField(body.automation, 'automation'),
      actor: principal,
    });
    return reply.code(201).send({ token, ...info });
  });

  app.delete<{ Params: { id: string } }>('/auth/tokens/:id', async (request, reply) => {
    const principal = assertMayManageTokens(request.principal);
    await revokeToken(deps, { userId: principal.userId, tokenId: request.params.id, actor: principal });
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

  // npm's web second-factor flow (passkeys): pending until approved on /www/approve/:id, then the one-time code, once
  app.get<{ Params: { id: string } }>('/-/v1/second-factor/poll/:id', async (request, reply) => {
    const result = await pollWriteApproval(deps, { id: request.params.id });
    if (result === undefined) throw appError('NOT_FOUND', 'This approval is unknown, expired or already collected.');
    if (result === 'pending') return reply.code(202).header('retry-after', '1').send({});
    return { token: result.code };
  });

  app.get<{ Params: { session: string } }>('/-/v1/login/poll/:session', async (request, reply) => {
    const result = await pollCliLogin(deps, { id: request.params.session });
    if (result.state === 'pending') return reply.code(202).header('retry-after', '2').send({});
    return { token: result.token };
  });
}
