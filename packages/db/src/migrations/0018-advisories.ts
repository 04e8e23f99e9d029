/**
 * Issue 10.4: security advisories maintainers publish for their packages, answered to `npm audit`
 * (`POST /-/npm/v1/security/advisories/bulk`) beside the upstream's for `legacy` packages, shown
 * on the package page and by `ds audit`. `id` is what npm's audit report names an advisory by.
 */
export const statements = [
  `CREATE TABLE advisories (
    id serial PRIMARY KEY,
    package_id bigint NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    title text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('info', 'low', 'moderate', 'high', 'critical')),
    vulnerable_versions text NOT NULL,
    patched_versions text,
    url text,
    cwe jsonb NOT NULL DEFAULT '[]',
    cvss_score real,
    cvss_vector text,
    created_by bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX advisories_package ON advisories (package_id)`,
];
