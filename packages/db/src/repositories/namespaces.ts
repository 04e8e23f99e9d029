import type { NamespaceRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function namespaceRepository(db: Executor): NamespaceRepository {
  return {
    async find(name, host) {
      let query = db.selectFrom('namespaces').select(['id', 'name', 'host', 'kind']).where('name', '=', name);
      query = host === null ? query.where('host', 'is', null) : query.where('host', '=', host);
      return query.executeTakeFirst();
    },
  };
}
