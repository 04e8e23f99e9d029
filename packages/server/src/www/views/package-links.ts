/**
 * Website paths of packages, versions, files and objects. A full name is `ns@host/<url-encoded
 * name>` (as in every package document), which is already the package page's two URL segments.
 */
export function packagePath(fullName: string): string {
  return `/www/packages/${fullName}`;
}

export function versionPath(fullName: string, version: string): string {
  return `${packagePath(fullName)}/v/${encodeURIComponent(version)}`;
}

export function versionsPath(fullName: string): string {
  return `${packagePath(fullName)}/versions`;
}

/** The file browser at a version; `path` is a stored path without `./package/` (empty: the root). */
export function filesPath(fullName: string, version: string, path = ''): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${versionPath(fullName, version)}/files${path ? `/${encoded}` : ''}`;
}

export function diffPath(fullName: string, from: string, to: string): string {
  return `${packagePath(fullName)}/diff/${encodeURIComponent(from)}..${encodeURIComponent(to)}`;
}

/** The raw bytes of an object (`sha512-<base64>`), served by the objects route. */
export function objectPath(integrity: string): string {
  return `/objects/object/sha512/${encodeURIComponent(integrity.slice('sha512-'.length)).replace(/%2F/g, '/')}`;
}

/** `ns@host/<url-encoded name>` → its parts, the name decoded. */
export function splitFullName(fullName: string): { namespace: string; name: string } {
  const slash = fullName.indexOf('/');
  return { namespace: fullName.slice(0, slash), name: decodeURIComponent(fullName.slice(slash + 1)) };
}
