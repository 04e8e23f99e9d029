/**
 * Search (issue 16.3), measured: matching every query against pg_trgm's `%` cost most of a
 * search's time on 5,000 packages, and the planner scans the table for an OR of it anyway. Name
 * prefixes are now served by btree `text_pattern_ops` indexes; trigram similarity is the typo
 * fallback of a first page that is not full (on `lower(name)` only, so the npm-name trigram index goes).
 */
export const statements = [
  `DROP INDEX package_search_npm_name_trgm`,
  `CREATE INDEX package_search_name_prefix ON package_search (lower(name) text_pattern_ops)`,
  `CREATE INDEX package_search_npm_name_prefix ON package_search (lower(npm_name) text_pattern_ops)`,
];
