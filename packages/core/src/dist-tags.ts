import { createRepositories } from '@entropic/db';
import { appError, truncate, type Version } from '@entropic/types';
import semver from 'semver';
import type { CoreDeps } from './deps.ts';
import { authorizePackageWrite, fullName, getPackage, type PackageRef } from './packages.ts';
import type { Principal } from './principal.ts';

const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A tag may not look like a version or range (npm's rule), so `pkg@<tag>` stays unambiguous. */
export function parseDistTag(tag: string): string {
  if (!TAG_RE.test(tag) || semver.validRange(tag) !== null) {
    throw appError(
      'INVALID_TAG',
      `"${truncate(tag)}" is not a valid dist-tag: use up to 64 of A-Z a-z 0-9 . _ - that do not form a semver range.`,
    );
  }
  return tag;
}

export async function listDistTags(deps: CoreDeps, ref: PackageRef): Promise<Record<string, string>> {
  const pkg = await getPackage(deps.repos, ref, deps.host);
  const rows = await deps.db.selectFrom('dist_tags').select(['tag', 'version']).where('package_id', '=', pkg.id).orderBy('tag').execute();
  return Object.fromEntries(rows.map((r) => [r.tag, r.version]));
}

export async function setDistTag(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: PackageRef,
  tag: string,
  version: Version,
): Promise<Record<string, string>> {
  parseDistTag(tag);
  await deps.db.transaction().execute(async (tx) => {
    const { pkg } = await authorizePackageWrite(createRepositories(tx), principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const row = await tx
      .selectFrom('versions')
      .select(['yanked'])
      .where('package_id', '=', pkg.id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw appError('VERSION_NOT_FOUND', `The version "${fullName(ref)}@${version}" does not exist.`);
    if (row.yanked) throw appError('CONFLICT', `"${fullName(ref)}@${version}" is yanked and cannot be tagged.`);
    const now = new Date();
    await tx
      .insertInto('dist_tags')
      .values({ package_id: pkg.id, tag, version, updated_at: now })
      .onConflict((oc) => oc.columns(['package_id', 'tag']).doUpdateSet({ version, updated_at: now }))
      .execute();
    await tx.updateTable('packages').set({ modified_at: now }).where('id', '=', pkg.id).execute();
  });
  return listDistTags(deps, ref);
}

export async function removeDistTag(deps: CoreDeps, principal: Principal | undefined, ref: PackageRef, tag: string): Promise<void> {
  parseDistTag(tag);
  if (tag === 'latest') throw appError('CANNOT_DELETE_LATEST', 'The "latest" tag cannot be deleted; point it at another version instead.');
  await deps.db.transaction().execute(async (tx) => {
    const { pkg } = await authorizePackageWrite(createRepositories(tx), principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const deleted = await tx
      .deleteFrom('dist_tags')
      .where('package_id', '=', pkg.id)
      .where('tag', '=', tag)
      .returning('tag')
      .executeTakeFirst();
    if (!deleted) throw appError('TAG_NOT_FOUND', `"${fullName(ref)}" has no tag "${tag}".`);
    await tx.updateTable('packages').set({ modified_at: new Date() }).where('id', '=', pkg.id).execute();
  });
}
