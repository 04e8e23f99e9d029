import {
  abandonPackage,
  addAdvisory,
  getNamespace,
  getPackageDocument,
  getPackageVisibility,
  getVersionDocument,
  listAdvisories,
  listDistTags,
  listPackages,
  listVersions,
  putPackage,
  removeAdvisory,
  removeDistTag,
  setDistTag,
  setPackageVisibility,
  signPackageDocument,
  signVersionDocument,
  yankVersion,
} from '@entropic/core';
import { appError, parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { sendCachedJson } from './cached-json.ts';
import { type PackageParams, packageGroup, parsePackageRef, parseVersionParam, requireObjectBody, requirePrivateField } from './refs.ts';

type ListQuery = { Querystring: { limit?: string; cursor?: string } };

export function registerPackageRoutes(app: FastifyInstance): void {
  const { deps } = app;
  const base = '/packages/package/:namespace/:name';

  app.get<ListQuery>('/packages', async (request) =>
    listPackages(deps, { principal: request.principal, filter: { kind: 'all' }, ...request.query }),
  );

  app.get<ListQuery & { Params: { namespace: string } }>('/packages/authored-by/:namespace', async (request) => {
    const namespace = parseNamespaceSegment(request.params.namespace, deps.host);
    const ns = await getNamespace(deps.repos, namespace, deps.host);
    return listPackages(deps, { principal: request.principal, filter: { kind: 'authored-by', namespaceId: ns.id }, ...request.query });
  });

  app.get<ListQuery & { Params: { namespace: string } }>('/packages/maintained-by/:namespace', async (request) => {
    const namespace = parseNamespaceSegment(request.params.namespace, deps.host);
    const ns = await getNamespace(deps.repos, namespace, deps.host);
    return listPackages(deps, { principal: request.principal, filter: { kind: 'maintained-by', namespaceId: ns.id }, ...request.query });
  });

  app.get<{ Params: PackageParams }>(base, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    // a remote package: the origin's document as verified here, with the origin's own signatures
    if (ref.host !== deps.host) return app.federation.packageDocument(ref);
    await app.packageReads.assert(request, ref);
    // signed with this host's key: the package statement (docs/federation.md) travels with the document
    return sendCachedJson(request, reply, packageGroup(ref), 'doc', async () =>
      signPackageDocument(await getPackageDocument(deps, { ref }), (statement) => deps.keyring.sign(statement)),
    );
  });

  app.put<{ Params: PackageParams }>(base, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    const body = requireObjectBody(request.body);
    const result = await putPackage(deps, { principal: request.principal, ref, requireTfa: body.require_tfa });
    return reply.code(result.created ? 201 : 200).send(result.document);
  });

  app.delete<{ Params: PackageParams }>(base, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    await abandonPackage(deps, { principal: request.principal, ref });
    return reply.code(204).send();
  });

  app.get<{ Params: PackageParams }>(`${base}/versions`, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    if (ref.host !== deps.host) return (await app.federation.packageDocument(ref)).versions;
    await app.packageReads.assert(request, ref);
    return sendCachedJson(request, reply, packageGroup(ref), 'versions', () => listVersions(deps, { ref }));
  });

  app.get<{ Params: PackageParams & { version: string } }>(`${base}/versions/:version`, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    const version = parseVersionParam(request.params.version);
    // a remote version: mirrored (document and files by hash, checked) before it is served
    if (ref.host !== deps.host) await app.federation.prepareVersion(ref, version);
    await app.packageReads.assert(request, ref);
    await sendCachedJson(request, reply, packageGroup(ref), `v:${version}`, async () =>
      signVersionDocument(await getVersionDocument(deps, { ref, version }), (statement) => deps.keyring.sign(statement)),
    );
    // what `ds install` fetches once per version it installs (its files come by integrity): a download
    if (reply.statusCode === 200 && request.method === 'GET') app.downloads?.count(ref, version);
    return reply;
  });

  app.delete<{ Params: PackageParams & { version: string } }>(`${base}/versions/:version`, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    const version = parseVersionParam(request.params.version);
    await yankVersion(deps, { principal: request.principal, ref, version });
    return reply.code(204).send();
  });

  app.get<{ Params: PackageParams }>(`${base}/access`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    await app.packageReads.assert(request, ref);
    return getPackageVisibility(deps, { ref });
  });

  app.put<{ Params: PackageParams }>(`${base}/access`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    return setPackageVisibility(deps, { principal: request.principal, ref, private: requirePrivateField(request.body) });
  });

  // security advisories maintainers publish (issue 10.4): `npm audit` and `ds audit` read them
  app.get<{ Params: PackageParams }>(`${base}/advisories`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    await app.packageReads.assert(request, ref);
    return listAdvisories(deps, { ref });
  });

  app.post<{ Params: PackageParams }>(`${base}/advisories`, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    const advisory = await addAdvisory(deps, { principal: request.principal, ref, advisory: requireObjectBody(request.body) as never });
    return reply.code(201).send(advisory);
  });

  app.delete<{ Params: PackageParams & { id: string } }>(`${base}/advisories/:id`, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    const id = /^\d{1,9}$/.test(request.params.id) ? Number(request.params.id) : Number.NaN;
    if (Number.isNaN(id)) throw appError('ADVISORY_NOT_FOUND', 'An advisory id is a whole number.');
    await removeAdvisory(deps, { principal: request.principal, ref, id });
    return reply.code(204).send();
  });

  app.get<{ Params: PackageParams }>(`${base}/dist-tags`, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    if (ref.host !== deps.host) return (await app.federation.packageDocument(ref)).tags;
    await app.packageReads.assert(request, ref);
    return sendCachedJson(request, reply, packageGroup(ref), 'tags', () => listDistTags(deps, { ref }));
  });

  app.put<{ Params: PackageParams & { tag: string } }>(`${base}/dist-tags/:tag`, async (request) => {
    const ref = parsePackageRef(request.params, deps.host);
    const body = requireObjectBody(request.body);
    if (typeof body.version !== 'string') throw appError('INVALID_FIELD', 'The body must be {"version": "x.y.z"}.');
    return setDistTag(deps, {
      principal: request.principal,
      ref,
      tag: request.params.tag,
      version: parseVersionParam(body.version),
    });
  });

  app.delete<{ Params: PackageParams & { tag: string } }>(`${base}/dist-tags/:tag`, async (request, reply) => {
    const ref = parsePackageRef(request.params, deps.host);
    await removeDistTag(deps, { principal: request.principal, ref, tag: request.params.tag });
    return reply.code(204).send();
  });
}
