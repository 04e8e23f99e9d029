import type { NamespaceRepository } from '@entropic/core';
import type { Executor } from './executor.ts';
import { nameAfter } from './name-cursor.ts';

export function namespaceRepository(db: Executor): NamespaceRepository {
  return {
    async find(name, host) {
      let query = db.selectFrom('namespaces').select(['id', 'name', 'host', 'kind', 'private']).where('name', '=', name);
      query = host === null ? query.where('host', 'is', null) : query.where('host', '=', host);
      return query.executeTakeFirst();
    },

    async listLocalNames(afterId, limit) {
      return db
        .selectFrom('namespaces')
        .select(['id', 'name'])
        .where('host', 'is', null)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
    },

    async countLocal() {
      const row = await db
        .selectFrom('namespaces')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('host', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async create(name, kind) {
      const inserted = await db
        .insertInto('namespaces')
        .values({ name, host: null, kind })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted?.id;
    },
    async listLocal({ after, limit }) {
      let query = db
        .selectFrom('namespaces as n')
        .select(['n.id', 'n.name', 'n.host'])
        .where('n.host', 'is', null)
        .orderBy('n.name')
        .orderBy('n.id')
        .limit(limit);
      if (after) query = query.where(nameAfter(after, 'n.name', 'n.id'));
      return query.execute();
    },

    async findMinReleaseAge(name) {
      const row = await db
        .selectFrom('namespaces')
        .select('min_release_age_hours')
        .where('name', '=', name)
        .where('host', 'is', null)
        .executeTakeFirst();
      return row?.min_release_age_hours ?? undefined;
    },

    async setMinReleaseAge(id, hours) {
      await db.updateTable('namespaces').set({ min_release_age_hours: hours }).where('id', '=', id).execute();
    },

    async setPrivate(id, value) {
      await db.updateTable('namespaces').set({ private: value }).where('id', '=', id).execute();
    },

    async listPackageNames(id) {
      const rows = await db.selectFrom('packages').select('name').where('namespace_id', '=', id).orderBy('id').execute();
      return rows.map((row) => row.name);
    },
  };
}
