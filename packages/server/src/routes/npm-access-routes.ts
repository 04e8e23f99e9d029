import {
  formatNamespace,
  getNamespace,
  getPackageVisibility,
  listCollaborators,
  listNamespacePackageAccess,
  type PackageRef,
  setPackageVisibility,
} from '@entropic/core';
import { appError, LEGACY, npmNameOf, parseNamespaceSegment, truncate } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NameParams, NpmContext } from './npm-context.ts';
import { requireObjectBody } from './refs.ts';

/**
 * `npm access get status | set status=private|public | list packages | list collaborators`
 * (libnpmaccess's routes) on Entropic's visibility and maintainers (docs/private-packages.md).
 * A private package someone may not read is a name that is not here, as on every read route.
 */
const COUCHDB_USER = 'org.couchdb.user:';

export function registerNpmAccessRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { deps } = ctx;

  /** A local package the principal may read (a legacy name has no access settings here). */
  async function readableRef(request: FastifyRequest, npmName: string): Promise<PackageRef> {
    const ref = await ctx.resolve(npmName);
    if (ref.namespace === LEGACY) throw ctx.notHere(npmName, ref);
    ctx.assertMayExist(npmName, ref);
    if (!(await app.packageReads.mayRead(request, ref))) throw ctx.notHere(npmName, ref);
    return ref;
  }

  app.get<{ Params: NameParams }>('/-/package/:name/visibility', async (request) => {
    const ref = await readableRef(request, request.params.name);
    return { public: !(await getPackageVisibility(deps, { ref })).private };
  });

  // `npm access set status=…` (restricted is npm's word for private); `set mfa=…` is not supported
  app.post<{ Params: NameParams }>('/-/package/:name/access', async (request) => {
    const body = requireObjectBody(request.body);
    if (body.access !== 'public' && body.access !== 'restricted') {
      throw appError('INVALID_FIELD', 'The body must be {"access": "public"} or {"access": "restricted"}; mfa settings are not supported.');
    }
    const ref = await ctx.resolve(request.params.name);
    if (ref.namespace === LEGACY) throw ctx.notHere(request.params.name, ref);
    const visibility = await setPackageVisibility(deps, { principal: request.principal, ref, private: body.access === 'restricted' });
    return { public: !visibility.private };
  });

  app.get<{ Params: NameParams }>('/-/package/:name/collaborators', async (request) => {
    const ref = await readableRef(request, request.params.name);
    return listCollaborators(deps, { principal: request.principal, ref });
  });

  // `npm access list packages <scope|user>`: npm asks /-/org/… first, then /-/user/… on a 404
  const listPackages = async (request: FastifyRequest<{ Params: { scope: string } }>) => {
    const ref = parseNamespaceSegment(request.params.scope.replace(/^@/, ''), deps.host);
    const listed = await listNamespacePackageAccess(deps, { principal: request.principal, ref });
    // the answer depends on who asks: never kept by a shared cache
    request.privateRead = request.principal !== undefined;
    return Object.fromEntries(listed.map((entry) => [npmNameOf(entry.ref, deps.host), entry.permission]));
  };
  // `npm owner add|rm <name>` looks the name up first: owners are namespaces (a user's own, or an
  // organisation), so any namespace of this host answers, its address as the "email"
  app.get<{ Params: { id: string } }>('/-/user/:id', async (request) => {
    const id = request.params.id;
    if (!id.startsWith(COUCHDB_USER)) throw appError('NAMESPACE_NOT_FOUND', `There is no user "${truncate(id)}" here.`);
    const namespace = await getNamespace(deps.repos, parseNamespaceSegment(id.slice(COUCHDB_USER.length), deps.host), deps.host);
    if (namespace.kind === 'system') throw appError('SYSTEM_NAMESPACE', `${namespace.name} is a system namespace.`);
    return { _id: `${COUCHDB_USER}${namespace.name}`, name: namespace.name, email: formatNamespace(namespace, deps.host) };
  });
  app.get<{ Params: { scope: string } }>('/-/org/:scope/package', listPackages);
  app.get<{ Params: { scope: string } }>('/-/user/:scope/package', listPackages);
}
