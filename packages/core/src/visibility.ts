import { appError, formatPackageName, type NamespaceName, type NamespaceRef, type PackageName } from '@entropic/types';
import { assertLocal, assertMaySetNamespaceVisibility, assertMaySetPackageVisibility } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { getNamespace } from './namespaces.ts';
import { getPackage } from './packages.ts';
import type { PackageRef, PackageRow } from './ports/records.ts';
import type { Principal } from './principal.ts';

/** A package's visibility as `GET`/`PUT …/access` answer it. */
export interface PackageVisibility {
  /** effective: reads need read access */
  private: boolean;
  /** the package's own setting */
  package_private: boolean;
  /** its namespace's setting (a private namespace makes every package in it private) */
  namespace_private: boolean;
}

function visibilityOf(row: PackageRow): PackageVisibility {
  return { private: row.private, package_private: row.package_private, namespace_private: row.namespace_private };
}

/** A package's visibility (the caller has checked read access). */
export async function getPackageVisibility(deps: CoreDeps, input: { ref: PackageRef }): Promise<PackageVisibility> {
  return visibilityOf(await getPackage(deps.repos, input.ref, deps.host));
}

/** Whether a namespace is private (namespace names are not secret: creating a taken one says so anyway). */
export async function getNamespaceVisibility(deps: CoreDeps, input: { ref: NamespaceRef }): Promise<{ private: boolean }> {
  return { private: (await getNamespace(deps.repos, input.ref, deps.host)).private };
}

/**
 * Makes a package private or public (issue 9.1): its maintainers, on this registry's own
 * namespaces. A package of a private namespace cannot be made public on its own.
 */
export async function setPackageVisibility(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: PackageRef; private: boolean },
): Promise<PackageVisibility> {
  const { ref } = input;
  assertLocal(ref, deps.host);
  const result = await deps.uow.transaction(async (repos) => {
    const pkg = await getPackage(repos, ref, deps.host);
    await assertMaySetPackageVisibility(repos, input.principal, {
      id: pkg.id,
      fullName: formatPackageName(ref),
      namespaceId: pkg.namespace_id,
    });
    const namespacePrivate = pkg.namespace_private;
    if (!input.private && namespacePrivate) {
      throw appError('NAMESPACE_IS_PRIVATE', `"${ref.namespace}@${ref.host}" is private, so all its packages are.`, {
        hint: 'Make the namespace public first, then make the other packages private one by one.',
      });
    }
    const changed = pkg.package_private !== input.private;
    if (changed) await repos.packages.update(pkg.id, { private: input.private, modifiedAt: deps.clock.now() });
    return {
      changed,
      visibility: { private: input.private || namespacePrivate, package_private: input.private, namespace_private: namespacePrivate },
    };
  });
  // cached object verdicts (here and in other processes) are dropped before this answers
  if (result.changed) await deps.events.emit({ type: 'visibility-changed' });
  // cached reads (here and in other processes) drop the package's group, its visibility with it
  await deps.events.emit({ type: 'package-changed', ref });
  return result.visibility;
}

/** Makes a namespace (and so every package in it) private or public: an accepted member of it. */
export async function setNamespaceVisibility(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: NamespaceRef; private: boolean },
): Promise<{ private: boolean }> {
  const { ref } = input;
  assertLocal(ref, deps.host);
  const result = await deps.uow.transaction(async (repos) => {
    const namespace = await getNamespace(repos, ref, deps.host);
    await assertMaySetNamespaceVisibility(repos, input.principal, namespace);
    const changed = namespace.private !== input.private;
    if (changed) await repos.namespaces.setPrivate(namespace.id, input.private);
    return { changed, names: await repos.namespaces.listPackageNames(namespace.id) };
  });
  const { changed, names } = result;
  // cached object verdicts (here and in other processes) are dropped before this answers
  if (changed) await deps.events.emit({ type: 'visibility-changed' });
  for (const name of names) {
    await deps.events.emit({
      type: 'package-changed',
      ref: { namespace: ref.namespace as NamespaceName, host: ref.host, name: name as PackageName },
    });
  }
  return { private: input.private };
}
