import {
  addTeamMember,
  createTeam,
  destroyTeam,
  getTeamInfo,
  grantTeam,
  listOrgRoles,
  listTeams,
  type OrgRole,
  type PackageRef,
  removeFromOrg,
  removeTeamMember,
  revokeTeamGrant,
  setOrgRole,
} from '@entropic/core';
import { npmNameOfCanonical } from '@entropic/npm';
import { appError, LEGACY, type NamespaceRef, parseNamespaceName } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import type { NpmContext } from './npm-context.ts';
import { requireObjectBody } from './refs.ts';

type ScopeParams = { scope: string };
type TeamParams = { scope: string; team: string };

/** npm's permission words ↔ a team grant. */
const PERMISSIONS = { 'read-only': 'read', 'read-write': 'write' } as const;

/**
 * `npm team create|destroy|add|rm|ls` (libnpmteam) and `npm access grant|revoke` (libnpmaccess)
 * over Entropic's teams (issue 9.5): an npm org is a namespace here, `@org:team` one of its teams.
 * See docs/npm.md for the mapping.
 */
export function registerNpmTeamRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { deps } = ctx;
  const namespaceOf = (scope: string): NamespaceRef => ({ namespace: parseNamespaceName(scope.replace(/^@/, '')), host: deps.host });

  async function localPackage(body: Record<string, unknown>): Promise<PackageRef> {
    if (typeof body.package !== 'string') throw appError('INVALID_FIELD', 'The body needs the "package" name.');
    const ref = await ctx.resolve(body.package);
    if (ref.namespace === LEGACY) throw appError('PACKAGE_NOT_FOUND', `"${body.package}" is not a package of this registry.`);
    return ref;
  }

  app.put<{ Params: ScopeParams }>('/-/org/:scope/team', async (request, reply) => {
    const body = requireObjectBody(request.body);
    if (typeof body.name !== 'string') throw appError('INVALID_FIELD', 'The body needs the team "name".');
    const created = await createTeam(deps, {
      principal: request.principal,
      ref: namespaceOf(request.params.scope),
      team: body.name,
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
    });
    return reply.code(201).send(created);
  });

  app.get<{ Params: ScopeParams }>('/-/org/:scope/team', async (request) => {
    const ref = namespaceOf(request.params.scope);
    const names = await listTeams(deps, { principal: request.principal, ref });
    return names.map((name) => `${ref.namespace}:${name}`);
  });

  app.delete<{ Params: TeamParams }>('/-/team/:scope/:team', async (request, reply) => {
    await destroyTeam(deps, { principal: request.principal, ref: namespaceOf(request.params.scope), team: request.params.team });
    return reply.code(204).send();
  });

  app.get<{ Params: TeamParams }>('/-/team/:scope/:team/user', async (request) => {
    const info = await getTeamInfo(deps, {
      principal: request.principal,
      ref: namespaceOf(request.params.scope),
      team: request.params.team,
    });
    return info.members;
  });

  app.put<{ Params: TeamParams }>('/-/team/:scope/:team/user', async (request, reply) => {
    const body = requireObjectBody(request.body);
    if (typeof body.user !== 'string') throw appError('INVALID_FIELD', 'The body needs the "user".');
    await addTeamMember(deps, {
      principal: request.principal,
      ref: namespaceOf(request.params.scope),
      team: request.params.team,
      username: body.user,
    });
    return reply.code(201).send({});
  });

  app.delete<{ Params: TeamParams }>('/-/team/:scope/:team/user', async (request, reply) => {
    const body = requireObjectBody(request.body);
    if (typeof body.user !== 'string') throw appError('INVALID_FIELD', 'The body needs the "user".');
    await removeTeamMember(deps, {
      principal: request.principal,
      ref: namespaceOf(request.params.scope),
      team: request.params.team,
      username: body.user,
    });
    return reply.code(204).send();
  });

  // `npm org set <org> <user> [owner|admin|developer]`
  app.put<{ Params: ScopeParams }>('/-/org/:scope/user', async (request) => {
    const body = requireObjectBody(request.body);
    if (typeof body.user !== 'string') throw appError('INVALID_FIELD', 'The body needs the "user".');
    const ref = namespaceOf(request.params.scope);
    const role = (body.role ?? 'developer') as OrgRole;
    const set = await setOrgRole(deps, { principal: request.principal, ref, username: body.user.replace(/^@/, ''), role });
    return { org: { name: ref.namespace, size: set.size }, user: set.user, role: set.role, outcome: set.outcome };
  });

  // `npm org rm <org> <user>`
  app.delete<{ Params: ScopeParams }>('/-/org/:scope/user', async (request, reply) => {
    const body = requireObjectBody(request.body);
    if (typeof body.user !== 'string') throw appError('INVALID_FIELD', 'The body needs the "user".');
    await removeFromOrg(deps, {
      principal: request.principal,
      ref: namespaceOf(request.params.scope),
      username: body.user.replace(/^@/, ''),
    });
    return reply.code(204).send();
  });

  // `npm org ls <org>`: {user: role}
  app.get<{ Params: ScopeParams }>('/-/org/:scope/user', async (request) =>
    listOrgRoles(deps, { principal: request.principal, ref: namespaceOf(request.params.scope) }),
  );

  // `npm access list packages @org:team`: {npm name: read-only | read-write}; a namespace-wide grant shows as `@org/*`
  app.get<{ Params: TeamParams }>('/-/team/:scope/:team/package', async (request) => {
    const ref = namespaceOf(request.params.scope);
    const info = await getTeamInfo(deps, { principal: request.principal, ref, team: request.params.team });
    const out: Record<string, string> = {};
    for (const grant of info.grants) {
      const name = grant.package === null ? `@${ref.namespace}/*` : npmNameOfCanonical(grant.package, deps.host);
      out[name] = grant.permission === 'write' ? 'read-write' : 'read-only';
    }
    return out;
  });

  // `npm access grant read-only|read-write @org:team <pkg>`
  app.put<{ Params: TeamParams }>('/-/team/:scope/:team/package', async (request, reply) => {
    const body = requireObjectBody(request.body);
    const permission = PERMISSIONS[body.permissions as keyof typeof PERMISSIONS];
    if (!permission) throw appError('INVALID_FIELD', '"permissions" must be "read-only" or "read-write".');
    await grantTeam(deps, {
      principal: request.principal,
      ref: namespaceOf(request.params.scope),
      team: request.params.team,
      pkg: await localPackage(body),
      permission,
    });
    return reply.code(201).send({});
  });

  // `npm access revoke @org:team <pkg>`
  app.delete<{ Params: TeamParams }>('/-/team/:scope/:team/package', async (request, reply) => {
    const body = requireObjectBody(request.body);
    await revokeTeamGrant(deps, {
      principal: request.principal,
      ref: namespaceOf(request.params.scope),
      team: request.params.team,
      pkg: await localPackage(body),
    });
    return reply.code(204).send();
  });
}
