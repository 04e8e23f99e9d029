import { appError, truncate, type Version } from '@entropic/types';
import semver from 'semver';
import { packageSubject, recordAudit } from './audit-log.ts';
import type { CoreDeps } from './deps.ts';
import { enqueueSearchIndex } from './jobs/search-index-jobs.ts';
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

export async function listDistTags(deps: CoreDeps, input: { ref: PackageRef }): Promise<Record<string, string>> {
  const pkg = await getPackage(deps.repos, input.ref, deps.host);
  const rows = await deps.repos.tags.list(pkg.id);
  return Object.fromEntries(rows.map((r) => [r.tag, r.version]));
}

export interface SetDistTagInput {
  principal: Principal | undefined;
  ref: PackageRef;
  tag: string;
  version: Version;
}

/** Points the tag at a version that is not yanked; answers every tag of the package. */
export async function setDistTag(deps: CoreDeps, input: SetDistTagInput): Promise<Record<string, string>> {
  const { principal, ref, tag, version } = input;
  parseDistTag(tag);
  await deps.uow.transaction(async (repos) => {
    const { pkg } = await authorizePackageWrite(repos, principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const row = await repos.versions.findState(pkg.id, version);
    if (!row) throw appError('VERSION_NOT_FOUND', `The version "${fullName(ref)}@${version}" does not exist.`);
    if (row.yanked) throw appError('CONFLICT', `"${fullName(ref)}@${version}" is yanked and cannot be tagged.`);
    const now = deps.clock.now();
    await repos.tags.set(pkg.id, tag, version, now);
    await repos.packages.update(pkg.id, { modifiedAt: now });
    await enqueueSearchIndex(repos, ref);
    await recordAudit(repos, now, principal, 'tag-set', packageSubject(ref, { tag, version }));
  });
  await deps.events.emit({ type: 'package-changed', ref });
  return listDistTags(deps, { ref });
}

export async function removeDistTag(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: PackageRef; tag: string },
): Promise<void> {
  const { principal, ref, tag } = input;
  parseDistTag(tag);
  if (tag === 'latest') throw appError('CANNOT_DELETE_LATEST', 'The "latest" tag cannot be deleted; point it at another version instead.');
  await deps.uow.transaction(async (repos) => {
    const { pkg } = await authorizePackageWrite(repos, principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    if (!(await repos.tags.remove(pkg.id, tag))) throw appError('TAG_NOT_FOUND', `"${fullName(ref)}" has no tag "${tag}".`);
    const now = deps.clock.now();
    await repos.packages.update(pkg.id, { modifiedAt: now });
    await enqueueSearchIndex(repos, ref);
    await recordAudit(repos, now, principal, 'tag-removed', packageSubject(ref, { tag }));
  });
  await deps.events.emit({ type: 'package-changed', ref });
}
