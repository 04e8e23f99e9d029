/**
 * Issue 15.3/15.6: what this registry knows about its peers. `peer_keys`: the signing keys of each
 * host in FEDERATION_HOSTS, pinned at first contact (trust on first use) and never replaced.
 * `remote_packages`: the
 * origin's package document as verified (its signatures kept, so it is served as the origin signed it).
 * `remote_versions`: the integrity each remote version had when this registry first saw it in a
 * signed statement; a statement giving another integrity for it is refused. Rows are never deleted.
 */
export const statements = [
  `CREATE TABLE peer_keys (
    host text NOT NULL,
    key_id text NOT NULL,
    public_key text NOT NULL,
    not_before timestamptz,
    expires timestamptz,
    pinned_at timestamptz NOT NULL,
    PRIMARY KEY (host, key_id)
  )`,
  `CREATE TABLE remote_packages (
    package_id bigint PRIMARY KEY REFERENCES packages (id),
    document text NOT NULL,
    modified timestamptz NOT NULL,
    fetched_at timestamptz NOT NULL
  )`,
  `CREATE TABLE remote_versions (
    package_id bigint NOT NULL REFERENCES packages (id),
    version text NOT NULL,
    integrity text NOT NULL,
    first_seen timestamptz NOT NULL,
    PRIMARY KEY (package_id, version)
  )`,
];
