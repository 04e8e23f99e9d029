/**
 * Issue 16.3: package search. One row per package (local and mirrored `legacy`), written by the
 * search indexer off the request path from the package's latest version: names, description,
 * keywords and README text, a weighted tsvector for full text, and trigram indexes on the names
 * for prefix and typo-tolerant matching (`expres` → `express`).
 *
 * pg_trgm goes into `public` and is named with it (`public.gin_trgm_ops`, `public.similarity`):
 * an extension lives in one schema per database, and tests run each app in a schema of its own
 * with only that schema on the search_path. pg_trgm is a trusted extension (no superuser needed).
 * `downloads` is the popularity used after text relevance (filled from the download counts).
 */
export const statements = [
  `CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public`,
  `CREATE TABLE package_search (
    package_id bigint PRIMARY KEY REFERENCES packages(id) ON DELETE CASCADE,
    npm_name text NOT NULL,
    namespace text NOT NULL,
    host text,
    name text NOT NULL,
    version text NOT NULL,
    description text NOT NULL DEFAULT '',
    keywords jsonb NOT NULL DEFAULT '[]',
    maintainers jsonb NOT NULL DEFAULT '[]',
    published_at timestamptz NOT NULL,
    document tsvector NOT NULL,
    downloads bigint NOT NULL DEFAULT 0,
    source_modified_at timestamptz NOT NULL,
    indexed_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX package_search_document ON package_search USING gin (document)`,
  `CREATE INDEX package_search_name_trgm ON package_search USING gin (lower(name) public.gin_trgm_ops)`,
  `CREATE INDEX package_search_npm_name_trgm ON package_search USING gin (lower(npm_name) public.gin_trgm_ops)`,
];
