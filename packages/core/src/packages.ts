import { createRepositories } from '@entropic/db';
import { ABANDONWARE, appError, formatPackageName, type Host, type PackageDocument, type PackageName, type Page } from '@entropic/types';
import semver from 'semver';
import type { CoreDeps, Tx } from './deps.ts';
import { findNamespace, formatNamespace, type NamespaceRow, storedHost } from './namespaces.ts';
import { decodeCursor, encodeCursor, pageLimit } from './pagination.ts';
import type { PackageRef, PackageRow } from './ports/records.ts';
import type { Repositories } from './ports/repositories.ts';
import type { Principal } from './principal.ts';

export type { PackageRef, PackageRow } from './ports/records.ts';

export function fullName(ref: PackageRef): string {
  return formatPackageName(ref);
}

/** @deprecated transitional: the listing moves into the package repository */
function packageQuery(db: Tx) {
  return db
    .selectFrom('packages as p')
    .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
    .select([
      'p.id',
      'p.name',
      'p.namespace_id',
      'n.name as namespace_name',
      'n.host as namespace_host',
      'p.require_tfa',
      'p.yanked',
      'p.created_at',
      'p.modified_at',
    ]);
}

export async function findPackage(repos: Repositories, ref: PackageRef, localHost: Host): Promise<PackageRow | undefined> {
  return repos.packages.find(ref.namespace, storedHost(ref, localHost), ref.name);
}

export async function getPackage(repos: Repositories, ref: PackageRef, localHost: Host): Promise<PackageRow> {
  const row = await findPackage(repos, ref, localHost);
  if (!row) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
  return row;
}

export async function buildPackageDocument(db: Tx, row: PackageRow, localHost: Host): Promise<PackageDocument> {
  const [versions, tags] = await Promise.all([
    db.selectFrom('versions').select(['version', 'integrity']).where('package_id', '=', row.id).where('yanked', '=', false).execute(),
    db.selectFrom('dist_tags').select(['tag', 'version']).where('package_id', '=', row.id).orderBy('tag').execute(),
  ]);
  versions.sort((a, b) => semver.compare(a.version, b.version));
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
  };
}

export async function getPackageDocument(deps: CoreDeps, ref: PackageRef): Promise<PackageDocument> {
  const row = await getPackage(deps.repos, ref, deps.host);
  return buildPackageDocument(deps.db, row, deps.host);
}

/**
 * Inserts the package if it does not exist (the owning namespace becomes its first, accepted
 * maintainer). Concurrency-safe: ON CONFLICT decides, not a read-then-insert.
 */
export async function ensurePackage(tx: Tx, namespace: NamespaceRow, name: PackageName): Promise<{ id: number; created: boolean }> {
  const inserted = await tx
    .insertInto('packages')
    .values({ namespace_id: namespace.id, name })
    .onConflict((oc) => oc.columns(['namespace_id', 'name']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) {
    await tx.insertInto('package_maintainers').values({ package_id: inserted.id, namespace_id: namespace.id, accepted: true }).execute();
    return { id: inserted.id, created: true };
  }
  const existing = await tx
    .selectFrom('packages')
    .select('id')
    .where('namespace_id', '=', namespace.id)
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}

import { authorizePackageWrite } from './authorize.ts';

export { assertLocal, authorizePackageWrite } from './authorize.ts';

export async function putPackage(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: PackageRef,
  body: { require_tfa?: unknown },
): Promise<{ created: boolean; document: PackageDocument }> {
  if (body.require_tfa !== undefined && typeof body.require_tfa !== 'boolean') {
    throw appError('INVALID_FIELD', '"require_tfa" must be true or false.');
  }
  if (body.require_tfa === true) {
    throw appError('INVALID_FIELD', 'Two-factor authentication is not available for accounts yet, so a package cannot require it.');
  }
  return deps.db.transaction().execute(async (tx) => {
    const { namespace, pkg } = await authorizePackageWrite(createRepositories(tx), principal, ref, deps.host);
    const ensured = pkg ? { id: pkg.id, created: false } : await ensurePackage(tx, namespace, ref.name);
    if (!ensured.created) {
      await tx
        .updateTable('packages')
        .set({ modified_at: new Date(), ...(body.require_tfa === undefined ? {} : { require_tfa: body.require_tfa as boolean }) })
        .where('id', '=', ensured.id)
        .execute();
    }
    const row = await getPackage(createRepositories(tx), ref, deps.host);
    return { created: ensured.created, document: await buildPackageDocument(tx, row, deps.host) };
  });
}

/** Abandon: every version yanked, every tag removed, maintainers replaced by `abandonware`. */
export async function abandonPackage(deps: CoreDeps, principal: Principal | undefined, ref: PackageRef): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const { pkg } = await authorizePackageWrite(createRepositories(tx), principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const abandonware = await findNamespace(createRepositories(tx), { namespace: ABANDONWARE, host: deps.host }, deps.host);
    if (!abandonware) throw new Error('the abandonware namespace is missing');
    const now = new Date();
    await tx
      .updateTable('versions')
      .set({ yanked: true, modified_at: now })
      .where('package_id', '=', pkg.id)
      .where('yanked', '=', false)
      .execute();
    await tx.deleteFrom('dist_tags').where('package_id', '=', pkg.id).execute();
    await tx.deleteFrom('package_maintainers').where('package_id', '=', pkg.id).execute();
    await tx.insertInto('package_maintainers').values({ package_id: pkg.id, namespace_id: abandonware.id, accepted: true }).execute();
    await tx.updateTable('packages').set({ yanked: true, modified_at: now }).where('id', '=', pkg.id).execute();
  });
}

export interface ListOptions {
  limit?: string | undefined;
  cursor?: string | undefined;
}

export type PackageFilter =
  | { kind: 'all' }
  | { kind: 'authored-by'; namespaceId: number }
  /** pending: packages the namespace is invited to maintain, instead of those it maintains */
  | { kind: 'maintained-by'; namespaceId: number; pending?: boolean };

export async function listPackages(deps: CoreDeps, filter: PackageFilter, options: ListOptions): Promise<Page<PackageDocument>> {
  const limit = pageLimit(options.limit);
  const after = options.cursor ? decodeCursor(options.cursor) : 0;
  let query = packageQuery(deps.db)
    .where('p.yanked', '=', false)
    .where('p.id', '>', after)
    .orderBy('p.id')
    .limit(limit + 1);
  if (filter.kind === 'authored-by') query = query.where('p.namespace_id', '=', filter.namespaceId);
  if (filter.kind === 'maintained-by') {
    const namespaceId = filter.namespaceId;
    const accepted = filter.pending !== true;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('package_maintainers as pm')
          .select('pm.package_id')
          .whereRef('pm.package_id', '=', 'p.id')
          .where('pm.namespace_id', '=', namespaceId)
          .where('pm.accepted', '=', accepted),
      ),
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const objects = await Promise.all(page.map((row) => buildPackageDocument(deps.db, row, deps.host)));
  const last = page.at(-1);
  return { objects, next: rows.length > limit && last ? encodeCursor(last.id) : null };
}
