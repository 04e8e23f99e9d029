/**
 * npm compatibility (issue 6): the tarball the registry serves for each version (built once from
 * the stored files, or the verified upstream tarball of a mirrored `legacy` version), the cached
 * upstream packuments of the `legacy` read-through mirror, and the system user that records
 * mirrored versions (reserved name: nobody can sign up as it, it has no token or password).
 */
export const statements = [
  `CREATE TABLE npm_tarballs (
    version_id bigint PRIMARY KEY REFERENCES versions (id),
    integrity text NOT NULL,
    shasum text NOT NULL,
    size bigint NOT NULL,
    manifest jsonb NOT NULL,
    source text NOT NULL CHECK (source IN ('built', 'upstream')),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE npm_upstream_packuments (
    name text PRIMARY KEY,
    body text NOT NULL,
    etag text,
    fetched_at timestamptz NOT NULL
  )`,
  `INSERT INTO users (name) VALUES ('legacy') ON CONFLICT DO NOTHING`,
  `INSERT INTO namespace_members (namespace_id, user_id, accepted)
    SELECT n.id, u.id, true FROM namespaces n, users u
    WHERE n.name = 'legacy' AND n.host IS NULL AND u.name = 'legacy'
    ON CONFLICT DO NOTHING`,
];
