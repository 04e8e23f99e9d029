/**
 * Issue 10: second factors and the audit log.
 *
 * - `user_second_factors`: one row per user with TOTP (the secret sealed with OAUTH_PASSWORD;
 *   `enabled_at` NULL while an enrolment waits for its confirmation code), whether writes need a
 *   fresh code, and the last time step accepted (a code is good once: replays are refused).
 * - `recovery_codes`: sha256 of each one-time recovery code; `used_at` set when spent.
 * - `namespaces.require_tfa`: an organisation (or user) namespace whose writes need a second factor.
 * - `webauthn_credentials`: passkeys for website sign-in.
 * - `audit_log`: append-only (a trigger refuses UPDATE); rows leave only by retention pruning.
 */
export const statements = [
  `CREATE TABLE user_second_factors (
    user_id integer PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    totp_secret_sealed text NOT NULL,
    enabled_at timestamptz,
    for_writes boolean NOT NULL DEFAULT true,
    last_step bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE recovery_codes (
    user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash text NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, hash)
  )`,
  `ALTER TABLE namespaces ADD COLUMN require_tfa boolean NOT NULL DEFAULT false`,
  `CREATE TABLE webauthn_credentials (
    id text PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    public_key text NOT NULL,
    counter bigint NOT NULL DEFAULT 0,
    transports text NOT NULL DEFAULT '',
    name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
  )`,
  `CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id)`,
  `CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id integer,
    actor text NOT NULL,
    action text NOT NULL,
    namespace text,
    package text,
    address text,
    details jsonb NOT NULL DEFAULT '{}'::jsonb
  )`,
  `CREATE INDEX audit_log_actor ON audit_log (actor_id, id)`,
  `CREATE INDEX audit_log_namespace ON audit_log (namespace, id)`,
  `CREATE INDEX audit_log_at ON audit_log (at)`,
  `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
  END
  $$`,
  `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
];
