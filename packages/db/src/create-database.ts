import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

// bigint columns (ids, sizes) come back as numbers: they stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

export interface DatabaseOptions {
  /** PostgreSQL connection string; unset → embedded PGlite */
  postgresUrl?: string | undefined;
  /** folder of the embedded database; `memory://` for an in-memory one */
  dataDir?: string | undefined;
  /** PostgreSQL schema to use (tests isolate themselves in a fresh schema) */
  schema?: string | undefined;
  poolSize?: number;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export async function createDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.postgresUrl) {
    const pool = new pg.Pool({
      connectionString: options.postgresUrl,
      max: options.poolSize ?? 10,
      // Fail fast when the server is down: requests answer 503 instead of hanging.
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
      query_timeout: 30_000,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // A client losing its connection must not crash the process: the pool handles idle clients
    // ('error' on the pool); a checked-out client (a query in flight when PostgreSQL dies) emits
    // 'error' on itself, which nobody else listens to. Its queries fail (→ 503) and the pool
    // discards it on release.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    if (options.schema) {
      const client = await pool.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema.replaceAll('"', '')}"`);
      } finally {
        client.release();
      }
    }
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dataDir = options.dataDir ?? 'memory://';
  let location = dataDir;
  if (!dataDir.startsWith('memory://')) {
    location = join(dataDir, 'pg');
    mkdirSync(location, { recursive: true });
  }
  // Loaded only on the embedded path: PGlite's WASM costs ~45 MB a process that runs on PostgreSQL does not need.
  const [{ PGlite }, { PGliteDialect }, { pg_trgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('kysely-pglite-dialect'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
  ]);
  // pg_trgm: search's typo-tolerant name matching (migration 0007), as on PostgreSQL
  const client = await PGlite.create(location, { extensions: { pg_trgm } });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}

/** True for errors that mean "the database cannot be reached right now" (→ 503). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return false;
  const code = e.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code)) return true;
  // 08xxx connection exceptions, 57P0x operator intervention (shutdown), 53xxx resources
  if (/^(08|57P0|53)/.test(code)) return true;
  const message = e.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(
    message,
  );
}

/** True for a unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === '23505';
}
