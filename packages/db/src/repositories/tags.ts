import type { TagRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function tagRepository(db: Executor): TagRepository {
  return {
    async list(packageId) {
      return db.selectFrom('dist_tags').select(['tag', 'version']).where('package_id', '=', packageId).orderBy('tag').execute();
    },

    async set(packageId, tag, version, now) {
      await db
        .insertInto('dist_tags')
        .values({ package_id: packageId, tag, version, updated_at: now })
        .onConflict((oc) => oc.columns(['package_id', 'tag']).doUpdateSet({ version, updated_at: now }))
        .execute();
    },

    async insert(packageId, tag, version, now) {
      await db.insertInto('dist_tags').values({ package_id: packageId, tag, version, updated_at: now }).execute();
    },

    async remove(packageId, tag) {
      const deleted = await db
        .deleteFrom('dist_tags')
        .where('package_id', '=', packageId)
        .where('tag', '=', tag)
        .returning('tag')
        .executeTakeFirst();
      return deleted !== undefined;
    },

    async removeForVersion(packageId, version) {
      const rows = await db
        .deleteFrom('dist_tags')
        .where('package_id', '=', packageId)
        .where('version', '=', version)
        .returning('tag')
        .execute();
      return rows.map((row) => row.tag);
    },

    async removeAll(packageId) {
      await db.deleteFrom('dist_tags').where('package_id', '=', packageId).execute();
    },
  };
}
