import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface UsersTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  password_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface NamespacesTable {
  id: Generated<number>;
  name: string;
  /** null: this registry's own host (so a change of EXTERNAL_HOST never orphans data) */
  host: string | null;
  kind: 'user' | 'org' | 'system';
  /** every package of a private namespace is private */
  private: Generated<boolean>;
  /** writes in this namespace need a second factor (0014) */
  require_tfa: Generated<boolean>;
  created_at: Timestamp;
  /** the namespace's release-age quarantine in hours (0020); null: the operator's alone */
  min_release_age_hours: number | null;
}

export interface NamespaceMembersTable {
  namespace_id: number;
  user_id: number;
  accepted: boolean;
  invited_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PackagesTable {
  id: Generated<number>;
  namespace_id: number;
  name: string;
  require_tfa: Generated<boolean>;
  yanked: Generated<boolean>;
  /** private on its own (its namespace's flag makes it private too) */
  private: Generated<boolean>;
  created_at: Timestamp;
  modified_at: Timestamp;
}

/** Which packages reference a stored object (migration 0011). */
export interface ObjectReferencesTable {
  integrity: string;
  package_id: number;
}

export interface PackageMaintainersTable {
  package_id: number;
  namespace_id: number;
  accepted: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type DependencyJson = Record<string, string>;

export interface VersionsTable {
  id: Generated<number>;
  package_id: number;
  version: string;
  integrity: string;
  files: Json<Record<string, string>>;
  derived_files: Json<Record<string, string>>;
  dependencies: Json<DependencyJson>;
  dev_dependencies: Json<DependencyJson>;
  peer_dependencies: Json<DependencyJson>;
  optional_dependencies: Json<DependencyJson>;
  bundled_dependencies: Json<DependencyJson>;
  signatures: Json<string[]>;
  total_bytes: ColumnType<string | number, number, number>;
  file_count: number;
  yanked: Generated<boolean>;
  /** npm's deprecation message; null: not deprecated */
  deprecated: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  modified_at: Timestamp;
  /** published with a trusted-publishing token: the CI identity (issue 10.2) */
  published_by: ColumnType<TrustedIdentityJson | null, string | null | undefined, string | null>;
}

export interface DistTagsTable {
  package_id: number;
  tag: string;
  version: string;
  updated_at: Timestamp;
}

export interface TokensTable {
  id: Generated<string>;
  user_id: number;
  hash: string;
  description: string;
  scope: 'read' | 'publish';
  created_at: Timestamp;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  namespaces: ColumnType<string[], string | undefined, string>;
  packages: ColumnType<string[], string | undefined, string>;
  cidrs: ColumnType<string[], string | undefined, string>;
  automation: Generated<boolean>;
  prefix: Generated<string>;
  trusted_publisher_id: ColumnType<string | null, string | null | undefined, string | null>;
  trusted_identity: ColumnType<TrustedIdentityJson | null, string | null | undefined, string | null>;
}

/** core's TrustedIdentity, as stored */
interface TrustedIdentityJson {
  publisherId: string;
  issuer: string;
  claims: Record<string, string>;
}

export interface TrustedPublishersTable {
  id: Generated<string>;
  package_id: number;
  issuer: string;
  claims: Json<Record<string, string>>;
  created_by: number;
  created_at: Timestamp;
}

export interface VersionAttestationsTable {
  version_id: number;
  predicate_type: string;
  bundle_integrity: string;
  verification: Json<{ subject: true; signature: boolean; sigstore: boolean; identity?: string; issuer?: string; reason?: string }>;
}

export interface TeamsTable {
  id: Generated<number>;
  namespace_id: number;
  name: string;
  description: Generated<string>;
  created_at: Timestamp;
}

export interface TeamMembersTable {
  team_id: number;
  user_id: number;
  created_at: Timestamp;
}

export interface TeamGrantsTable {
  id: Generated<number>;
  team_id: number;
  /** NULL: every package the team's namespace maintains */
  package_id: number | null;
  permission: 'read' | 'write';
  created_at: Timestamp;
}

/** A sign-in identity at an external provider (GitHub, OpenID Connect). */
export interface IdentitiesTable {
  id: Generated<number>;
  user_id: number;
  /** 'github' or 'oidc:<issuer>' */
  provider: string;
  /** the provider's immutable id for the account */
  subject: string;
  remote_username: string | null;
  email: string | null;
  /** the provider's access token, sealed with OAUTH_PASSWORD (AES-256-GCM) */
  access_token_sealed: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The npm tarball served for a version (issue 6). */
export interface NpmTarballsTable {
  version_id: number;
  integrity: string;
  shasum: string;
  size: ColumnType<string | number, number, number>;
  /** package.json fields npm clients need (bin, engines, scripts…), dependencies excluded */
  manifest: Json<Record<string, unknown>>;
  /** built from the stored files, the verified upstream tarball (legacy), or the tarball npm published */
  source: 'built' | 'upstream' | 'published';
  created_at: Timestamp;
}

/** Upstream packuments cached by the `legacy` read-through mirror. */
export interface NpmUpstreamPackumentsTable {
  name: string;
  body: string;
  etag: string | null;
  fetched_at: Timestamp;
}

/** One row per searchable package (migration 0007), written by the search indexer. */
export interface PackageSearchTable {
  package_id: number;
  npm_name: string;
  namespace: string;
  host: string | null;
  name: string;
  version: string;
  description: string;
  keywords: Json<string[]>;
  maintainers: Json<string[]>;
  published_at: Timestamp;
  /** written with SQL (setweight(to_tsvector(…))), never read as a value */
  document: ColumnType<string, never, never>;
  downloads: ColumnType<string | number, number | undefined, number>;
  source_modified_at: Timestamp;
  indexed_at: Timestamp;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  payload: Json<unknown>;
  state: 'queued' | 'running' | 'dead';
  attempts: Generated<number>;
  max_attempts: number;
  run_at: Timestamp;
  locked_by: string | null;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Downloads of a version on a day (UTC), added to by every flush (issue 16.5). */
export interface DownloadCountsTable {
  namespace: string;
  /** '' for this registry's own namespaces */
  host: string;
  name: string;
  version: string;
  /** a date, written and compared as 'YYYY-MM-DD'; select it with to_char (drivers turn a date into a Date) */
  day: string;
  count: ColumnType<string | number, number, number>;
}

/** This host's signing keys (migration 0015). */
/** A pinned signing key of a peer (0019). */
export interface PeerKeysTable {
  host: string;
  key_id: string;
  public_key: string;
  not_before: Date | null;
  expires: Date | null;
  pinned_at: Timestamp;
}

/** The origin's verified package document of a remote package (0019). */
export interface RemotePackagesTable {
  package_id: number;
  document: string;
  modified: Timestamp;
  fetched_at: Timestamp;
}

/** The integrity a remote version had when first seen (0019). */
export interface RemoteVersionsTable {
  package_id: number;
  version: string;
  integrity: string;
  first_seen: Timestamp;
}

export interface HostKeysTable {
  key_id: string;
  public_key: string;
  sealed_private_key: string;
  not_before: Timestamp;
  expires: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** A user's TOTP second factor (0014). */
export interface UserSecondFactorsTable {
  user_id: number;
  totp_secret_sealed: string;
  enabled_at: NullableTimestamp;
  for_writes: Generated<boolean>;
  last_step: ColumnType<string | number, number | undefined, number>;
  created_at: Generated<Date>;
}

export interface RecoveryCodesTable {
  user_id: number;
  hash: string;
  used_at: NullableTimestamp;
}

export interface WebauthnCredentialsTable {
  id: string;
  user_id: number;
  public_key: string;
  counter: ColumnType<string | number, number | undefined, number>;
  transports: Generated<string>;
  name: Generated<string>;
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
}

/** Append-only (a trigger refuses UPDATE); pruned by retention only. */
export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor_id: number | null;
  actor: string;
  action: string;
  namespace: string | null;
  package: string | null;
  address: string | null;
  details: Json<Record<string, unknown>>;
}

/** Security advisories maintainers publish for their packages (migration 0018). */
export interface AdvisoriesTable {
  id: Generated<number>;
  package_id: number;
  title: string;
  severity: string;
  vulnerable_versions: string;
  patched_versions: string | null;
  url: string | null;
  cwe: Json<string[]>;
  cvss_score: number | null;
  cvss_vector: string | null;
  created_by: number | null;
  created_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  namespaces: NamespacesTable;
  namespace_members: NamespaceMembersTable;
  packages: PackagesTable;
  package_maintainers: PackageMaintainersTable;
  versions: VersionsTable;
  dist_tags: DistTagsTable;
  tokens: TokensTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  team_grants: TeamGrantsTable;
  identities: IdentitiesTable;
  npm_tarballs: NpmTarballsTable;
  npm_upstream_packuments: NpmUpstreamPackumentsTable;
  package_search: PackageSearchTable;
  jobs: JobsTable;
  download_counts: DownloadCountsTable;
  host_keys: HostKeysTable;
  peer_keys: PeerKeysTable;
  remote_packages: RemotePackagesTable;
  remote_versions: RemoteVersionsTable;
  object_references: ObjectReferencesTable;
  user_second_factors: UserSecondFactorsTable;
  recovery_codes: RecoveryCodesTable;
  webauthn_credentials: WebauthnCredentialsTable;
  audit_log: AuditLogTable;
  trusted_publishers: TrustedPublishersTable;
  version_attestations: VersionAttestationsTable;
  advisories: AdvisoriesTable;
  pack_index_log: PackIndexLogTable;
  pack_index_head: PackIndexHeadTable;
  pack_leases: PackLeasesTable;
}

/** Packed blob storage's shared index (migration 0021): the log of index lines, in order. */
export interface PackIndexLogTable {
  seq: ColumnType<string | number, number, never>;
  line: Json<unknown>;
  created_at: Generated<Date>;
}

/** The last position handed out (one row): an append locks it, so positions commit in order. */
export interface PackIndexHeadTable {
  id: number;
  seq: ColumnType<string | number, number, number>;
}

/** Who packs or compacts the shared store now, until when. */
export interface PackLeasesTable {
  name: string;
  holder: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}
