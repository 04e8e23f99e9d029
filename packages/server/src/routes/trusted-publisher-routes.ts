import { addTrustedPublisher, listTrustedPublishers, removeTrustedPublisher } from '@entropic/core';
import type { FastifyInstance } from 'fastify';
import { type PackageParams, parsePackageRef, requireObjectBody } from './refs.ts';

/** A package's trusted publishers (issue 10.2, API.md): the CI identities allowed to publish it. */
export function registerTrustedPublisherRoutes(app: FastifyInstance): void {
  const { deps } = app;
  const base = '/packages/package/:namespace/:name/trusted-publishers';

  app.get<{ Params: PackageParams }>(base, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    await app.packageReads.assert(request, ref);
    return { objects: await listTrustedPublishers(deps, { principal: request.principal, ref }) };
  });

  app.post<{ Params: PackageParams }>(base, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    await app.packageReads.assert(request, ref);
    const body = requireObjectBody(request.body);
    const created = await addTrustedPublisher(deps, {
      principal: request.principal,
      ref,
      issuer: body.issuer,
      claims: body.claims,
      allowedIssuers: deps.config.security.trustedPublishingIssuers,
    });
    return reply.code(201).send(created);
  });

  app.delete<{ Params: PackageParams & { id: string } }>(`${base}/:id`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    await app.packageReads.assert(request, ref);
    await removeTrustedPublisher(deps, { principal: request.principal, ref, id: request.params.id });
    return { ok: true };
  });
}
