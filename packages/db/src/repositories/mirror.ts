import type { MirrorRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function mirrorRepository(db: Executor): MirrorRepository {
  return {
    async findUpstreamPackument(name) {
      return db.selectFrom('npm_upstream_packuments').select(['body', 'etag', 'fetched_at']).where('name', '=', name).executeTakeFirst();
    },

    async listUpstreamPackumentNames() {
      const rows = await db.selectFrom('npm_upstream_packuments').select('name').execute();
      return rows.map((row) => row.name);
    },

    async putUpstreamPackument({ name, body, etag, fetchedAt }) {
      await db
        .insertInto('npm_upstream_packuments')
        .values({ name, body, etag, fetched_at: fetchedAt })
        .onConflict((oc) => oc.column('name').doUpdateSet({ body, etag, fetched_at: fetchedAt }))
        .execute();
    },

    async touchUpstreamPackument(name, fetchedAt) {
      const row = await db
        .updateTable('npm_upstream_packuments')
        .set({ fetched_at: fetchedAt })
        .where('name', '=', name)
        .returning('body')
        .executeTakeFirst();
      return row?.body;
    },

    async deleteUpstreamPackument(name) {
      const deleted = await db.deleteFrom('npm_upstream_packuments').where('name', '=', name).executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    },
  };
}
