import type { FederationRepository, PeerKey } from '@entropic/core';
import type { Executor } from './executor.ts';

export function federationRepository(db: Executor): FederationRepository {
  return {
    async listPeerKeys(host) {
      const rows = await db.selectFrom('peer_keys').selectAll().where('host', '=', host).orderBy('pinned_at').orderBy('key_id').execute();
      return rows.map(
        (row): PeerKey => ({ keyId: row.key_id, publicKey: row.public_key, notBefore: row.not_before, expires: row.expires }),
      );
    },

    async pinPeerKeys(host, keys, now) {
      if (keys.length === 0) return;
      await db
        .insertInto('peer_keys')
        .values(
          keys.map((key) => ({
            host,
            key_id: key.keyId,
            public_key: key.publicKey,
            not_before: key.notBefore,
            expires: key.expires,
            pinned_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['host', 'key_id']).doNothing())
        .execute();
    },

    async ensureRemoteNamespace(name, host) {
      const inserted = await db
        .insertInto('namespaces')
        .values({ name, host, kind: 'system' })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) return Number(inserted.id);
      const row = await db
        .selectFrom('namespaces')
        .select('id')
        .where('name', '=', name)
        .where('host', '=', host)
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },

    async rememberIntegrities(packageId, versions, now) {
      const entries = Object.entries(versions);
      if (entries.length === 0) return {};
      await db
        .insertInto('remote_versions')
        .values(entries.map(([version, integrity]) => ({ package_id: packageId, version, integrity, first_seen: now })))
        .onConflict((oc) => oc.columns(['package_id', 'version']).doNothing())
        .execute();
      const rows = await db
        .selectFrom('remote_versions')
        .select(['version', 'integrity'])
        .where('package_id', '=', packageId)
        .where(
          'version',
          'in',
          entries.map(([version]) => version),
        )
        .execute();
      return Object.fromEntries(rows.map((row) => [row.version, row.integrity]));
    },

    async findRemotePackage(packageId) {
      const row = await db
        .selectFrom('remote_packages')
        .select(['document', 'modified'])
        .where('package_id', '=', packageId)
        .executeTakeFirst();
      return row ? { document: row.document, modified: row.modified } : undefined;
    },

    async saveRemotePackage(packageId, document, modified, now) {
      await db
        .insertInto('remote_packages')
        .values({ package_id: packageId, document, modified, fetched_at: now })
        .onConflict((oc) => oc.column('package_id').doUpdateSet({ document, modified, fetched_at: now }))
        .execute();
    },

    async findIntegrity(packageId, version) {
      const row = await db
        .selectFrom('remote_versions')
        .select('integrity')
        .where('package_id', '=', packageId)
        .where('version', '=', version)
        .executeTakeFirst();
      return row?.integrity;
    },

    async listStaleRemotePackages(host, limit) {
      const rows = await db
        .selectFrom('remote_packages')
        .innerJoin('packages', 'packages.id', 'remote_packages.package_id')
        .innerJoin('namespaces', 'namespaces.id', 'packages.namespace_id')
        .select(['namespaces.name as namespace', 'packages.name as name'])
        .where('namespaces.host', '=', host)
        .orderBy('remote_packages.fetched_at')
        .orderBy('remote_packages.package_id')
        .limit(limit)
        .execute();
      return rows.map((row) => ({ namespace: row.namespace, name: row.name }));
    },

    async markFetched(packageId, now) {
      await db.updateTable('remote_packages').set({ fetched_at: now }).where('package_id', '=', packageId).execute();
    },
  };
}
