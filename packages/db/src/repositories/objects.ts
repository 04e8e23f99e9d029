import type { ObjectReferenceRepository } from '@entropic/core';
import { sql } from 'kysely';
import type { Executor } from './executor.ts';

export function objectReferenceRepository(db: Executor): ObjectReferenceRepository {
  return {
    async referencedIntegrities() {
      const rows = await sql<{ integrity: string }>`
        SELECT integrity FROM versions
        UNION SELECT value AS integrity FROM versions, jsonb_each_text(files)
        UNION SELECT value AS integrity FROM versions, jsonb_each_text(derived_files)
        UNION SELECT integrity FROM npm_tarballs
        UNION SELECT bundle_integrity FROM version_attestations`.execute(db);
      return new Set(rows.rows.map((r) => r.integrity));
    },

    async isReferenced(integrity) {
      const still = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM versions
        WHERE integrity = ${integrity}
           OR EXISTS (SELECT 1 FROM jsonb_each_text(files) f WHERE f.value = ${integrity})
           OR EXISTS (SELECT 1 FROM jsonb_each_text(derived_files) d WHERE d.value = ${integrity})
        UNION ALL SELECT count(*)::int AS n FROM npm_tarballs WHERE integrity = ${integrity}
        UNION ALL SELECT count(*)::int AS n FROM version_attestations WHERE bundle_integrity = ${integrity}`.execute(db);
      return still.rows.some((row) => row.n > 0);
    },

    async listReferencingPackages(integrity) {
      const rows = await db
        .selectFrom('object_references as r')
        .innerJoin('packages as p', 'p.id', 'r.package_id')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .select(['p.id', sql<boolean>`p.private OR n.private`.as('private')])
        .where('r.integrity', '=', integrity)
        .execute();
      return rows.map((row) => ({ id: Number(row.id), private: row.private }));
    },

    async listReferencingPackagesOfMany(integrities) {
      const found = new Map<string, Array<{ id: number; private: boolean }>>(integrities.map((integrity) => [integrity, []]));
      if (integrities.length === 0) return found;
      const rows = await db
        .selectFrom('object_references as r')
        .innerJoin('packages as p', 'p.id', 'r.package_id')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .select(['r.integrity', 'p.id', sql<boolean>`p.private OR n.private`.as('private')])
        .where('r.integrity', 'in', [...new Set(integrities)])
        .execute();
      for (const row of rows) found.get(row.integrity)?.push({ id: Number(row.id), private: row.private });
      return found;
    },

    async listVersionBlobs(afterId, limit) {
      return db
        .selectFrom('versions as v')
        .innerJoin('packages as p', 'p.id', 'v.package_id')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .select(['v.id', 'v.version', 'v.integrity', 'v.files', 'v.derived_files', 'p.name', 'n.name as ns', 'n.host'])
        .where('v.id', '>', afterId)
        .orderBy('v.id')
        .limit(limit)
        .execute();
    },
  };
}

/** Records which package references each object (object_references): read by object reads of private packages. */
export async function addObjectReferences(db: Executor, packageId: number, integrities: Iterable<string>): Promise<void> {
  const unique = [...new Set(integrities)];
  for (let i = 0; i < unique.length; i += 5000) {
    const rows = unique.slice(i, i + 5000).map((integrity) => ({ integrity, package_id: packageId }));
    await db
      .insertInto('object_references')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** The same for one object of a version, by the version's id. */
export async function addVersionObjectReference(db: Executor, versionId: number, integrity: string): Promise<void> {
  await sql`INSERT INTO object_references (integrity, package_id)
    SELECT ${integrity}, package_id FROM versions WHERE id = ${versionId}
    ON CONFLICT DO NOTHING`.execute(db);
}
