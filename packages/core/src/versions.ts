import {
  appError,
  formatPackageName,
  type Host,
  type NamespaceName,
  type PackageName,
  truncate,
  type Version,
  type VersionDocument,
} from '@entropic/types';
import semver from 'semver';
import { packageSubject, recordAudit } from './audit-log.ts';
import type { CoreDeps } from './deps.ts';
import { enqueueSearchIndex } from './jobs/search-index-jobs.ts';
import { authorizePackageWrite, fullName, getPackage, type PackageRef } from './packages.ts';
import type { Repositories } from './ports/repositories.ts';
import type { Actor, Principal } from './principal.ts';

export async function getVersionDocument(deps: CoreDeps, input: { ref: PackageRef; version: Version }): Promise<VersionDocument> {
  const { ref, version } = input;
  const pkg = await getPackage(deps.repos, ref, deps.host);
  const row = await deps.repos.versions.find(pkg.id, version);
  if (!row) throw appError('VERSION_NOT_FOUND', `The version "${fullName(ref)}@${version}" does not exist.`);
  return {
    name: fullName(ref),
    version: row.version,
    integrity: row.integrity,
    yanked: row.yanked,
    ...(row.deprecated === null ? {} : { deprecated: row.deprecated }),
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
export async function listVersions(deps: CoreDeps, input: { ref: PackageRef }): Promise<Record<string, string>> {
  const pkg = await getPackage(deps.repos, input.ref, deps.host);
  const rows = await deps.repos.versions.listPublished(pkg.id);
  rows.sort((a, b) => semver.compare(a.version, b.version));
  return Object.fromEntries(rows.map((r) => [r.version, r.integrity]));
}

export interface YankVersionInput {
  /** a user, or the `legacy` mirror following an upstream removal */
  principal: Actor | undefined;
  ref: PackageRef;
  version: Version;
}

/**
 * Yank: the version stays fetchable by exact version, leaves `versions` and every tag; `latest`
 * moves to the highest remaining non-yanked release (or disappears).
 */
export async function yankVersion(deps: CoreDeps, input: YankVersionInput): Promise<void> {
  const { principal, ref, version } = input;
  const changed = await deps.uow.transaction(async (repos) => {
    const { pkg } = await authorizePackageWrite(repos, principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const row = await repos.versions.findState(pkg.id, version);
    if (!row) throw appError('VERSION_NOT_FOUND', `The version "${fullName(ref)}@${version}" does not exist.`);
    if (row.yanked) return false;
    const now = deps.clock.now();
    await repos.versions.yank(row.id, now);
    await recordAudit(repos, now, principal, 'yank', packageSubject(ref, { version }));
    const tags = await repos.tags.removeForVersion(pkg.id, version);
    if (tags.includes('latest')) await recomputeLatest(repos, pkg.id, now);
    await repos.packages.update(pkg.id, { modifiedAt: now });
    await enqueueSearchIndex(repos, ref);
    return true;
  });
  if (changed) await deps.events.emit({ type: 'package-changed', ref });
}

async function recomputeLatest(repos: Repositories, packageId: number, now: Date): Promise<void> {
  const rows = await repos.versions.listPublished(packageId);
  const releases = rows.map((r) => r.version).filter((v) => semver.prerelease(v) === null);
  const best = semver.rsort(releases)[0];
  if (best) await repos.tags.insert(packageId, 'latest', best, now);
}

/** The longest deprecation message kept (npm sets none; its messages are a sentence or two). */
export const MAX_DEPRECATION_CHARS = 1024;

export interface DeprecateVersionsInput {
  principal: Principal | undefined;
  ref: PackageRef;
  /** version → the maintainer's message, or null (or '') to clear the deprecation */
  messages: Record<string, string | null>;
}

/**
 * npm's deprecation: a message stored with each version, shown by clients, leaving tags, lists
 * and range resolution as they are (unlike a yank). Clearing the deprecation of a yanked version
 * is refused (`VERSION_YANKED`: a yank is final); a message on a yanked version is kept. All or
 * nothing: one bad entry changes no version. Answers the versions that changed.
 */
export async function deprecateVersions(deps: CoreDeps, input: DeprecateVersionsInput): Promise<string[]> {
  const { principal, ref } = input;
  const wanted = new Map<string, string | null>();
  for (const [version, message] of Object.entries(input.messages)) {
    if (message !== null && typeof message !== 'string')
      throw appError('INVALID_FIELD', `The deprecation of ${truncate(version)} must be a string.`);
    if (message !== null && message.length > MAX_DEPRECATION_CHARS)
      throw appError('INVALID_FIELD', `A deprecation message may have at most ${MAX_DEPRECATION_CHARS} characters.`);
    wanted.set(version, message === '' ? null : message);
  }
  const changed = await deps.uow.transaction(async (repos) => {
    const { pkg } = await authorizePackageWrite(repos, principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const rows = new Map((await repos.versions.listDeprecations(pkg.id)).map((row) => [row.version, row]));
    const updates: Array<{ id: number; version: string; message: string | null }> = [];
    for (const [version, message] of wanted) {
      const row = rows.get(version);
      if (!row) throw appError('VERSION_NOT_FOUND', `The version "${fullName(ref)}@${truncate(version)}" does not exist.`);
      if (message === null && row.yanked) {
        throw appError('VERSION_YANKED', `${fullName(ref)}@${version} was yanked: a yank is final, its deprecation cannot be cleared.`, {
          hint: 'Leave the yanked version out: un-deprecate a version or range that does not include it.',
        });
      }
      if (row.deprecated !== message) updates.push({ id: row.id, version, message });
    }
    const now = deps.clock.now();
    for (const update of updates) await repos.versions.setDeprecated(update.id, update.message, now);
    if (updates.length > 0) {
      const versions = Object.fromEntries(updates.map((u) => [u.version, u.message]));
      await recordAudit(repos, now, principal, 'deprecate', packageSubject(ref, { versions }));
      await repos.packages.update(pkg.id, { modifiedAt: now });
      await enqueueSearchIndex(repos, ref);
    }
    return updates.map((u) => u.version);
  });
  if (changed.length > 0) await deps.events.emit({ type: 'package-changed', ref });
  return changed;
}

/** One version in a package's history, as the website lists it. */
export interface VersionHistoryEntry {
  version: string;
  integrity: string;
  yanked: boolean;
  deprecated?: string;
  /** ISO time of publication */
  created: string;
  totalBytes: number;
  fileCount: number;
}

/** Every version of a package, yanked ones included, newest (by semver) first. */
export async function listVersionHistory(deps: CoreDeps, input: { ref: PackageRef }): Promise<VersionHistoryEntry[]> {
  const pkg = await getPackage(deps.repos, input.ref, deps.host);
  const rows = await deps.repos.versions.listSummaries(pkg.id);
  rows.sort((a, b) => semver.rcompare(a.version, b.version));
  return rows.map((row) => ({
    version: row.version,
    integrity: row.integrity,
    yanked: row.yanked,
    ...(row.deprecated === null ? {} : { deprecated: row.deprecated }),
    created: row.created_at.toISOString(),
    totalBytes: Number(row.total_bytes),
    fileCount: row.file_count,
  }));
}

/**
 * Full names (`ns@host/name`) of packages with a live version whose runtime dependencies name this
 * package, by namespace and name, at most `limit`. The package itself need not exist here (a
 * dependency on another host, or a legacy package not mirrored yet, can still have dependents).
 */
export async function listDependents(deps: CoreDeps, input: { ref: PackageRef; limit: number }): Promise<string[]> {
  const rows = await deps.repos.versions.listDependents(fullName(input.ref), input.limit);
  return rows.map((row) =>
    formatPackageName({
      namespace: row.namespace_name as NamespaceName,
      host: (row.namespace_host ?? deps.host) as Host,
      name: row.name as PackageName,
    }),
  );
}
