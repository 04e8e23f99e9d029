import { findNamespace, type PackageRef, type Repositories } from '@entropic/core';
import {
  type Host,
  isValidNamespaceName,
  LEGACY,
  type NamespaceName,
  npmNameOf,
  parseFederatedNpmName,
  parsePackageName,
} from '@entropic/types';

const SCOPED_RE = /^@([^/]+)\/([^/]+)$/;

/**
 * npm name → Entropic package: a name under the federated scope (`@entropic.remote/…`) is the
 * remote package it maps, and nothing else (INVALID_PACKAGE_NAME when it maps none); `@ns/name`
 * is `ns@<this host>/name` when `ns` is a namespace here (a local namespace always wins over the
 * upstream, so its scope cannot be confused with an upstream one); anything else (unscoped, or a
 * scope that is not a namespace here) is the `legacy` package of that exact npm name.
 */
export async function resolveNpmName(repos: Repositories, localHost: Host, npmName: string): Promise<PackageRef> {
  const federated = parseFederatedNpmName(npmName);
  if (federated) return federated;
  const scoped = SCOPED_RE.exec(npmName);
  if (scoped) {
    const scope = scoped[1] as string;
    const name = scoped[2] as string;
    if (scope !== LEGACY && isValidNamespaceName(scope)) {
      const namespace = scope as NamespaceName;
      if (await findNamespace(repos, { namespace, host: localHost }, localHost)) {
        return { namespace, host: localHost, name: parsePackageName(name, namespace) };
      }
    }
  }
  return { namespace: LEGACY, host: localHost, name: parsePackageName(npmName, LEGACY) };
}

/** A stored canonical dependency name (`ns@host/<url-encoded name>`) → its parts. */
export function refOfCanonical(canonical: string): { namespace: string; host: string; name: string } {
  const slash = canonical.indexOf('/');
  const head = canonical.slice(0, slash);
  const at = head.indexOf('@');
  return { namespace: head.slice(0, at), host: head.slice(at + 1), name: decodeURIComponent(canonical.slice(slash + 1)) };
}

/** A stored canonical dependency name → its npm name (`npmNameOf`). */
export function npmNameOfCanonical(canonical: string, localHost: Host): string {
  return npmNameOf(refOfCanonical(canonical), localHost);
}

/** The file name npm gives a version's tarball: `lib-1.0.0.tgz` for `@alice/lib`. */
export function npmTarballFile(npmName: string, version: string): string {
  return `${npmName.slice(npmName.lastIndexOf('/') + 1)}-${version}.tgz`;
}

/** The version a tarball file name stands for, or undefined when it does not belong to the package. */
export function versionOfTarballFile(npmName: string, file: string): string | undefined {
  const base = `${npmName.slice(npmName.lastIndexOf('/') + 1)}-`;
  if (!file.startsWith(base) || !file.endsWith('.tgz')) return undefined;
  return file.slice(base.length, -'.tgz'.length);
}
