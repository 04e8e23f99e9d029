import { ABANDONWARE, appError, formatPackageName, type Host, type PackageDocument, type Page } from '@entropic/types';
import semver from 'semver';
import { packageSubject, recordAudit } from './audit-log.ts';
import { authorizePackageWrite, type GrantCache, listReadablePackages, mayReadPackage } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { enqueueSearchIndex } from './jobs/search-index-jobs.ts';
import { findNamespace, formatNamespace, storedHost } from './namespaces.ts';
import { decodeCursor, encodeCursor, pageLimit } from './pagination.ts';
import type { PackageFilter } from './ports/packages.ts';
import type { PackageRef, PackageRow } from './ports/records.ts';
import type { Repositories } from './ports/repositories.ts';
import type { Principal } from './principal.ts';

export { assertLocal, authorizePackageWrite } from './authorize.ts';
export type { PackageFilter } from './ports/packages.ts';
export type { PackageRef, PackageRow } from './ports/records.ts';

export function fullName(ref: PackageRef): string {
  return formatPackageName(ref);
}

export async function findPackage(repos: Repositories, ref: PackageRef, localHost: Host): Promise<PackageRow | undefined> {
  return repos.packages.find(ref.namespace, storedHost(ref, localHost), ref.name);
}

export async function getPackage(repos: Repositories, ref: PackageRef, localHost: Host): Promise<PackageRow> {
  const row = await findPackage(repos, ref, localHost);
  if (!row) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
  return row;
}

/** getPackage for a reader: a private package they may not read is answered as one that does not exist. */
export async function getReadablePackage(
  repos: Repositories,
  principal: Principal | undefined,
  ref: PackageRef,
  localHost: Host,
  grants?: GrantCache,
): Promise<PackageRow> {
  const row = await getPackage(repos, ref, localHost);
  if (!(await mayReadPackage(repos, principal, row, grants)))
    throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
  return row;
}

export async function buildPackageDocument(repos: Repositories, row: PackageRow, localHost: Host): Promise<PackageDocument> {
  const [versions, tags, states] = await Promise.all([
    repos.versions.listPublished(row.id),
    repos.tags.list(row.id),
    repos.versions.listDeprecations(row.id),
  ]);
  versions.sort((a, b) => semver.compare(a.version, b.version));
  const deprecated = states
    .filter((v): v is typeof v & { deprecated: string } => !v.yanked && v.deprecated !== null)
    .sort((a, b) => semver.compare(a.version, b.version));
  const ns = { name: row.namespace_name, host: row.namespace_host };
  return {
    name: `${formatNamespace(ns, localHost)}/${encodeURIComponent(row.name)}`,
    owner: formatNamespace(ns, localHost),
    yanked: row.yanked,
    require_tfa: row.require_tfa,
    created: row.created_at.toISOString(),
    modified: row.modified_at.toISOString(),
    versions: Object.fromEntries(versions.map((v) => [v.version, v.integrity])),
    tags: Object.fromEntries(tags.map((t) => [t.tag, t.version])),
    ...(deprecated.length > 0 ? { deprecated: Object.fromEntries(deprecated.map((v) => [v.version, v.deprecated])) } : {}),
  };
}

export async function getPackageDocument(deps: CoreDeps, input: { ref: PackageRef }): Promise<PackageDocument> {
  const row = await getPackage(deps.repos, input.ref, deps.host);
  return buildPackageDocument(deps.repos, row, deps.host);
}

export interface PutPackageInput {
  principal: Principal | undefined;
  ref: PackageRef;
  /** the body's `require_tfa`, not validated yet */
  requireTfa?: unknown;
}

/** Creates the package (the owning namespace its first maintainer) or updates its settings. */
export async function putPackage(deps: CoreDeps, input: PutPackageInput): Promise<{ created: boolean; document: PackageDocument }> {
  const { principal, ref, requireTfa } = input;
  if (requireTfa !== undefined && typeof requireTfa !== 'boolean') {
    throw appError('INVALID_FIELD', '"require_tfa" must be true or false.');
  }
  if (requireTfa === true) {
    throw appError('INVALID_FIELD', 'Two-factor authentication is not available for accounts yet, so a package cannot require it.');
  }
  const result = await deps.uow.transaction(async (repos) => {
    const { namespace, pkg } = await authorizePackageWrite(repos, principal, ref, deps.host);
    const ensured = pkg ? { id: pkg.id, created: false } : await repos.packages.ensure(namespace.id, ref.name);
    if (!ensured.created) {
      await repos.packages.update(ensured.id, {
        modifiedAt: deps.clock.now(),
        ...(requireTfa === undefined ? {} : { requireTfa: requireTfa as boolean }),
      });
    }
    await enqueueSearchIndex(repos, ref);
    const row = await getPackage(repos, ref, deps.host);
    return { created: ensured.created, document: await buildPackageDocument(repos, row, deps.host) };
  });
  await deps.events.emit({ type: 'package-changed', ref });
  return result;
}

/** Abandon: every version yanked, every tag removed, maintainers replaced by `abandonware`. */
export async function abandonPackage(deps: CoreDeps, input: { principal: Principal | undefined; ref: PackageRef }): Promise<void> {
  const { principal, ref } = input;
  await deps.uow.transaction(async (repos) => {
    const { pkg } = await authorizePackageWrite(repos, principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const abandonware = await findNamespace(repos, { namespace: ABANDONWARE, host: deps.host }, deps.host);
    if (!abandonware) throw new Error('the abandonware namespace is missing');
    const now = deps.clock.now();
    await repos.versions.yankAll(pkg.id, now);
    await repos.tags.removeAll(pkg.id);
    await repos.packages.replaceMaintainers(pkg.id, abandonware.id);
    await repos.packages.update(pkg.id, { yanked: true, modifiedAt: now });
    await enqueueSearchIndex(repos, ref);
    await recordAudit(repos, now, principal, 'package-abandoned', packageSubject(ref));
  });
  await deps.events.emit({ type: 'package-changed', ref });
}

export interface ListOptions {
  limit?: string | undefined;
  cursor?: string | undefined;
}

export interface ListPackagesInput extends ListOptions {
  filter: PackageFilter;
  /** who is asking: private packages they may not read are left out (none: an anonymous reader) */
  principal?: Principal | undefined;
}

export async function listPackages(deps: CoreDeps, input: ListPackagesInput): Promise<Page<PackageDocument>> {
  const limit = pageLimit(input.limit);
  const afterId = input.cursor ? decodeCursor(input.cursor) : 0;
  const rows = await deps.repos.packages.list({ filter: input.filter, afterId, limit: limit + 1 });
  const page = rows.slice(0, limit);
  // a page may hold fewer than `limit` when private packages were left out; `next` still follows the rows
  const readable = await listReadablePackages(deps.repos, input.principal, page, deps.grants);
  const shown = page.filter((row) => readable.has(row.id));
  const objects = await Promise.all(shown.map((row) => buildPackageDocument(deps.repos, row, deps.host)));
  const last = page.at(-1);
  return { objects, next: rows.length > limit && last ? encodeCursor(last.id) : null };
}
