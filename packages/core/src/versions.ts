import { createRepositories } from '@entropic/db';
import { appError, type Version, type VersionDocument } from '@entropic/types';
import semver from 'semver';
import type { CoreDeps, Tx } from './deps.ts';
import { authorizePackageWrite, fullName, getPackage, type PackageRef } from './packages.ts';
import type { Principal } from './principal.ts';

export async function getVersionDocument(deps: CoreDeps, ref: PackageRef, version: Version): Promise<VersionDocument> {
  const pkg = await getPackage(deps.repos, ref, deps.host);
  const row = await deps.db
    .selectFrom('versions')
    .selectAll()
    .where('package_id', '=', pkg.id)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) throw appError('VERSION_NOT_FOUND', `The version "${fullName(ref)}@${version}" does not exist.`);
  return {
    name: fullName(ref),
    version: row.version,
    integrity: row.integrity,
    yanked: row.yanked,
    files: row.files,
    derivedFiles: row.derived_files,
    dependencies: row.dependencies,
    devDependencies: row.dev_dependencies,
    peerDependencies: row.peer_dependencies,
    optionalDependencies: row.optional_dependencies,
    bundledDependencies: row.bundled_dependencies,
    signatures: row.signatures,
    created: row.created_at.toISOString(),
    modified: row.modified_at.toISOString(),
  } as unknown as VersionDocument;
}

/** Versions of a package that are not yanked: `{version: integrity}`. */
export async function listVersions(deps: CoreDeps, ref: PackageRef): Promise<Record<string, string>> {
  const pkg = await getPackage(deps.repos, ref, deps.host);
  const rows = await deps.db
    .selectFrom('versions')
    .select(['version', 'integrity'])
    .where('package_id', '=', pkg.id)
    .where('yanked', '=', false)
    .execute();
  rows.sort((a, b) => semver.compare(a.version, b.version));
  return Object.fromEntries(rows.map((r) => [r.version, r.integrity]));
}

/**
 * Yank: the version stays fetchable by exact version, leaves `versions` and every tag; `latest`
 * moves to the highest remaining non-yanked release (or disappears).
 */
export async function yankVersion(deps: CoreDeps, principal: Principal | undefined, ref: PackageRef, version: Version): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const { pkg } = await authorizePackageWrite(createRepositories(tx), principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const row = await tx
      .selectFrom('versions')
      .select(['id', 'yanked'])
      .where('package_id', '=', pkg.id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw appError('VERSION_NOT_FOUND', `The version "${fullName(ref)}@${version}" does not exist.`);
    if (row.yanked) return;
    const now = new Date();
    await tx.updateTable('versions').set({ yanked: true, modified_at: now }).where('id', '=', row.id).execute();
    const tags = await tx
      .deleteFrom('dist_tags')
      .where('package_id', '=', pkg.id)
      .where('version', '=', version)
      .returning('tag')
      .execute();
    if (tags.some((t) => t.tag === 'latest')) await recomputeLatest(tx, pkg.id, now);
    await tx.updateTable('packages').set({ modified_at: now }).where('id', '=', pkg.id).execute();
  });
}

async function recomputeLatest(tx: Tx, packageId: number, now: Date): Promise<void> {
  const rows = await tx.selectFrom('versions').select('version').where('package_id', '=', packageId).where('yanked', '=', false).execute();
  const releases = rows.map((r) => r.version).filter((v) => semver.prerelease(v) === null);
  const best = semver.rsort(releases)[0];
  if (best) await tx.insertInto('dist_tags').values({ package_id: packageId, tag: 'latest', version: best, updated_at: now }).execute();
}
