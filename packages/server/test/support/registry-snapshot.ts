import assert from 'node:assert/strict';
import { checkIntegrity, collectGarbage, referencedIntegrities } from '@entropic/core';
import type { ServerDeps } from '@entropic/server/deps';

export interface RegistrySnapshot {
  packages: unknown[];
  versions: unknown[];
  distTags: unknown[];
  maintainers: unknown[];
  tokens: unknown[];
  referenced: string[];
}

/** Everything a write may change, in a comparable form. */
export async function snapshotRegistry(deps: ServerDeps): Promise<RegistrySnapshot> {
  const { db } = deps;
  const [packages, versions, distTags, maintainers, tokens, referenced] = await Promise.all([
    db.selectFrom('packages').selectAll().orderBy('id').execute(),
    db
      .selectFrom('versions')
      .select(['id', 'package_id', 'version', 'integrity', 'yanked', 'files', 'modified_at'])
      .orderBy('id')
      .execute(),
    db.selectFrom('dist_tags').select(['package_id', 'tag', 'version']).orderBy('package_id').orderBy('tag').execute(),
    db
      .selectFrom('package_maintainers')
      .select(['package_id', 'namespace_id', 'accepted'])
      .orderBy('package_id')
      .orderBy('namespace_id')
      .execute(),
    db.selectFrom('tokens').select(['id', 'revoked_at', 'scope']).orderBy('id').execute(),
    referencedIntegrities(deps),
  ]);
  return { packages, versions, distTags, maintainers, tokens, referenced: [...referenced].sort() };
}

/** Asserts that the database holds exactly what it held before (nothing became visible). */
export async function assertUnchanged(deps: ServerDeps, before: RegistrySnapshot, label = ''): Promise<void> {
  const after = await snapshotRegistry(deps);
  assert.deepEqual(after, before, `the registry changed${label ? ` (${label})` : ''}`);
}

/**
 * Every blob left behind by failed writes is unreferenced: garbage collection (no grace
 * period) removes it, and afterwards every version's blobs still exist and verify.
 * Only call it between requests (gc without grace would race a publish in progress).
 */
export async function assertBlobsCollectable(deps: ServerDeps): Promise<void> {
  await collectGarbage(deps, { graceSeconds: 0 });
  const referenced = await referencedIntegrities(deps);
  for await (const blob of deps.blobs.list()) {
    assert.ok(referenced.has(blob.integrity), `blob ${blob.integrity} survived gc without a reference`);
  }
  const fsck = await checkIntegrity(deps);
  assert.deepEqual(fsck.problems, []);
}
