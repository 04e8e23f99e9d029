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
        UNION SELECT integrity FROM npm_tarballs`.execute(db);
      return new Set(rows.rows.map((r) => r.integrity));
    },

    async isReferenced(integrity) {
      const still = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM versions
        WHERE integrity = ${integrity}
           OR EXISTS (SELECT 1 FROM jsonb_each_text(files) f WHERE f.value = ${integrity})
           OR EXISTS (SELECT 1 FROM jsonb_each_text(derived_files) d WHERE d.value = ${integrity})
        UNION ALL SELECT count(*)::int AS n FROM npm_tarballs WHERE integrity = ${integrity}`.execute(db);
      return still.rows.some((row) => row.n > 0);
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
