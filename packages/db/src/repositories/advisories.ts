import type { AdvisoryRepository, AdvisoryRow, AdvisorySeverity } from '@entropic/core';
import type { Selectable } from 'kysely';
import type { AdvisoriesTable } from '../schema.ts';
import type { Executor } from './executor.ts';

const COLUMNS = [
  'id',
  'package_id',
  'title',
  'severity',
  'vulnerable_versions',
  'patched_versions',
  'url',
  'cwe',
  'cvss_score',
  'cvss_vector',
  'created_at',
] as const;

function toRow(row: Omit<Selectable<AdvisoriesTable>, 'created_by'>): AdvisoryRow {
  return {
    id: row.id,
    packageId: Number(row.package_id),
    title: row.title,
    severity: row.severity as AdvisorySeverity,
    vulnerableVersions: row.vulnerable_versions,
    patchedVersions: row.patched_versions ?? undefined,
    url: row.url ?? undefined,
    cwe: row.cwe,
    cvss: row.cvss_score === null ? undefined : { score: row.cvss_score, vectorString: row.cvss_vector },
    createdAt: row.created_at,
  };
}

export function advisoryRepository(db: Executor): AdvisoryRepository {
  return {
    async list(packageId) {
      const rows = await db.selectFrom('advisories').select(COLUMNS).where('package_id', '=', packageId).orderBy('id', 'desc').execute();
      return rows.map(toRow);
    },

    async listForPackages(packageIds) {
      const out = new Map<number, AdvisoryRow[]>();
      if (packageIds.length === 0) return out;
      const rows = await db
        .selectFrom('advisories')
        .select(COLUMNS)
        .where('package_id', 'in', [...packageIds])
        .orderBy('id', 'desc')
        .execute();
      for (const row of rows.map(toRow)) out.set(row.packageId, [...(out.get(row.packageId) ?? []), row]);
      return out;
    },

    async insert(advisory) {
      const row = await db
        .insertInto('advisories')
        .values({
          package_id: advisory.packageId,
          title: advisory.title,
          severity: advisory.severity,
          vulnerable_versions: advisory.vulnerableVersions,
          patched_versions: advisory.patchedVersions ?? null,
          url: advisory.url ?? null,
          cwe: JSON.stringify(advisory.cwe),
          cvss_score: advisory.cvss?.score ?? null,
          cvss_vector: advisory.cvss?.vectorString ?? null,
          created_by: advisory.createdBy ?? null,
          created_at: advisory.createdAt,
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toRow(row);
    },

    async remove(packageId, id) {
      const deleted = await db
        .deleteFrom('advisories')
        .where('package_id', '=', packageId)
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
      return deleted !== undefined;
    },
  };
}
