import semver from 'semver';
import { appError } from './errors.ts';

/** Branded ids, parsed once at the edge. */
export type Brand<T, B extends string> = T & { readonly __brand: B };
export type NamespaceName = Brand<string, 'NamespaceName'>;
export type PackageName = Brand<string, 'PackageName'>;
export type Version = Brand<string, 'Version'>;
export type Integrity = Brand<string, 'Integrity'>;
export type Host = Brand<string, 'Host'>;

export const LEGACY = 'legacy' as NamespaceName;
export const ABANDONWARE = 'abandonware' as NamespaceName;

/** Names nobody may register as a user or namespace. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'legacy',
  'abandonware',
  'www',
  'api',
  'admin',
  'objects',
  'packages',
  'auth',
  'namespaces',
  'users',
  'static',
  'root',
  'entropic',
  'registry',
  'login',
  'logout',
  'signup',
  'tokens',
  'invitation',
  'invitations',
  'npm',
  'node',
  'support',
  'help',
  'security',
  'system',
]);

const NAMESPACE_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** `EXTERNAL_HOST` minus its scheme: `http://localhost:3000` → `localhost:3000`. */
export function hostFromUrl(url: string): Host {
  return new URL(url).host as Host;
}

export function isValidNamespaceName(name: string): boolean {
  return name.length >= 2 && name.length <= 64 && NAMESPACE_RE.test(name);
}

/** Validates a name for registration (user or organisation): format and reservation. */
export function parseNewNamespaceName(name: string, kind: 'namespace' | 'username' = 'namespace'): NamespaceName {
  const code = kind === 'username' ? 'INVALID_USERNAME' : 'INVALID_NAMESPACE';
  if (!isValidNamespaceName(name)) {
    throw appError(code, `"${truncate(name)}" is not a valid ${kind}: use 2–64 characters of a-z, 0-9 and single inner hyphens.`);
  }
  if (RESERVED_NAMES.has(name)) throw appError('RESERVED_NAME', `"${name}" is reserved.`);
  return name as NamespaceName;
}

/** Validates the name of an existing namespace as it appears in a URL (legacy and abandonware allowed). */
export function parseNamespaceName(name: string): NamespaceName {
  if (!isValidNamespaceName(name)) {
    throw appError('INVALID_NAMESPACE', `"${truncate(name)}" is not a valid namespace name.`);
  }
  return name as NamespaceName;
}

export interface NamespaceRef {
  namespace: NamespaceName;
  host: Host;
}

/**
 * Parses the `namespace@host` URL segment; a bare `namespace` means this host.
 * Remote hosts parse fine; the caller decides whether it can serve them.
 */
export function parseNamespaceSegment(segment: string, localHost: Host): NamespaceRef {
  const at = segment.indexOf('@');
  const namespace = at === -1 ? segment : segment.slice(0, at);
  const host = at === -1 ? localHost : segment.slice(at + 1);
  if (host.length === 0 || host.length > 255 || !/^[a-z0-9.-]+(?::\d{1,5})?$/i.test(host)) {
    throw appError('INVALID_NAMESPACE', `"${truncate(segment)}" does not name a valid host.`);
  }
  return { namespace: parseNamespaceName(namespace), host: host.toLowerCase() as Host };
}

const URL_SAFE_RE = /^[a-z0-9\-._~]+$/;
const LEGACY_SAFE_RE = /^[A-Za-z0-9\-._~!'()*]+$/;

/**
 * npm's rules for new names in modern namespaces; npm's legacy rules (scopes, upper case) in
 * `legacy`.
 */
export function parsePackageName(name: string, namespace: string): PackageName {
  const problem = packageNameProblem(name, namespace);
  if (problem) throw appError('INVALID_PACKAGE_NAME', `"${truncate(name)}" is not a valid package name: ${problem}.`);
  return name as PackageName;
}

export function packageNameProblem(name: string, namespace: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.length > 214) return 'it is longer than 214 characters';
  if (name.trim() !== name) return 'it has leading or trailing spaces';
  if (name === 'node_modules' || name === 'favicon.ico') return 'it is a reserved name';
  if (namespace === LEGACY) {
    const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
    const parts = scoped ? [scoped[1] ?? '', scoped[2] ?? ''] : [name];
    if (!scoped && name.includes('/')) return 'only @scope/name may contain a slash';
    for (const part of parts) {
      if (part.startsWith('.') || part.startsWith('_')) return 'it cannot start with . or _';
      if (!LEGACY_SAFE_RE.test(part)) return 'it contains characters that are not URL-safe';
    }
    return undefined;
  }
  if (name.startsWith('@')) return 'only packages in the legacy namespace can be scoped';
  if (name.startsWith('.') || name.startsWith('_')) return 'it cannot start with . or _';
  if (name.toLowerCase() !== name) return 'it must be lower case';
  if (!URL_SAFE_RE.test(name)) return 'it may only contain a-z, 0-9, -, ., _ and ~';
  return undefined;
}

/** Canonical semver only: `semver.clean(v) === v`, no build metadata. */
export function parseVersion(version: string): Version {
  const cleaned = semver.clean(version);
  if (cleaned !== version || version.includes('+')) {
    const suggestion = cleaned && !version.includes('+') ? cleaned : semver.valid(semver.coerce(version));
    throw appError('INVALID_VERSION', `"${truncate(version)}" is not canonical semver${suggestion ? `; try "${suggestion}"` : ''}.`, {
      ...(suggestion ? { hint: `Use "${suggestion}".` } : {}),
    });
  }
  return version as Version;
}

export function parseRange(range: unknown, field: string, dependency: string): string {
  if (typeof range !== 'string' || range.length > 256 || semver.validRange(range) === null) {
    throw appError(
      'INVALID_DEPENDENCY',
      `Invalid semver range in "${field}" for "${truncate(dependency)}": ${truncate(JSON.stringify(range) ?? String(range))}.`,
    );
  }
  return range;
}

export interface PackageSpec {
  namespace: NamespaceName;
  host: Host;
  name: PackageName;
}

/** `ns@host/name` with the name URL-encoded: the canonical full name used in every response. */
export function formatPackageName(spec: PackageSpec): string {
  return `${spec.namespace}@${spec.host}/${encodeURIComponent(spec.name)}`;
}

/**
 * Canonicalises a dependency name: `ns@host/name`, `ns/name` (this host), a name under the
 * federated npm scope (the remote package it maps), or a bare or `@scope/name` npm name (meaning
 * `legacy@<this host>/<name>`).
 */
export function parseDependencyName(raw: string, localHost: Host): PackageSpec {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 512) {
    throw appError('INVALID_DEPENDENCY', `Invalid dependency name "${truncate(String(raw))}".`);
  }
  try {
    const federated = parseFederatedNpmName(raw);
    if (federated) return federated;
    if (raw.startsWith('@') || !raw.includes('/')) {
      return { namespace: LEGACY, host: localHost, name: parsePackageName(raw, LEGACY) };
    }
    const slash = raw.indexOf('/');
    const ref = parseNamespaceSegment(raw.slice(0, slash), localHost);
    const name = decodeURIComponentSafe(raw.slice(slash + 1));
    return { ...ref, name: parsePackageName(name, ref.namespace) };
  } catch (error) {
    throw appError('INVALID_DEPENDENCY', `Invalid dependency name "${truncate(raw)}": ${(error as Error).message}`);
  }
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw appError('INVALID_PACKAGE_NAME', `"${truncate(value)}" is not correctly percent-encoded.`);
  }
}

export function truncate(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/**
 * The npm scope of every remote package (docs/decisions/federation.md): `ns@host/name` of another
 * host is `@entropic.remote/<ns>.<host, its ":" as "_">__<name>` on every Entropic registry. No
 * namespace can be named so (a dot), and the legacy mirror never asks its upstream for a name
 * under it, so no upstream npm package can take a federated name.
 */
export const FEDERATED_SCOPE = 'entropic.remote';
const FEDERATED_PREFIX = `@${FEDERATED_SCOPE}/`;
const FEDERATED_RE = /^([a-z0-9]+(?:-[a-z0-9]+)*)\.([a-z0-9.-]+(?:_\d{1,5})?)__(.+)$/;

/** True for any name under the federated scope (in any case): such a name is never a legacy (upstream) name. */
export function isFederatedNpmName(npmName: string): boolean {
  return npmName.slice(0, FEDERATED_PREFIX.length).toLowerCase() === FEDERATED_PREFIX;
}

/** `ns@host/name` of another host → its npm name under the federated scope. */
export function federatedNpmName(ref: { namespace: string; host: string; name: string }): string {
  return `${FEDERATED_PREFIX}${ref.namespace}.${ref.host.replace(':', '_')}__${ref.name}`;
}

/**
 * An npm name under the federated scope → the package it names (the inverse of
 * `federatedNpmName`); undefined for names outside the scope; INVALID_PACKAGE_NAME for a name
 * under the scope that names no package (it is never looked up anywhere else).
 */
export function parseFederatedNpmName(npmName: string): PackageSpec | undefined {
  if (!isFederatedNpmName(npmName)) return undefined;
  const match = FEDERATED_RE.exec(npmName.slice(FEDERATED_PREFIX.length));
  const invalid = (why: string) =>
    appError('INVALID_PACKAGE_NAME', `"${truncate(npmName)}" is not a federated npm name: ${why}.`, {
      hint: `Remote packages are named ${FEDERATED_PREFIX}<namespace>.<host, ":" written "_">__<name>.`,
    });
  if (!npmName.startsWith(FEDERATED_PREFIX) || !match) throw invalid('it does not read as <namespace>.<host>__<name>');
  const [, namespace, host, name] = match as unknown as [string, string, string, string];
  if (namespace === LEGACY) throw invalid('legacy packages keep their npm names');
  const port = /_(\d{1,5})$/.exec(host);
  if (port && (String(Number(port[1])) !== port[1] || Number(port[1]) > 65535)) throw invalid('its port is not a port');
  if (packageNameProblem(name, namespace)) throw invalid(packageNameProblem(name, namespace) as string);
  return { namespace: namespace as NamespaceName, host: host.replace('_', ':') as Host, name: name as PackageName };
}

/**
 * Entropic package → npm name: `@ns/name` here, the bare name for `legacy` (the upstream's name,
 * whichever host mirrored it), the federated scope for other hosts' packages (npm's
 * resolveNpmName inverts it).
 */
export function npmNameOf(ref: { namespace: string; host: string; name: string }, localHost: Host): string {
  if (ref.namespace === LEGACY) return ref.name;
  return ref.host === localHost ? `@${ref.namespace}/${ref.name}` : federatedNpmName(ref);
}
