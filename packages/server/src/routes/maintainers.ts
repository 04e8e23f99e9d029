import { inviteMaintainer, listMaintainers, removeMaintainer } from '@entropic/core';
import { parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { type PackageParams, packageGroup, parsePackageRef } from './refs.ts';

/** A package's maintainer namespaces and their invitations (API.md §3). */
export function registerMaintainerRoutes(app: FastifyInstance): void {
  const { deps, responseCache } = app;
  const base = '/packages/package/:namespace/:name/maintainers';

  app.get<{ Params: PackageParams; Querystring: { limit?: string; cursor?: string; status?: string } }>(base, async (request) =>
    listMaintainers(deps, parsePackageRef(request.params, deps.host), request.query),
  );

  app.post<{ Params: PackageParams & { invitee: string } }>(`${base}/:invitee`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    const result = await inviteMaintainer(deps, request.principal, ref, parseNamespaceSegment(request.params.invitee, deps.host));
    await responseCache.invalidate(packageGroup(ref));
    return result;
  });

  app.delete<{ Params: PackageParams & { invitee: string } }>(`${base}/:invitee`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    const result = await removeMaintainer(deps, request.principal, ref, parseNamespaceSegment(request.params.invitee, deps.host));
    await responseCache.invalidate(packageGroup(ref));
    return result;
  });
}
