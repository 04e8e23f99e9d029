/**
 * Sign-in identities from external providers (GitHub, OpenID Connect). A user may have several;
 * an identity belongs to one user. `subject` is the provider's immutable id (GitHub's numeric
 * user id, OIDC `sub`), never a login name that its owner can change.
 */
export const statements = [
  `CREATE TABLE identities (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    provider text NOT NULL,
    subject text NOT NULL,
    remote_username text,
    email text,
    access_token_sealed text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, subject)
  )`,
  `CREATE INDEX identities_user_idx ON identities (user_id)`,
];
