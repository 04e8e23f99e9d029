/** Statements run one by one (PGlite's extended protocol takes one statement at a time). */
export const statements = [
  `CREATE TABLE users (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    email text,
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX users_name_key ON users (name)`,
  `CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL`,
  `CREATE TABLE namespaces (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    host text,
    kind text NOT NULL CHECK (kind IN ('user', 'org', 'system')),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX namespaces_name_host_key ON namespaces (name, coalesce(host, ''))`,
  `CREATE TABLE namespace_members (
    namespace_id bigint NOT NULL REFERENCES namespaces (id),
    user_id bigint NOT NULL REFERENCES users (id),
    accepted boolean NOT NULL,
    invited_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace_id, user_id)
  )`,
  `CREATE INDEX namespace_members_user_idx ON namespace_members (user_id)`,
  `CREATE TABLE packages (
    id bigserial PRIMARY KEY,
    namespace_id bigint NOT NULL REFERENCES namespaces (id),
    name text NOT NULL,
    require_tfa boolean NOT NULL DEFAULT false,
    yanked boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    modified_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (namespace_id, name)
  )`,
  `CREATE TABLE package_maintainers (
    package_id bigint NOT NULL REFERENCES packages (id),
    namespace_id bigint NOT NULL REFERENCES namespaces (id),
    accepted boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (package_id, namespace_id)
  )`,
  `CREATE INDEX package_maintainers_namespace_idx ON package_maintainers (namespace_id)`,
  `CREATE TABLE versions (
    id bigserial PRIMARY KEY,
    package_id bigint NOT NULL REFERENCES packages (id),
    version text NOT NULL,
    integrity text NOT NULL,
    files jsonb NOT NULL,
    derived_files jsonb NOT NULL,
    dependencies jsonb NOT NULL,
    dev_dependencies jsonb NOT NULL,
    peer_dependencies jsonb NOT NULL,
    optional_dependencies jsonb NOT NULL,
    bundled_dependencies jsonb NOT NULL,
    signatures jsonb NOT NULL,
    total_bytes bigint NOT NULL,
    file_count integer NOT NULL,
    yanked boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    modified_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (package_id, version)
  )`,
  `CREATE TABLE dist_tags (
    package_id bigint NOT NULL REFERENCES packages (id),
    tag text NOT NULL,
    version text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (package_id, tag),
    FOREIGN KEY (package_id, version) REFERENCES versions (package_id, version)
  )`,
  `CREATE TABLE tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id bigint NOT NULL REFERENCES users (id),
    hash text NOT NULL UNIQUE,
    description text NOT NULL,
    scope text NOT NULL CHECK (scope IN ('read', 'publish')),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at timestamptz,
    revoked_at timestamptz
  )`,
  `CREATE INDEX tokens_user_idx ON tokens (user_id)`,
  `INSERT INTO namespaces (name, host, kind) VALUES ('legacy', NULL, 'system'), ('abandonware', NULL, 'system')`,
];
