import type { PackageRepository } from '@entropic/core';
import { sql } from 'kysely';
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
      sql<boolean>`p.private OR n.private`.as('private'),
      'p.private as package_private',
      'n.private as namespace_private',
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

    findForWrite: (namespace, host, name) => findForWrite(db, namespace, host, name),

    async list({ filter, afterId, limit }) {
      let query = packageQuery(db).where('p.yanked', '=', false).where('p.id', '>', afterId).orderBy('p.id').limit(limit);
      if (filter.kind === 'authored-by') query = query.where('p.namespace_id', '=', filter.namespaceId);
      if (filter.kind === 'maintained-by') {
        const namespaceId = filter.namespaceId;
        const accepted = filter.pending !== true;
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('package_maintainers as pm')
              .select('pm.package_id')
              .whereRef('pm.package_id', '=', 'p.id')
              .where('pm.namespace_id', '=', namespaceId)
              .where('pm.accepted', '=', accepted),
          ),
        );
      }
      return query.execute();
    },

    async ensure(namespaceId, name) {
      const inserted = await db
        .insertInto('packages')
        .values({ namespace_id: namespaceId, name })
        .onConflict((oc) => oc.columns(['namespace_id', 'name']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) {
        await db.insertInto('package_maintainers').values({ package_id: inserted.id, namespace_id: namespaceId, accepted: true }).execute();
        return { id: inserted.id, created: true };
      }
      const existing = await db
        .selectFrom('packages')
        .select('id')
        .where('namespace_id', '=', namespaceId)
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return { id: existing.id, created: false };
    },

    async update(id, changes) {
      await db
        .updateTable('packages')
        .set({
          ...(changes.yanked === undefined ? {} : { yanked: changes.yanked }),
          modified_at: changes.modifiedAt,
          ...(changes.requireTfa === undefined ? {} : { require_tfa: changes.requireTfa }),
          ...(changes.private === undefined ? {} : { private: changes.private }),
        })
        .where('id', '=', id)
        .execute();
    },

    async touch(id, modifiedAt) {
      const result = await db
        .updateTable('packages')
        .set({ modified_at: modifiedAt })
        .where('id', '=', id)
        .where('yanked', '=', false)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async listLocalNames(afterId, limit) {
      return db
        .selectFrom('packages as p')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .select(['p.id', 'n.name as namespace', 'p.name'])
        .where('n.host', 'is', null)
        .where('p.id', '>', afterId)
        .orderBy('p.id')
        .limit(limit)
        .execute();
    },

    async localNamesOf(ids) {
      if (ids.length === 0) return [];
      return db
        .selectFrom('packages as p')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .select(['p.id', 'n.name as namespace', 'p.name'])
        .where('n.host', 'is', null)
        .where('p.id', 'in', [...ids])
        .execute();
    },

    async countLocal() {
      const row = await db
        .selectFrom('packages as p')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('n.host', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async replaceMaintainers(packageId, namespaceId) {
      await db.deleteFrom('package_maintainers').where('package_id', '=', packageId).execute();
      await db.insertInto('package_maintainers').values({ package_id: packageId, namespace_id: namespaceId, accepted: true }).execute();
    },
  };
}

/** PackageRepository.findForWrite: the namespace row left-joined with the package of that name. */
async function findForWrite(db: Executor, namespace: string, host: string | null, name: string) {
  let query = db
    .selectFrom('namespaces as n')
    .leftJoin('packages as p', (join) => join.onRef('p.namespace_id', '=', 'n.id').on('p.name', '=', name))
    .select([
      'n.id as ns_id',
      'n.name as ns_name',
      'n.host as ns_host',
      'n.kind as ns_kind',
      'n.private as ns_private',
      'n.require_tfa as ns_require_tfa',
      'p.id',
      'p.name',
      'p.require_tfa',
      'p.yanked',
      'p.private',
      'p.created_at',
      'p.modified_at',
    ])
    .where('n.name', '=', namespace);
  query = host === null ? query.where('n.host', 'is', null) : query.where('n.host', '=', host);
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  const ns = {
    id: row.ns_id,
    name: row.ns_name,
    host: row.ns_host,
    kind: row.ns_kind,
    private: row.ns_private,
    require_tfa: row.ns_require_tfa,
  };
  if (row.id === null) return { namespace: ns, pkg: undefined };
  return {
    namespace: ns,
    // the same row packageQuery gives
    pkg: {
      id: row.id,
      name: row.name as string,
      namespace_id: row.ns_id,
      namespace_name: row.ns_name,
      namespace_host: row.ns_host,
      require_tfa: row.require_tfa as boolean,
      yanked: row.yanked as boolean,
      private: (row.private as boolean) || row.ns_private,
      package_private: row.private as boolean,
      namespace_private: row.ns_private,
      created_at: row.created_at as Date,
      modified_at: row.modified_at as Date,
    },
  };
}
