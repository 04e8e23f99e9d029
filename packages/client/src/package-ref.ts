/** A package on a registry: `namespace@host/name` (the name unencoded). */
export interface PackageRef {
  namespace: string;
  host: string;
  name: string;
}

/** `ns@host/name` with the name URL-encoded: the canonical form the registry answers with. */
export function formatPackageRef(ref: PackageRef): string {
  return `${ref.namespace}@${ref.host}/${encodeURIComponent(ref.name)}`;
}

/** Parses a canonical `ns@host/<encoded name>` as found in package and version documents. */
export function parseCanonicalPackageName(canonical: string): PackageRef | undefined {
  const match = /^([a-z0-9-]+)@([^/]+)\/(.+)$/.exec(canonical);
  if (!match) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(match[3] as string);
  } catch {
    return undefined;
  }
  return { namespace: match[1] as string, host: match[2] as string, name };
}

/** The URL path of a package on the registry. */
export function packagePath(ref: PackageRef): string {
  return `/packages/package/${ref.namespace}@${ref.host}/${encodeURIComponent(ref.name)}`;
}
