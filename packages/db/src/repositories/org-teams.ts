import type { OrgTeamRepository, TeamPermission } from '@entropic/core';
import { sql } from 'kysely';
import type { Executor } from './executor.ts';

const TEAM_COLUMNS = ['id', 'namespace_id', 'name', 'description', 'created_at'] as const;

export function orgTeamRepository(db: Executor): OrgTeamRepository {
  return {
    async create(namespaceId, name, description) {
      return db
        .insertInto('teams')
        .values({ namespace_id: namespaceId, name, description })
        .onConflict((oc) => oc.columns(['namespace_id', 'name']).doNothing())
        .returning([...TEAM_COLUMNS])
        .executeTakeFirst();
    },

    async find(namespaceId, name) {
      return db
        .selectFrom('teams')
        .select([...TEAM_COLUMNS])
        .where('namespace_id', '=', namespaceId)
        .where('name', '=', name)
        .executeTakeFirst();
    },

    async list(namespaceId) {
      return db
        .selectFrom('teams')
        .select([...TEAM_COLUMNS])
        .where('namespace_id', '=', namespaceId)
        .orderBy('name')
        .execute();
    },

    async destroy(teamId) {
      const row = await db.deleteFrom('teams').where('id', '=', teamId).returning('id').executeTakeFirst();
      return row !== undefined;
    },

    async addMember(teamId, userId) {
      const row = await db
        .insertInto('team_members')
        .values({ team_id: teamId, user_id: userId })
        .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async removeMember(teamId, userId) {
      const row = await db
        .deleteFrom('team_members')
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async listMembers(teamId) {
      const rows = await db
        .selectFrom('team_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select('u.name')
        .where('m.team_id', '=', teamId)
        .orderBy('u.name')
        .execute();
      return rows.map((r) => r.name);
    },

    async grant(teamId, packageId, permission) {
      // one grant per (team, package) and one namespace-wide grant per team (partial unique indexes)
      await db
        .deleteFrom('team_grants')
        .where('team_id', '=', teamId)
        .where('package_id', packageId === null ? 'is' : '=', packageId)
        .execute();
      await db.insertInto('team_grants').values({ team_id: teamId, package_id: packageId, permission }).execute();
    },

    async revoke(teamId, packageId) {
      const row = await db
        .deleteFrom('team_grants')
        .where('team_id', '=', teamId)
        .where('package_id', packageId === null ? 'is' : '=', packageId)
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async listGrants(teamId) {
      return db
        .selectFrom('team_grants as g')
        .leftJoin('packages as p', 'p.id', 'g.package_id')
        .leftJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .select(['n.name as package_namespace', 'n.host as package_host', 'p.name as package_name', 'g.permission'])
        .where('g.team_id', '=', teamId)
        .orderBy('n.name')
        .orderBy('p.name')
        .execute();
    },

    async permissionsFor(userId, packageIds) {
      const out = new Map<number, TeamPermission>();
      if (packageIds.length === 0) return out;
      const ids = [...new Set(packageIds)];
      const rows = await sql<{ package_id: number; permission: TeamPermission }>`
        SELECT p.id AS package_id, max(g.permission) AS permission
        FROM team_members m
        JOIN team_grants g ON g.team_id = m.team_id
        JOIN teams t ON t.id = g.team_id
        JOIN packages p ON p.id = g.package_id
          OR (g.package_id IS NULL AND EXISTS (
            SELECT 1 FROM package_maintainers pm
            WHERE pm.package_id = p.id AND pm.namespace_id = t.namespace_id AND pm.accepted))
        WHERE m.user_id = ${userId} AND p.id IN (${sql.join(ids)})
        GROUP BY p.id`.execute(db);
      for (const row of rows.rows) out.set(Number(row.package_id), row.permission);
      return out;
    },

    async mayWriteNamespace(userId, namespaceId) {
      const row = await db
        .selectFrom('team_members as m')
        .innerJoin('team_grants as g', 'g.team_id', 'm.team_id')
        .innerJoin('teams as t', 't.id', 'g.team_id')
        .select('g.id')
        .where('m.user_id', '=', userId)
        .where('t.namespace_id', '=', namespaceId)
        .where('g.package_id', 'is', null)
        .where('g.permission', '=', 'write')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
