import {
  assertMayListTokens,
  assertMayManageTokens,
  createToken,
  listTokens,
  revokeToken,
  type TokenInfo,
  verifyAccountPassword,
} from '@entropic/core';
import { appError } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { requireObjectBody } from './refs.ts';
import { booleanField, expiryOf, stringList } from './token-fields.ts';

/** A token as npm's `/-/npm/v1/tokens` shows it (`npm token list --json`). */
function npmToken(info: TokenInfo) {
  return {
    key: info.id,
    token: info.prefix,
    name: info.description,
    created: info.created,
    updated: info.created,
    last_used: info.lastUsed,
    expires: info.expires,
    readonly: info.scope === 'read',
    automation: info.automation,
    cidr_whitelist: info.cidrs.length > 0 ? info.cidrs : null,
    scopes: info.namespaces,
    packages: info.packages,
  };
}

/** npm's permission words → Entropic's token scope. */
function scopeOf(body: Record<string, unknown>): 'read' | 'publish' {
  const permission = body.packages_and_scopes_permission ?? body.orgs_permission;
  if (permission === 'read-only') return 'read';
  if (permission === 'read-write') return 'publish';
  if (permission !== undefined && permission !== null) {
    throw appError('INVALID_TOKEN_SCOPE', 'The permission must be "read-only" or "read-write".');
  }
  return body.readonly === true ? 'read' : 'publish';
}

/**
 * `npm token list|create|revoke` (npm 11: `lib/commands/token.js`). Each maps onto Entropic's
 * granular tokens (docs/npm.md): `--scopes` and `--orgs` limit to namespaces, `--packages` to
 * packages, `--cidr` to client addresses, `--bypass-2fa` makes an automation token. The account
 * password npm sends is checked when the account has one.
 */
export function registerNpmTokenRoutes(app: FastifyInstance): void {
  const { deps } = app;

  app.get('/-/npm/v1/tokens', async (request) => {
    const principal = assertMayListTokens(request.principal);
    const objects = (await listTokens(deps, { userId: principal.userId })).map(npmToken);
    return { objects, total: objects.length, urls: { next: null } };
  });

  app.post('/-/npm/v1/tokens', async (request, reply) => {
    const principal = assertMayManageTokens(request.principal);
    const body = requireObjectBody(request.body);
    await verifyAccountPassword(deps, { username: principal.username, password: body.password });
    const name = [body.name, body.description].find((v): v is string => typeof v === 'string' && v.trim() !== '') ?? 'npm token';
    const { token, info } = await createToken(deps, {
      userId: principal.userId,
      description: name,
      scope: scopeOf(body),
      expiresAt: expiryOf(body.expires, 'expires'),
      namespaces: [...stringList(body.scopes, 'scopes'), ...stringList(body.orgs, 'orgs')],
      packages: booleanField(body.packages_all, 'packages_all') ? [] : stringList(body.packages, 'packages'),
      cidrs: stringList(body.cidr_whitelist, 'cidr_whitelist'),
      automation: booleanField(body.bypass_2fa, 'bypass_2fa'),
      actor: principal,
    });
    return reply.code(201).send({ ...npmToken(info), token });
  });

  app.delete<{ Params: { key: string } }>('/-/npm/v1/tokens/token/:key', async (request, reply) => {
    const principal = assertMayManageTokens(request.principal);
    await revokeToken(deps, { userId: principal.userId, tokenId: request.params.key, actor: principal });
    return reply.code(204).send();
  });
}
