import type { PackageRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function packageQuery(db: Executor) {
  return db
    .selectFrom('packages as p')
    .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
    .select([
      'p.id',
      'p.name',
      'p.namespace_id',
      'n.name as namespace_name',
      'n.host as namespace_host',
      'p.require_tfa',
      'p.yanked',
      'p.created_at',
      'p.modified_at',
    ]);
}

export function packageRepository(db: Executor): PackageRepository {
  return {
    async find(namespace, host, name) {
      let query = packageQuery(db).where('n.name', '=', namespace).where('p.name', '=', name);
      query = host === null ? query.where('n.host', 'is', null) : query.where('n.host', '=', host);
      return query.executeTakeFirst();
    },
  };
}
