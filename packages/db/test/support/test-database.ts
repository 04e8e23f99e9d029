import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { createDatabase, type DatabaseHandle } from '../../src/create-database.ts';
import { migrate } from '../../src/migrate.ts';
import type { Database } from '../../src/schema.ts';

export interface TestDatabase {
  db: Kysely<Database>;
  kind: DatabaseHandle['kind'];
  close(): Promise<void>;
}

/**
 * A migrated database for one test file: in-memory PGlite by default; with POSTGRES_URL, a fresh
 * schema on that PostgreSQL, dropped on close. Repository suites run on whichever the run gives.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const postgresUrl = process.env.POSTGRES_URL;
  const schema = postgresUrl ? `test_${randomBytes(6).toString('hex')}` : undefined;
  const handle = await createDatabase({ postgresUrl, dataDir: 'memory://', schema, poolSize: 4 });
  await migrate(handle.db);
  return {
    db: handle.db,
    kind: handle.kind,
    async close() {
      if (schema) await sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).execute(handle.db);
      await handle.close();
    },
  };
}
