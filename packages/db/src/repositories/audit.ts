import type { AuditAction, AuditEntry, AuditRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

type Row = {
  id: string;
  at: Date;
  actor_id: number | null;
  actor: string;
  action: string;
  namespace: string | null;
  package: string | null;
  address: string | null;
  details: Record<string, unknown>;
};

const toEntry = (row: Row): AuditEntry => ({
  id: String(row.id),
  at: row.at,
  actorId: row.actor_id ?? undefined,
  actor: row.actor,
  action: row.action as AuditAction,
  namespace: row.namespace ?? undefined,
  package: row.package ?? undefined,
  address: row.address ?? undefined,
  details: typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : row.details,
});

const ID_RE = /^[0-9]{1,19}$/;

/** The audit log: append, read by actor or namespace (newest first, keyset pages), prune by age. No update path. */
export function auditRepository(db: Executor): AuditRepository {
  return {
    async append(entry) {
      await db
        .insertInto('audit_log')
        .values({
          at: entry.at,
          actor_id: entry.actorId ?? null,
          actor: entry.actor,
          action: entry.action,
          namespace: entry.namespace ?? null,
          package: entry.package ?? null,
          address: entry.address ?? null,
          details: JSON.stringify(entry.details),
        })
        .execute();
    },

    async listByActor(actorId, page) {
      let query = db.selectFrom('audit_log').selectAll().where('actor_id', '=', actorId);
      if (page.before !== undefined && ID_RE.test(page.before)) query = query.where('id', '<', page.before);
      const rows = await query.orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map((row) => toEntry(row as Row));
    },

    async listByNamespace(namespace, page) {
      let query = db.selectFrom('audit_log').selectAll().where('namespace', '=', namespace);
      if (page.before !== undefined && ID_RE.test(page.before)) query = query.where('id', '<', page.before);
      const rows = await query.orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map((row) => toEntry(row as Row));
    },

    async prune(before) {
      const result = await db.deleteFrom('audit_log').where('at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
