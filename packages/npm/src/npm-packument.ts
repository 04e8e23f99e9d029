import { type CoreDeps, findPackage, getPackage, type PackageRef, type TrustedIdentity } from '@entropic/core';
import { appError, type DependencyMap, federatedNpmName, type Host, type HostSignature, LEGACY, npmNameOf } from '@entropic/types';
import semver from 'semver';
import { npmTarballFile, refOfCanonical } from './npm-names.ts';
import { listNpmOwners, type NpmOwner } from './npm-owners.ts';

/** package.json fields npm, pnpm and yarn read from a packument (dependencies come from the version). */
const MANIFEST_FIELDS = [
  'description',
  'keywords',
  'homepage',
  'bugs',
  'license',
  'author',
  'contributors',
  'repository',
  'funding',
  'main',
  'module',
  'browser',
  'types',
  'typings',
  'type',
  'exports',
  'imports',
  'bin',
  'man',
  'directories',
  'engines',
  'os',
  'cpu',
  'libc',
  'scripts',
  'gypfile',
  'peerDependenciesMeta',
  'acceptDependencies',
  '_hasShrinkwrap',
] as const;

const ABBREVIATED_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'acceptDependencies',
  'bin',
  'directories',
  'dist',
  'engines',
  'os',
  'cpu',
  'libc',
  'funding',
  '_hasShrinkwrap',
  'hasInstallScript',
] as const;

export const YANKED_MESSAGE = 'This version was yanked by its maintainers.';

/**
 * The `deprecated` text npm clients see for a version: the maintainer's message, and for a yanked
 * version the yank notice (with the message after it, if any), so npm never picks it for a range.
 * '' when the version is neither.
 */
export function npmDeprecation(version: { yanked: boolean; deprecated: string | null }): string {
  if (version.yanked) return version.deprecated ? `${YANKED_MESSAGE} ${version.deprecated}` : YANKED_MESSAGE;
  return version.deprecated ?? '';
}

export type Json = Record<string, unknown>;

/** Picks what clients need from a package.json, and whether installing it runs scripts. */
export function pickManifest(packageJson: unknown, hasBindingGyp = false): Json {
  const out: Json = {};
  if (packageJson === null || typeof packageJson !== 'object' || Array.isArray(packageJson)) return out;
  const source = packageJson as Json;
  for (const field of MANIFEST_FIELDS) if (source[field] !== undefined) out[field] = source[field];
  const scripts = (source.scripts ?? {}) as Json;
  if (hasBindingGyp || source.gypfile === true || ['preinstall', 'install', 'postinstall'].some((s) => typeof scripts[s] === 'string')) {
    out.hasInstallScript = true;
  }
  return out;
}

export interface NpmVersionRecord {
  version: string;
  yanked: boolean;
  /** the maintainer's deprecation message; null: not deprecated */
  deprecated: string | null;
  created: Date;
  dependencies: DependencyMap;
  devDependencies: DependencyMap;
  peerDependencies: DependencyMap;
  optionalDependencies: DependencyMap;
  bundledDependencies: DependencyMap;
  fileCount: number;
  unpackedSize: number;
  tarball: { integrity: string; shasum: string };
  manifest: Json;
  /** published with a trusted-publishing token: the CI identity (issue 10.2) */
  publishedBy?: TrustedIdentity | null;
  /** the predicate types of the version's stored attestations (issue 10.3) */
  attestations?: string[];
}

/** Builds a version's npm tarball now when its job has not run yet (`NpmTarballBuilder.buildById`). */
export type BuildNpmTarball = (versionId: number) => Promise<unknown>;

/**
 * Every version of a package whose npm tarball is recorded, in semver order. With `build`, a
 * version whose tarball is not recorded yet (its `npm-tarball` job still queued) is built first,
 * so the packument shows every published version; without it (the mirror's `legacy` packages,
 * whose tarball is recorded as they are stored) such a version is left out.
 */
export async function listNpmVersions(deps: CoreDeps, input: { packageId: number; build?: BuildNpmTarball }): Promise<NpmVersionRecord[]> {
  let rows = await deps.repos.npmTarballs.listVersions(input.packageId);
  const { build } = input;
  const unbuilt = build ? rows.filter((row) => !row.tarball_integrity) : [];
  if (build && unbuilt.length > 0) {
    await Promise.all(unbuilt.map((row) => build(row.id)));
    rows = await deps.repos.npmTarballs.listVersions(input.packageId);
  }
  rows.sort((a, b) => semver.compare(a.version, b.version));
  const records: NpmVersionRecord[] = [];
  for (const row of rows) {
    if (!row.tarball_integrity || !row.shasum) continue;
    records.push({
      version: row.version,
      yanked: row.yanked,
      deprecated: row.deprecated,
      created: row.created_at,
      dependencies: row.dependencies,
      devDependencies: row.dev_dependencies,
      peerDependencies: row.peer_dependencies,
      optionalDependencies: row.optional_dependencies,
      bundledDependencies: row.bundled_dependencies,
      fileCount: row.file_count,
      unpackedSize: Number(row.total_bytes),
      tarball: { integrity: row.tarball_integrity, shasum: row.shasum },
      manifest: (row.manifest ?? {}) as Json,
      publishedBy: row.published_by,
    });
  }
  return records;
}

/**
 * The tarball blob of a local version, or undefined when the version does not exist (or its
 * tarball is not recorded and there is no `build` to build it now).
 */
export async function findNpmTarball(
  deps: CoreDeps,
  input: { ref: PackageRef; version: string; build?: BuildNpmTarball },
): Promise<string | undefined> {
  const pkg = await findPackage(deps.repos, input.ref, deps.host);
  if (!pkg) return undefined;
  let row = await deps.repos.npmTarballs.findByPackageId(pkg.id, input.version);
  if (row && row.integrity === null && input.build) {
    await input.build(row.versionId);
    row = await deps.repos.npmTarballs.findByPackageId(pkg.id, input.version);
  }
  return row?.integrity ?? undefined;
}

/**
 * Canonical dependency names → npm's. A remote package (`ns@otherhost/name`) is an npm alias:
 * `"@ns/name": "npm:@entropic.remote/ns.otherhost__name@<range>"`, so npm, pnpm and yarn fetch it
 * by its federated name (never an upstream one) and install it where `ds` does and where its
 * origin's npm users have it (`node_modules/@ns/name`): its code's `require`s work on every host.
 * When that key is taken (a local `@ns/name` in the same map), the federated name is the key.
 */
export function translateDependencies(map: DependencyMap, localHost: Host): DependencyMap {
  const out: DependencyMap = {};
  const remote: Array<[ReturnType<typeof refOfCanonical>, string]> = [];
  for (const [name, range] of Object.entries(map)) {
    const ref = refOfCanonical(name);
    if (ref.host === localHost || ref.namespace === LEGACY) out[npmNameOf(ref, localHost)] = range;
    else remote.push([ref, range]);
  }
  for (const [ref, range] of remote) {
    const key = `@${ref.namespace}/${ref.name}`;
    if (key in out) out[federatedNpmName(ref)] = range;
    else out[key] = `npm:${federatedNpmName(ref)}@${range}`;
  }
  return out;
}

export interface Packuments {
  full: Json;
  abbreviated: Json;
}

export function abbreviateVersion(manifest: Json): Json {
  const out: Json = {};
  for (const field of ABBREVIATED_FIELDS) if (manifest[field] !== undefined) out[field] = manifest[field];
  return out;
}

/**
 * Signs npm's registry-signature message of a version (`<name>@<version>:<tarball integrity>`)
 * with this host's current key: `dist.signatures`, which `npm audit signatures` checks against
 * `GET /-/npm/v1/keys`.
 */
export type SignNpmVersion = (message: string) => HostSignature[];

/** npm's registry-signature message: what `pacote` verifies (`${_id}:${_integrity}`). */
export function npmSignatureMessage(npmName: string, version: string, integrity: string): string {
  return `${npmName}@${version}:${integrity}`;
}

/** The npm view of one stored version (signed when `sign` is given). */
export function renderNpmVersion(
  npmName: string,
  record: NpmVersionRecord,
  tarballUrl: string,
  localHost: Host,
  sign?: SignNpmVersion,
): Json {
  const view: Json = {
    ...record.manifest,
    name: npmName,
    version: record.version,
    _id: `${npmName}@${record.version}`,
    dependencies: translateDependencies(record.dependencies, localHost),
    optionalDependencies: translateDependencies(record.optionalDependencies, localHost),
    devDependencies: translateDependencies(record.devDependencies, localHost),
    peerDependencies: translateDependencies(record.peerDependencies, localHost),
    dist: {
      tarball: tarballUrl,
      integrity: record.tarball.integrity,
      shasum: record.tarball.shasum,
      fileCount: record.fileCount,
      unpackedSize: record.unpackedSize,
      ...(sign ? { signatures: sign(npmSignatureMessage(npmName, record.version, record.tarball.integrity)) } : {}),
    },
  };
  if (record.attestations && record.attestations.length > 0) {
    const dist = view.dist as Json;
    dist.attestations = {
      url: `${tarballUrl.slice(0, tarballUrl.indexOf(`/${npmName}/-/`))}/-/npm/v1/attestations/${npmName}@${record.version}`,
      provenance: { predicateType: record.attestations.find((type) => type.startsWith(SLSA_PREFIX)) ?? record.attestations[0] },
    };
  }
  if (record.publishedBy) view._npmUser = npmUserOf(record.publishedBy);
  const bundled = Object.keys(translateDependencies(record.bundledDependencies, localHost));
  if (bundled.length > 0) view.bundleDependencies = bundled;
  const deprecated = npmDeprecation(record);
  if (deprecated !== '') view.deprecated = deprecated;
  return view;
}

const SLSA_PREFIX = 'https://slsa.dev/provenance/';

/** CI providers npm names in `_npmUser.trustedPublisher.id`, by issuer. */
const KNOWN_ISSUERS: Record<string, { id: string; name: string }> = {
  'https://token.actions.githubusercontent.com': { id: 'github', name: 'GitHub Actions' },
  'https://gitlab.com': { id: 'gitlab', name: 'GitLab CI/CD' },
};

/**
 * `_npmUser` of a version published through trusted publishing, in npm's shape (`trustedPublisher`
 * with the provider `id` and the configuration's `oidcConfigId`: what pnpm's trustPolicy reads),
 * with the issuer and the identity's claims besides.
 */
function npmUserOf(identity: TrustedIdentity): Json {
  const known = KNOWN_ISSUERS[identity.issuer];
  return {
    name: known?.name ?? new URL(identity.issuer).host,
    trustedPublisher: {
      id: known?.id ?? new URL(identity.issuer).host,
      oidcConfigId: `oidc:${identity.publisherId}`,
      issuer: identity.issuer,
      claims: identity.claims,
    },
  };
}

export interface LocalPackumentInput {
  npmName: string;
  created: Date;
  modified: Date;
  tags: Record<string, string>;
  versions: NpmVersionRecord[];
  tarballBase: string;
  localHost: Host;
  sign?: SignNpmVersion;
  /** the full packument's `maintainers` (`npm owner ls`) */
  maintainers?: NpmOwner[];
}

/** Full and abbreviated packuments of a package's stored versions (deprecated and yanked ones carry `deprecated`). */
export function renderPackuments(input: LocalPackumentInput): Packuments {
  const versions: Json = {};
  const abbreviatedVersions: Json = {};
  const time: Record<string, string> = { created: input.created.toISOString(), modified: input.modified.toISOString() };
  for (const record of input.versions) {
    const tarballUrl = npmTarballUrl(input.tarballBase, input.npmName, record.version);
    const view = renderNpmVersion(input.npmName, record, tarballUrl, input.localHost, input.sign);
    versions[record.version] = view;
    abbreviatedVersions[record.version] = abbreviateVersion(view);
    time[record.version] = record.created.toISOString();
  }
  const latest = input.tags.latest ? (versions[input.tags.latest] as Json | undefined) : undefined;
  const full: Json = {
    _id: input.npmName,
    _rev: `${input.versions.length}-${input.modified.getTime().toString(16)}`,
    name: input.npmName,
    'dist-tags': input.tags,
    versions,
    time,
  };
  if (input.maintainers) full.maintainers = input.maintainers;
  if (latest?.description !== undefined) full.description = latest.description;
  const abbreviated: Json = { name: input.npmName, modified: time.modified, 'dist-tags': input.tags, versions: abbreviatedVersions };
  return { full, abbreviated };
}

export function npmTarballUrl(base: string, npmName: string, version: string): string {
  return `${base}/${npmName}/-/${npmTarballFile(npmName, version)}`;
}

/** Packuments of a local (non-legacy) package. */
export async function getLocalPackuments(
  deps: CoreDeps,
  input: { ref: PackageRef; npmName: string; tarballBase: string; build?: BuildNpmTarball; sign?: SignNpmVersion },
): Promise<Packuments> {
  const { npmName } = input;
  const pkg = await getPackage(deps.repos, input.ref, deps.host);
  const listed = listNpmVersions(deps, input.build ? { packageId: pkg.id, build: input.build } : { packageId: pkg.id });
  const [tags, versions, maintainers, attestations] = await Promise.all([
    deps.repos.tags.list(pkg.id),
    listed,
    listNpmOwners(deps, pkg.id),
    deps.repos.attestations.listByPackage(pkg.id),
  ]);
  if (attestations.length > 0) {
    const ids = new Map((await deps.repos.npmTarballs.listVersions(pkg.id)).map((row) => [row.id, row.version]));
    const byVersion = new Map<string, string[]>();
    for (const a of attestations) {
      const version = ids.get(a.version_id);
      if (version) byVersion.set(version, [...(byVersion.get(version) ?? []), a.predicate_type]);
    }
    for (const record of versions) record.attestations = byVersion.get(record.version);
  }
  if (versions.length === 0) throw appError('PACKAGE_NOT_FOUND', `The package "${npmName}" has no versions.`);
  return renderPackuments({
    npmName,
    created: pkg.created_at,
    modified: pkg.modified_at,
    tags: Object.fromEntries(tags.map((t) => [t.tag, t.version])),
    versions,
    tarballBase: input.tarballBase,
    localHost: deps.host,
    maintainers,
    ...(input.sign ? { sign: input.sign } : {}),
  });
}
