import { type Kysely, sql } from 'kysely';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

/**
 * Applies pending migrations. An advisory lock makes concurrent starts (several registry
 * processes on one PostgreSQL) safe: one migrates, the others wait and find nothing to do.
 */
export async function migrate(db: Kysely<Database>): Promise<string[]> {
  const applied: string[] = [];
  await db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(7230431)`.execute(conn);
    try {
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(
        conn,
      );
      const done = await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(conn);
      const seen = new Set(done.rows.map((r) => r.name));
      for (const migration of migrations) {
        if (seen.has(migration.name)) continue;
        await conn.transaction().execute(async (tx) => {
          for (const statement of migration.statements) await sql.raw(statement).execute(tx);
          await sql`INSERT INTO schema_migrations (name) VALUES (${migration.name})`.execute(tx);
        });
        applied.push(migration.name);
      }
    } finally {
      await sql`SELECT pg_advisory_unlock(7230431)`.execute(conn);
    }
  });
  return applied;
}
