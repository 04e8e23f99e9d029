/**
 * Issue 9.5: teams inside a namespace (an organisation's `developers`, `ci`, `contractors`…).
 * A team has users (who need not be members of the namespace: members already maintain its
 * packages; a team gives others, or narrower, access) and grants: read or write on one package
 * (`package_id`) or on every package the namespace maintains (`package_id` NULL). Removing a
 * team removes its members and grants.
 */
export const statements = [
  `CREATE TABLE teams (
    id bigserial PRIMARY KEY,
    namespace_id bigint NOT NULL REFERENCES namespaces (id),
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (namespace_id, name)
  )`,
  `CREATE TABLE team_members (
    team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
  )`,
  `CREATE INDEX team_members_user_idx ON team_members (user_id)`,
  `CREATE TABLE team_grants (
    id bigserial PRIMARY KEY,
    team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    package_id bigint REFERENCES packages (id),
    permission text NOT NULL CHECK (permission IN ('read', 'write')),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX team_grants_package_idx ON team_grants (team_id, package_id) WHERE package_id IS NOT NULL`,
  `CREATE UNIQUE INDEX team_grants_namespace_idx ON team_grants (team_id) WHERE package_id IS NULL`,
  `CREATE INDEX team_grants_package_lookup_idx ON team_grants (package_id)`,
];
