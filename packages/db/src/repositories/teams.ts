import type { TeamRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function teamRepository(db: Executor): TeamRepository {
  return {
    async isAcceptedMember(userId, namespaceId) {
      const row = await db
        .selectFrom('namespace_members')
        .select('accepted')
        .where('namespace_id', '=', namespaceId)
        .where('user_id', '=', userId)
        .where('accepted', '=', true)
        .executeTakeFirst();
      return row !== undefined;
    },
    async isMaintainer(userId, packageId) {
      const row = await db
        .selectFrom('package_maintainers as pm')
        .innerJoin('namespace_members as nm', 'nm.namespace_id', 'pm.namespace_id')
        .select('pm.package_id')
        .where('pm.package_id', '=', packageId)
        .where('pm.accepted', '=', true)
        .where('nm.user_id', '=', userId)
        .where('nm.accepted', '=', true)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
