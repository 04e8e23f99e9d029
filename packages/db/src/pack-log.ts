import { type LogLine, leaseLost, type PackLog } from '@entropic/blobs';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The pack index of packed blob storage in the database (migration 0021): every registry instance
 * sharing the database (and its bucket) reads the same lines and competes for the same leases
 * (docs/decisions/packed-storage.md, "Index: a port"). PGlite and PostgreSQL alike. Lease expiry
 * is the database's clock, the one clock every instance shares.
 */
export function createDatabasePackLog(db: Kysely<Database>): PackLog {
  return {
    describe: 'database (pack_index_log)',

    async read(cursor) {
      const rows = await db.selectFrom('pack_index_log').select(['seq', 'line']).where('seq', '>', cursor).orderBy('seq').execute();
      return rows.map((row) => ({ line: row.line as LogLine, cursor: Number(row.seq) }));
    },

    async append(line, fence) {
      await db.transaction().execute(async (trx) => {
        if (fence !== undefined) {
          // the lease row locked until commit: a process taking the expired lease over waits for this line
          const held = await sql<{ holder: string }>`SELECT holder FROM pack_leases
            WHERE name = ${fence.name} AND holder = ${fence.holder} AND expires_at > now() FOR UPDATE`.execute(trx);
          if (held.rows.length === 0) throw leaseLost(fence.name);
        }
        // the head row locked until commit: positions are committed in the order they are handed out
        const head = await sql<{ seq: string | number }>`UPDATE pack_index_head SET seq = seq + 1 WHERE id = 1 RETURNING seq`.execute(trx);
        const seq = Number(head.rows[0]?.seq);
        await trx
          .insertInto('pack_index_log')
          .values({ seq, line: JSON.stringify(line) })
          .execute();
      });
    },

    async acquire(lease, ttlMs) {
      const taken = await sql<{ holder: string }>`INSERT INTO pack_leases (name, holder, expires_at)
        VALUES (${lease.name}, ${lease.holder}, now() + ${ttlMs} * interval '1 millisecond')
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE pack_leases.holder = excluded.holder OR pack_leases.expires_at <= now()
        RETURNING holder`.execute(db);
      return taken.rows.length === 1;
    },

    async release(lease) {
      await db.deleteFrom('pack_leases').where('name', '=', lease.name).where('holder', '=', lease.holder).execute();
    },

    async close() {
      // the database is the server's to close
    },
  };
}
