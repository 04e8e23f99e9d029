/**
 * Issue 10.2/10.3: trusted publishing and provenance. `trusted_publishers` names the CI identities
 * (an OpenID Connect issuer and exact claims) allowed to publish a package; a token exchanged for
 * one of them is a row of `tokens` with `trusted_publisher_id` set (deleting the publisher deletes
 * its tokens) and `trusted_identity` (the issuer and the claims of the OIDC token it was exchanged
 * for). A version published with such a token records that identity in `published_by`.
 * `version_attestations` keeps a version's Sigstore bundles (the bundle itself is a blob, by
 * integrity) and what was verified of each.
 */
export const statements = [
  `CREATE TABLE trusted_publishers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    package_id bigint NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    issuer text NOT NULL,
    claims jsonb NOT NULL,
    created_by bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX trusted_publishers_package_idx ON trusted_publishers (package_id)`,
  `ALTER TABLE tokens ADD COLUMN trusted_publisher_id uuid REFERENCES trusted_publishers (id) ON DELETE CASCADE`,
  `ALTER TABLE tokens ADD COLUMN trusted_identity jsonb`,
  `CREATE INDEX tokens_trusted_publisher_idx ON tokens (trusted_publisher_id) WHERE trusted_publisher_id IS NOT NULL`,
  `ALTER TABLE versions ADD COLUMN published_by jsonb`,
  `CREATE TABLE version_attestations (
    version_id bigint NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    predicate_type text NOT NULL,
    bundle_integrity text NOT NULL,
    verification jsonb NOT NULL,
    PRIMARY KEY (version_id, predicate_type)
  )`,
  `CREATE INDEX version_attestations_integrity_idx ON version_attestations (bundle_integrity)`,
];
