import type { NpmTarballRepository } from '@entropic/core';
import type { Executor } from './executor.ts';
import { addVersionObjectReference } from './objects.ts';

/** the columns building a version's npm tarball reads */
const BUILD_SOURCE = [
  'v.id',
  'v.version',
  'v.files',
  'v.dependencies',
  'v.dev_dependencies',
  'v.peer_dependencies',
  'v.optional_dependencies',
] as const;

export function npmTarballRepository(db: Executor): NpmTarballRepository {
  return {
    async listVersions(packageId) {
      return db
        .selectFrom('versions as v')
        .leftJoin('npm_tarballs as t', 't.version_id', 'v.id')
        .select([
          'v.id',
          'v.version',
          'v.yanked',
          'v.deprecated',
          'v.created_at',
          'v.files',
          'v.dependencies',
          'v.dev_dependencies',
          'v.peer_dependencies',
          'v.optional_dependencies',
          'v.bundled_dependencies',
          'v.file_count',
          'v.total_bytes',
          't.integrity as tarball_integrity',
          't.shasum',
          't.manifest',
          'v.published_by',
        ])
        .where('v.package_id', '=', packageId)
        .execute();
    },

    async findByPackageId(packageId, version) {
      const row = await db
        .selectFrom('versions as v')
        .leftJoin('npm_tarballs as t', 't.version_id', 'v.id')
        .select(['v.id', 't.integrity'])
        .where('v.package_id', '=', packageId)
        .where('v.version', '=', version)
        .executeTakeFirst();
      return row ? { versionId: row.id, integrity: row.integrity } : undefined;
    },

    async findByName(namespace, host, name, version) {
      const row = await db
        .selectFrom('packages as p')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .innerJoin('versions as v', 'v.package_id', 'p.id')
        .leftJoin('npm_tarballs as t', 't.version_id', 'v.id')
        .select(['v.id', 't.integrity'])
        .where('n.name', '=', namespace)
        .where('n.host', host === null ? 'is' : '=', host)
        .where('p.name', '=', name)
        .where('v.version', '=', version)
        .executeTakeFirst();
      return row ? { versionId: row.id, integrity: row.integrity } : undefined;
    },

    async findBuildSource(packageId, version) {
      return db
        .selectFrom('versions as v')
        .leftJoin('npm_tarballs as t', 't.version_id', 'v.id')
        .select([...BUILD_SOURCE, 't.integrity as tarball_integrity'])
        .where('v.package_id', '=', packageId)
        .where('v.version', '=', version)
        .executeTakeFirst();
    },

    async findBuildSourceById(versionId) {
      return db
        .selectFrom('versions as v')
        .innerJoin('packages as p', 'p.id', 'v.package_id')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .leftJoin('npm_tarballs as t', 't.version_id', 'v.id')
        .select([...BUILD_SOURCE, 'p.name', 'n.name as ns', 'n.host', 't.integrity as tarball_integrity'])
        .where('v.id', '=', versionId)
        .executeTakeFirst();
    },

    async insert(tarball) {
      await db
        .insertInto('npm_tarballs')
        .values({
          version_id: tarball.versionId,
          integrity: tarball.integrity,
          shasum: tarball.shasum,
          size: tarball.size,
          manifest: JSON.stringify(tarball.manifest),
          source: tarball.source,
        })
        .onConflict((oc) => oc.column('version_id').doNothing())
        .execute();
      await addVersionObjectReference(db, tarball.versionId, tarball.integrity);
    },

    async listUnbuilt(afterId, limit) {
      return db
        .selectFrom('versions as v')
        .innerJoin('packages as p', 'p.id', 'v.package_id')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .leftJoin('npm_tarballs as t', 't.version_id', 'v.id')
        .select([...BUILD_SOURCE, 'p.name', 'n.name as ns', 'n.host'])
        .where('v.id', '>', afterId)
        .where('t.version_id', 'is', null)
        .orderBy('v.id')
        .limit(limit)
        .execute();
    },
  };
}
