import type { DownloadCount, DownloadRepository, StoredPackageName } from '@entropic/core';
import { sql } from 'kysely';
import type { Executor } from './executor.ts';

/** Rows per INSERT: 6 parameters each, well under PostgreSQL's 65,535. */
const ROWS_PER_STATEMENT = 1000;

const hostColumn = (host: string | null) => host ?? '';
const hostOf = (column: string) => (column === '' ? null : column);

export function downloadRepository(db: Executor): DownloadRepository {
  const ofPackage = (pkg: StoredPackageName) =>
    db
      .selectFrom('download_counts')
      .where('namespace', '=', pkg.namespace)
      .where('host', '=', hostColumn(pkg.host))
      .where('name', '=', pkg.name);

  return {
    async add(counts) {
      // One row per key (an upsert may not touch a row twice), in key order: concurrent flushes
      // of other processes lock the rows they share in the same order, so they cannot deadlock.
      const rows = [...mergeByKey(counts).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        await db
          .insertInto('download_counts')
          .values(
            rows.slice(i, i + ROWS_PER_STATEMENT).map((row) => ({
              namespace: row.namespace,
              host: hostColumn(row.host),
              name: row.name,
              version: row.version,
              day: row.day,
              count: row.count,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['namespace', 'host', 'name', 'day', 'version']).doUpdateSet({ count: sql`download_counts.count + excluded.count` }),
          )
          .execute();
      }
    },

    async listDaily(pkg, start, end) {
      const rows = await ofPackage(pkg)
        .select([sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'), sql<string>`sum(count)`.as('downloads')])
        .where('day', '>=', start)
        .where('day', '<=', end)
        .groupBy('day')
        .orderBy('day')
        .execute();
      return rows.map((row) => ({ day: row.day, downloads: Number(row.downloads) }));
    },

    async listByVersion(pkg, start, end) {
      const rows = await ofPackage(pkg)
        .select(['version', sql<string>`sum(count)`.as('downloads')])
        .where('day', '>=', start)
        .where('day', '<=', end)
        .groupBy('version')
        .execute();
      return rows.map((row) => ({ version: row.version, downloads: Number(row.downloads) }));
    },

    async listTop(start, end, limit) {
      const rows = await db
        .selectFrom('download_counts')
        .select(['namespace', 'host', 'name', sql<string>`sum(count)`.as('downloads')])
        .where('day', '>=', start)
        .where('day', '<=', end)
        // the home page's list: public packages only (private ones are no one's showcase)
        .where(
          sql<boolean>`NOT EXISTS (SELECT 1 FROM packages p JOIN namespaces n ON n.id = p.namespace_id
            WHERE n.name = download_counts.namespace AND coalesce(n.host, '') = download_counts.host
              AND p.name = download_counts.name AND (p.private OR n.private))`,
        )
        .groupBy(['namespace', 'host', 'name'])
        .orderBy(sql`sum(count)`, 'desc')
        .orderBy('namespace')
        .orderBy('name')
        .limit(limit)
        .execute();
      return rows.map((row) => ({ namespace: row.namespace, host: hostOf(row.host), name: row.name, downloads: Number(row.downloads) }));
    },
  };
}

function mergeByKey(counts: readonly DownloadCount[]): Map<string, DownloadCount> {
  const merged = new Map<string, DownloadCount>();
  for (const count of counts) {
    const key = `${count.namespace}\n${count.host ?? ''}\n${count.name}\n${count.day}\n${count.version}`;
    const seen = merged.get(key);
    if (seen) merged.set(key, { ...seen, count: seen.count + count.count });
    else merged.set(key, { ...count });
  }
  return merged;
}
