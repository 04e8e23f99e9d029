import { inviteMaintainer, listMaintainers, removeMaintainer } from '@entropic/core';
import { parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { type PackageParams, parsePackageRef } from './refs.ts';

/** A package's maintainer namespaces and their invitations (API.md §3). */
export function registerMaintainerRoutes(app: FastifyInstance): void {
  const { deps } = app;
  const base = '/packages/package/:namespace/:name/maintainers';

  app.get<{ Params: PackageParams; Querystring: { limit?: string; cursor?: string; status?: string } }>(base, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    await app.packageReads.assert(request, ref);
    return listMaintainers(deps, { ...request.query, ref });
  });

  app.post<{ Params: PackageParams & { invitee: string } }>(`${base}/:invitee`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    const invitee = parseNamespaceSegment(request.params.invitee, deps.host);
    return inviteMaintainer(deps, { principal: request.principal, ref, invitee });
  });

  app.delete<{ Params: PackageParams & { invitee: string } }>(`${base}/:invitee`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    const invitee = parseNamespaceSegment(request.params.invitee, deps.host);
    return removeMaintainer(deps, { principal: request.principal, ref, invitee });
  });
}
