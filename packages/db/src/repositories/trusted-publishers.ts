import type { AttestationRepository, TrustedPublisherRepository } from '@entropic/core';
import type { Executor } from './executor.ts';
import { addVersionObjectReference } from './objects.ts';

export function trustedPublisherRepository(db: Executor): TrustedPublisherRepository {
  const select = () =>
    db
      .selectFrom('trusted_publishers as t')
      .innerJoin('users as u', 'u.id', 't.created_by')
      .select(['t.id', 't.package_id', 't.issuer', 't.claims', 't.created_by', 'u.name as created_by_name', 't.created_at']);
  const normalise = <T extends { package_id: number | string; created_by: number | string }>(row: T) => ({
    ...row,
    package_id: Number(row.package_id),
    created_by: Number(row.created_by),
  });
  return {
    async insert(publisher) {
      const { id } = await db
        .insertInto('trusted_publishers')
        .values({
          package_id: publisher.packageId,
          issuer: publisher.issuer,
          claims: JSON.stringify(publisher.claims),
          created_by: publisher.createdBy,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return normalise(await select().where('t.id', '=', id).executeTakeFirstOrThrow());
    },

    async listByPackage(packageId) {
      const rows = await select().where('t.package_id', '=', packageId).orderBy('t.created_at').orderBy('t.id').execute();
      return rows.map(normalise);
    },

    async remove(packageId, id) {
      const found = await db
        .selectFrom('trusted_publishers')
        .select('id')
        .where('id', '=', id)
        .where('package_id', '=', packageId)
        .executeTakeFirst();
      if (!found) return undefined;
      const tokens = await db.selectFrom('tokens').select('hash').where('trusted_publisher_id', '=', id).execute();
      // the tokens go with it (ON DELETE CASCADE)
      await db.deleteFrom('trusted_publishers').where('id', '=', id).execute();
      return tokens.map((t) => t.hash);
    },
  };
}

export function attestationRepository(db: Executor): AttestationRepository {
  const normalise = <T extends { version_id: number | string }>(row: T) => ({ ...row, version_id: Number(row.version_id) });
  return {
    async insert(versionId, attestations) {
      if (attestations.length === 0) return;
      await db
        .insertInto('version_attestations')
        .values(
          attestations.map((a) => ({
            version_id: versionId,
            predicate_type: a.predicateType,
            bundle_integrity: a.bundleIntegrity,
            verification: JSON.stringify(a.verification),
          })),
        )
        .execute();
      for (const a of attestations) await addVersionObjectReference(db, versionId, a.bundleIntegrity);
    },

    async listByVersion(versionId) {
      const rows = await db
        .selectFrom('version_attestations')
        .selectAll()
        .where('version_id', '=', versionId)
        .orderBy('predicate_type')
        .execute();
      return rows.map(normalise);
    },

    async listByPackage(packageId) {
      const rows = await db
        .selectFrom('version_attestations as a')
        .innerJoin('versions as v', 'v.id', 'a.version_id')
        .selectAll('a')
        .where('v.package_id', '=', packageId)
        .orderBy('a.version_id')
        .orderBy('a.predicate_type')
        .execute();
      return rows.map(normalise);
    },
  };
}
