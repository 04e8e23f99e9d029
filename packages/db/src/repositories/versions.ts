import type { DependentPackage, VersionDerivationSource, VersionRepository } from '@entropic/core';
import { sql } from 'kysely';
import { isUniqueViolation } from '../create-database.ts';
import type { Executor } from './executor.ts';
import { addObjectReferences, addVersionObjectReference } from './objects.ts';

export function versionRepository(db: Executor): VersionRepository {
  return {
    async find(packageId, version) {
      return db.selectFrom('versions').selectAll().where('package_id', '=', packageId).where('version', '=', version).executeTakeFirst();
    },

    async listRecent(limit) {
      return (
        db
          .selectFrom('versions as v')
          .innerJoin('packages as p', 'p.id', 'v.package_id')
          .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
          .select(['n.name as namespace_name', 'n.host as namespace_host', 'p.name', 'v.version', 'v.created_at'])
          .where('v.yanked', '=', false)
          .where('p.yanked', '=', false)
          .where('n.host', 'is', null)
          .where('n.kind', '!=', 'system')
          // the home page's list: public packages only
          .where('p.private', '=', false)
          .where('n.private', '=', false)
          .orderBy('v.created_at', 'desc')
          .orderBy('v.id', 'desc')
          .limit(limit)
          .execute()
      );
    },

    async findState(packageId, version) {
      return db
        .selectFrom('versions')
        .select(['id', 'yanked'])
        .where('package_id', '=', packageId)
        .where('version', '=', version)
        .executeTakeFirst();
    },

    async listDeprecations(packageId) {
      return db.selectFrom('versions').select(['id', 'version', 'yanked', 'deprecated']).where('package_id', '=', packageId).execute();
    },

    async listSummaries(packageId) {
      return db
        .selectFrom('versions')
        .select(['version', 'integrity', 'yanked', 'deprecated', 'created_at', 'total_bytes', 'file_count'])
        .where('package_id', '=', packageId)
        .execute();
    },

    listDependents: (dependency, limit) => listDependents(db, dependency, limit),

    async listPublished(packageId) {
      return db
        .selectFrom('versions')
        .select(['version', 'integrity'])
        .where('package_id', '=', packageId)
        .where('yanked', '=', false)
        .execute();
    },

    async insert(v) {
      try {
        const row = await db
          .insertInto('versions')
          .values({
            package_id: v.package_id,
            version: v.version,
            integrity: v.integrity,
            files: JSON.stringify(v.files),
            derived_files: JSON.stringify(v.derived_files),
            dependencies: JSON.stringify(v.dependencies),
            dev_dependencies: JSON.stringify(v.dev_dependencies),
            peer_dependencies: JSON.stringify(v.peer_dependencies),
            optional_dependencies: JSON.stringify(v.optional_dependencies),
            bundled_dependencies: JSON.stringify(v.bundled_dependencies),
            signatures: JSON.stringify(v.signatures),
            total_bytes: v.total_bytes,
            file_count: v.file_count,
            created_at: v.created_at,
            modified_at: v.modified_at,
            published_by: v.published_by ? JSON.stringify(v.published_by) : null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await addObjectReferences(db, v.package_id, [v.integrity, ...Object.values(v.files), ...Object.values(v.derived_files)]);
        return Number(row.id);
      } catch (error) {
        if (isUniqueViolation(error)) return 'exists';
        throw error;
      }
    },

    findDerivationSource: (id) => findDerivationSource(db, id),

    async setDerivedFile(id, path, integrity) {
      await db
        .updateTable('versions')
        .set({ derived_files: sql`derived_files || jsonb_build_object(${path}::text, ${integrity}::text)` })
        .where('id', '=', id)
        .execute();
      await addVersionObjectReference(db, id, integrity);
    },

    async yank(id, now) {
      await db.updateTable('versions').set({ yanked: true, modified_at: now }).where('id', '=', id).execute();
    },

    async setDeprecated(id, message, now) {
      await db.updateTable('versions').set({ deprecated: message, modified_at: now }).where('id', '=', id).execute();
    },

    async yankAll(packageId, now) {
      await db
        .updateTable('versions')
        .set({ yanked: true, modified_at: now })
        .where('package_id', '=', packageId)
        .where('yanked', '=', false)
        .execute();
    },
  };
}

function findDerivationSource(db: Executor, id: number): Promise<VersionDerivationSource | undefined> {
  return db
    .selectFrom('versions as v')
    .innerJoin('packages as p', 'p.id', 'v.package_id')
    .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
    .select(['v.id', 'v.version', 'v.files', 'v.derived_files', 'p.name', 'n.name as ns', 'n.host'])
    .where('v.id', '=', id)
    .executeTakeFirst();
}

function listDependents(db: Executor, dependency: string, limit: number): Promise<DependentPackage[]> {
  return (
    db
      .selectFrom('packages as p')
      .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
      .select(['n.name as namespace_name', 'n.host as namespace_host', 'p.name'])
      .where('p.yanked', '=', false)
      // package pages are shown to everyone: private dependents are not listed
      .where('p.private', '=', false)
      .where('n.private', '=', false)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('versions as v')
            .select('v.id')
            .whereRef('v.package_id', '=', 'p.id')
            .where('v.yanked', '=', false)
            // jsonb key existence (the ? operator, spelled as its function so no driver mistakes it for a placeholder)
            .where(sql<boolean>`jsonb_exists(v.dependencies, ${dependency})`),
        ),
      )
      .orderBy('n.name')
      .orderBy('p.name')
      .limit(limit)
      .execute()
  );
}
