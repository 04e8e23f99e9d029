/**
 * Issue 16.5: downloads counted per version per day. Rows are keyed by name, not by version id:
 * a count is taken on the read path without a query, and the legacy mirror answers a first
 * fetch before its version row exists; a flush adds (`count = count + excluded.count`), so
 * several processes flushing the same row sum. `host` is '' for this registry's own namespaces
 * (as `namespaces.host` is NULL for them). The index on versions.created_at serves the home
 * page's "recently published".
 */
export const statements = [
  `CREATE TABLE download_counts (
    namespace text NOT NULL,
    host text NOT NULL DEFAULT '',
    name text NOT NULL,
    version text NOT NULL,
    day date NOT NULL,
    count bigint NOT NULL CHECK (count > 0),
    PRIMARY KEY (namespace, host, name, day, version)
  )`,
  `CREATE INDEX download_counts_day ON download_counts (day)`,
  `CREATE INDEX versions_created_at ON versions (created_at)`,
];
