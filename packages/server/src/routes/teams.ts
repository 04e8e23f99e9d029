import {
  addTeamMember,
  createTeam,
  destroyTeam,
  getTeamInfo,
  grantTeam,
  listTeams,
  type PackageRef,
  removeTeamMember,
  revokeTeamGrant,
} from '@entropic/core';
import { appError, type Host, parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { parseUserParam } from './namespaces.ts';
import { parsePackageRef, requireObjectBody } from './refs.ts';

type TeamParams = { namespace: string; team: string };

/** `ns/name` or `ns@host/name` → a package; absent or null → the whole namespace. */
function packageOrNamespace(raw: unknown, localHost: Host): PackageRef | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string' || !raw.includes('/')) throw appError('INVALID_FIELD', '"package" must be "namespace/name" (or absent).');
  const slash = raw.indexOf('/');
  return parsePackageRef({ namespace: raw.slice(0, slash), name: raw.slice(slash + 1) }, localHost);
}

/** Teams inside a namespace and their grants (issue 9.5; docs/decisions/teams-and-grants.md): the Entropic API `ds team` and `ds access` use. */
export function registerTeamRoutes(app: FastifyInstance): void {
  const { deps } = app;
  const base = '/namespaces/namespace/:namespace/teams';
  const team = (params: TeamParams) => ({ ref: parseNamespaceSegment(params.namespace, deps.host), team: params.team });

  app.get<{ Params: { namespace: string } }>(base, async (request) => ({
    objects: await listTeams(deps, { principal: request.principal, ref: parseNamespaceSegment(request.params.namespace, deps.host) }),
    next: null,
  }));

  app.put<{ Params: TeamParams }>(`${base}/:team`, async (request, reply) => {
    const body = request.body === undefined ? {} : requireObjectBody(request.body);
    const description = typeof body.description === 'string' ? body.description : '';
    return reply.code(201).send(await createTeam(deps, { principal: request.principal, ...team(request.params), description }));
  });

  app.get<{ Params: TeamParams }>(`${base}/:team`, async (request) =>
    getTeamInfo(deps, { principal: request.principal, ...team(request.params) }),
  );

  app.delete<{ Params: TeamParams }>(`${base}/:team`, async (request, reply) => {
    await destroyTeam(deps, { principal: request.principal, ...team(request.params) });
    return reply.code(204).send();
  });

  app.put<{ Params: TeamParams & { user: string } }>(`${base}/:team/members/:user`, async (request) =>
    addTeamMember(deps, {
      principal: request.principal,
      ...team(request.params),
      username: parseUserParam(request.params.user, deps.host),
    }),
  );

  app.delete<{ Params: TeamParams & { user: string } }>(`${base}/:team/members/:user`, async (request) =>
    removeTeamMember(deps, {
      principal: request.principal,
      ...team(request.params),
      username: parseUserParam(request.params.user, deps.host),
    }),
  );

  // {package: "ns/name" | null, permission: "read" | "write"}: a package, or every package the namespace maintains
  app.put<{ Params: TeamParams }>(`${base}/:team/grants`, async (request) => {
    const body = requireObjectBody(request.body);
    const permission = body.permission;
    if (permission !== 'read' && permission !== 'write') throw appError('INVALID_FIELD', '"permission" must be "read" or "write".');
    const pkg = packageOrNamespace(body.package, deps.host);
    await grantTeam(deps, { principal: request.principal, ...team(request.params), pkg, permission });
    return getTeamInfo(deps, { principal: request.principal, ...team(request.params) });
  });

  // ?package=ns/name, or none: the namespace-wide grant
  app.delete<{ Params: TeamParams; Querystring: { package?: string } }>(`${base}/:team/grants`, async (request) =>
    revokeTeamGrant(deps, {
      principal: request.principal,
      ...team(request.params),
      pkg: packageOrNamespace(request.query.package, deps.host),
    }),
  );
}
