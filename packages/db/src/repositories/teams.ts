import type { TeamRepository } from '@entropic/core';
import type { Executor } from './executor.ts';
import { nameAfter } from './name-cursor.ts';

export function teamRepository(db: Executor): TeamRepository {
  return { ...memberQueries(db), ...maintainerQueries(db) };
}

type MemberQueries = Pick<
  TeamRepository,
  | 'isAcceptedMember'
  | 'lockNamespace'
  | 'findMembership'
  | 'addMember'
  | 'acceptMembership'
  | 'removeMember'
  | 'countAcceptedMembers'
  | 'listMembers'
  | 'listMemberships'
>;

function memberQueries(db: Executor): MemberQueries {
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
    async lockNamespace(namespaceId) {
      await db.selectFrom('namespaces').select('id').where('id', '=', namespaceId).forUpdate().execute();
    },
    async findMembership(namespaceId, userId) {
      return db
        .selectFrom('namespace_members')
        .select('accepted')
        .where('namespace_id', '=', namespaceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
    },
    async addMember(namespaceId, userId, { accepted, invitedBy }) {
      const inserted = await db
        .insertInto('namespace_members')
        .values({ namespace_id: namespaceId, user_id: userId, accepted, invited_by: invitedBy })
        .onConflict((oc) => oc.columns(['namespace_id', 'user_id']).doNothing())
        .returning('user_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async acceptMembership(namespaceId, userId, now) {
      const updated = await db
        .updateTable('namespace_members')
        .set({ accepted: true, updated_at: now })
        .where('namespace_id', '=', namespaceId)
        .where('user_id', '=', userId)
        .where('accepted', '=', false)
        .returning('user_id')
        .executeTakeFirst();
      return updated !== undefined;
    },
    async removeMember(namespaceId, userId) {
      await db.deleteFrom('namespace_members').where('namespace_id', '=', namespaceId).where('user_id', '=', userId).execute();
    },
    async countAcceptedMembers(namespaceId) {
      const { count } = await db
        .selectFrom('namespace_members')
        .select((eb) => eb.fn.countAll<string | number>().as('count'))
        .where('namespace_id', '=', namespaceId)
        .where('accepted', '=', true)
        .executeTakeFirstOrThrow();
      return Number(count);
    },
    async listMembers(namespaceId, { after, limit }) {
      let query = db
        .selectFrom('namespace_members as nm')
        .innerJoin('users as u', 'u.id', 'nm.user_id')
        .select(['u.id', 'u.name'])
        .where('nm.namespace_id', '=', namespaceId)
        .where('nm.accepted', '=', true)
        .orderBy('u.name')
        .orderBy('u.id')
        .limit(limit);
      if (after) query = query.where(nameAfter(after, 'u.name', 'u.id'));
      return query.execute();
    },
    async listMemberships(userId, accepted, { after, limit }) {
      let query = db
        .selectFrom('namespace_members as nm')
        .innerJoin('namespaces as n', 'n.id', 'nm.namespace_id')
        .select(['n.id', 'n.name', 'n.host'])
        .where('nm.user_id', '=', userId)
        .where('nm.accepted', '=', accepted)
        .orderBy('n.name')
        .orderBy('n.id')
        .limit(limit);
      if (after) query = query.where(nameAfter(after, 'n.name', 'n.id'));
      return query.execute();
    },
  };
}

type MaintainerQueries = Omit<TeamRepository, keyof MemberQueries>;

function maintainerQueries(db: Executor): MaintainerQueries {
  return {
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
    async listMaintainedAmong(userId, packageIds) {
      if (packageIds.length === 0) return [];
      const rows = await db
        .selectFrom('package_maintainers as pm')
        .innerJoin('namespace_members as nm', 'nm.namespace_id', 'pm.namespace_id')
        .select('pm.package_id')
        .distinct()
        .where('pm.package_id', 'in', [...packageIds])
        .where('pm.accepted', '=', true)
        .where('nm.user_id', '=', userId)
        .where('nm.accepted', '=', true)
        .execute();
      return rows.map((row) => Number(row.package_id));
    },
    async lockPackage(packageId) {
      await db.selectFrom('packages').select('id').where('id', '=', packageId).forUpdate().execute();
    },
    async findMaintainership(packageId, namespaceId) {
      return db
        .selectFrom('package_maintainers')
        .select('accepted')
        .where('package_id', '=', packageId)
        .where('namespace_id', '=', namespaceId)
        .executeTakeFirst();
    },
    async inviteMaintainer(packageId, namespaceId) {
      const inserted = await db
        .insertInto('package_maintainers')
        .values({ package_id: packageId, namespace_id: namespaceId, accepted: false })
        .onConflict((oc) => oc.columns(['package_id', 'namespace_id']).doNothing())
        .returning('package_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async acceptMaintainership(packageId, namespaceId, now) {
      const updated = await db
        .updateTable('package_maintainers')
        .set({ accepted: true, updated_at: now })
        .where('package_id', '=', packageId)
        .where('namespace_id', '=', namespaceId)
        .where('accepted', '=', false)
        .returning('package_id')
        .executeTakeFirst();
      return updated !== undefined;
    },
    async removeMaintainer(packageId, namespaceId) {
      await db.deleteFrom('package_maintainers').where('package_id', '=', packageId).where('namespace_id', '=', namespaceId).execute();
    },
    async countAcceptedMaintainers(packageId) {
      const { count } = await db
        .selectFrom('package_maintainers')
        .select((eb) => eb.fn.countAll<string | number>().as('count'))
        .where('package_id', '=', packageId)
        .where('accepted', '=', true)
        .executeTakeFirstOrThrow();
      return Number(count);
    },
    async listMaintainers(packageId, accepted, { after, limit }) {
      let query = db
        .selectFrom('package_maintainers as pm')
        .innerJoin('namespaces as n', 'n.id', 'pm.namespace_id')
        .select(['n.id', 'n.name', 'n.host'])
        .where('pm.package_id', '=', packageId)
        .where('pm.accepted', '=', accepted)
        .orderBy('n.name')
        .orderBy('n.id')
        .limit(limit);
      if (after) query = query.where(nameAfter(after, 'n.name', 'n.id'));
      return query.execute();
    },
    async listMaintainerUsers(packageId, limit) {
      const rows = await db
        .selectFrom('package_maintainers as pm')
        .innerJoin('namespace_members as nm', 'nm.namespace_id', 'pm.namespace_id')
        .innerJoin('users as u', 'u.id', 'nm.user_id')
        .select('u.name')
        .distinct()
        .where('pm.package_id', '=', packageId)
        .where('pm.accepted', '=', true)
        .where('nm.accepted', '=', true)
        .orderBy('u.name')
        .limit(limit)
        .execute();
      return rows.map((row) => row.name);
    },
  };
}
