import {
  acceptMaintainership,
  createOrganisation,
  endMaintainership,
  getNamespaceReleaseAge,
  getNamespaceVisibility,
  inviteMember,
  listMaintainerships,
  listMembers,
  listNamespaces,
  removeMember,
  setNamespaceReleaseAge,
  setNamespaceVisibility,
} from '@entropic/core';
import { appError, type Host, parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { parsePackageRef, requireObjectBody, requirePrivateField } from './refs.ts';

type ListQuery = { Querystring: { limit?: string; cursor?: string; status?: string } };
type NamespaceParams = { namespace: string };

/** A user in a URL: `name` or `name@host` (users only live on this host). */
export function parseUserParam(segment: string, localHost: Host): string {
  const ref = parseNamespaceSegment(segment, localHost);
  if (ref.host !== localHost) throw appError('REMOTE_HOST', `"${segment}" belongs to another host; this registry is ${localHost}.`);
  return ref.namespace;
}

/** Namespaces, organisations, members and a namespace's maintainerships (API.md §3). */
export function registerNamespaceRoutes(app: FastifyInstance): void {
  const { deps } = app;
  const base = '/namespaces/namespace/:namespace';

  app.get<ListQuery>('/namespaces', async (request) => listNamespaces(deps, request.query));

  app.get<{ Params: NamespaceParams }>(`${base}/access`, async (request) =>
    getNamespaceVisibility(deps, { ref: parseNamespaceSegment(request.params.namespace, deps.host) }),
  );

  // the namespace's release-age quarantine of its versions (issue 10.5; docs/security.md)
  app.get<{ Params: NamespaceParams }>(`${base}/release-age`, async (request) =>
    getNamespaceReleaseAge(deps, { ref: parseNamespaceSegment(request.params.namespace, deps.host) }),
  );

  app.put<{ Params: NamespaceParams }>(`${base}/release-age`, async (request) =>
    setNamespaceReleaseAge(deps, {
      principal: request.principal,
      ref: parseNamespaceSegment(request.params.namespace, deps.host),
      hours: requireObjectBody(request.body).hours,
    }),
  );

  app.put<{ Params: NamespaceParams }>(`${base}/access`, async (request) =>
    setNamespaceVisibility(deps, {
      principal: request.principal,
      ref: parseNamespaceSegment(request.params.namespace, deps.host),
      private: requirePrivateField(request.body),
    }),
  );

  app.put<{ Params: NamespaceParams }>(base, async (request, reply) => {
    const ref = parseNamespaceSegment(request.params.namespace, deps.host);
    return reply.code(201).send(await createOrganisation(deps, { principal: request.principal, ref }));
  });

  app.get<ListQuery & { Params: NamespaceParams }>(`${base}/members`, async (request) =>
    listMembers(deps, { ...request.query, ref: parseNamespaceSegment(request.params.namespace, deps.host) }),
  );

  app.post<{ Params: NamespaceParams & { user: string } }>(`${base}/members/:user`, async (request) => {
    const ref = parseNamespaceSegment(request.params.namespace, deps.host);
    return inviteMember(deps, { principal: request.principal, ref, username: parseUserParam(request.params.user, deps.host) });
  });

  app.delete<{ Params: NamespaceParams & { user: string } }>(`${base}/members/:user`, async (request) => {
    const ref = parseNamespaceSegment(request.params.namespace, deps.host);
    return removeMember(deps, { principal: request.principal, ref, username: parseUserParam(request.params.user, deps.host) });
  });

  app.get<ListQuery & { Params: NamespaceParams }>(`${base}/maintainerships`, async (request) =>
    listMaintainerships(deps, {
      ...request.query,
      principal: request.principal,
      ref: parseNamespaceSegment(request.params.namespace, deps.host),
    }),
  );

  type MaintainershipParams = NamespaceParams & { pkgnamespace: string; name: string };
  app.post<{ Params: MaintainershipParams }>(`${base}/maintainerships/:pkgnamespace/:name`, async (request) => {
    const ref = parseNamespaceSegment(request.params.namespace, deps.host);
    const pkg = parsePackageRef({ namespace: request.params.pkgnamespace, name: request.params.name }, deps.host);
    return acceptMaintainership(deps, { principal: request.principal, ref, pkg });
  });

  app.delete<{ Params: MaintainershipParams }>(`${base}/maintainerships/:pkgnamespace/:name`, async (request) => {
    const ref = parseNamespaceSegment(request.params.namespace, deps.host);
    const pkg = parsePackageRef({ namespace: request.params.pkgnamespace, name: request.params.name }, deps.host);
    return endMaintainership(deps, { principal: request.principal, ref, pkg });
  });
}
