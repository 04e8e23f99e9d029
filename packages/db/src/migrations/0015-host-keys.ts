/**
 * Issue 15.1 (numbered 0015: 0011–0014 are taken by other work in flight): this host's signing keys (ECDSA P-256). Kept in the database, not in DATA_DIR, so
 * every process of one registry (PostgreSQL) signs with the same keys; the private key is sealed
 * with OAUTH_PASSWORD. Rows are never deleted: an expired key still verifies what it signed.
 */
export const statements = [
  `CREATE TABLE host_keys (
    key_id text PRIMARY KEY,
    public_key text NOT NULL,
    sealed_private_key text NOT NULL,
    not_before timestamptz NOT NULL,
    expires timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
];
