import type { NamespaceName, NamespaceRef, PackageName } from '@entropic/types';
import { listReadablePackages } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { getNamespace } from './namespaces.ts';
import { getReadablePackage } from './packages.ts';
import type { PackageRef } from './ports/records.ts';
import type { Principal } from './principal.ts';

/** What someone may do with a package, in npm's words: read it, or read and publish it. */
export type PackagePermission = 'read' | 'write';

/** The most rows an access listing gives (npm's answers are one object, not pages). */
const MAX_LISTED = 1000;

/**
 * `npm access list collaborators`: the users who may publish the package (accepted members of
 * its accepted maintainer namespaces), for whoever may read it; a private package someone may
 * not read is PACKAGE_NOT_FOUND.
 */
export async function listCollaborators(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: PackageRef },
): Promise<Record<string, PackagePermission>> {
  const pkg = await getReadablePackage(deps.repos, input.principal, input.ref, deps.host, deps.grants);
  const users = await deps.repos.teams.listMaintainerUsers(pkg.id, MAX_LISTED);
  return Object.fromEntries(users.map((user) => [user, 'write' as const]));
}

/**
 * `npm access list packages <scope>`: the packages a namespace maintains that the principal may
 * read, each with the principal's permission (`write` when they maintain it).
 */
export async function listNamespacePackageAccess(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: NamespaceRef },
): Promise<Array<{ ref: PackageRef; permission: PackagePermission }>> {
  const namespace = await getNamespace(deps.repos, input.ref, deps.host);
  const rows = await deps.repos.packages.list({
    filter: { kind: 'maintained-by', namespaceId: namespace.id },
    afterId: 0,
    limit: MAX_LISTED,
  });
  const readable = await listReadablePackages(deps.repos, input.principal, rows, deps.grants);
  const shown = rows.filter((row) => readable.has(row.id));
  const maintained = new Set(
    input.principal
      ? await deps.repos.teams.listMaintainedAmong(
          input.principal.userId,
          shown.map((row) => row.id),
        )
      : [],
  );
  return shown.map((row) => ({
    ref: {
      namespace: row.namespace_name as NamespaceName,
      host: (row.namespace_host ?? deps.host) as PackageRef['host'],
      name: row.name as PackageName,
    },
    permission: maintained.has(row.id) ? 'write' : 'read',
  }));
}
