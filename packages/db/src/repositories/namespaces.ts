import type { NamespaceRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function namespaceRepository(db: Executor): NamespaceRepository {
  return {
    async find(name, host) {
      let query = db.selectFrom('namespaces').select(['id', 'name', 'host', 'kind']).where('name', '=', name);
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
  };
}
