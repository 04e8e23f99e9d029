import type { TrustedIdentity } from './trusted-publishers.ts';

export interface VersionRow {
  id: number;
  package_id: number;
  version: string;
  integrity: string;
  files: Record<string, string>;
  derived_files: Record<string, string>;
  dependencies: Record<string, string>;
  dev_dependencies: Record<string, string>;
  peer_dependencies: Record<string, string>;
  optional_dependencies: Record<string, string>;
  bundled_dependencies: Record<string, string>;
  signatures: string[];
  total_bytes: string | number;
  file_count: number;
  yanked: boolean;
  /** npm's deprecation message; null: not deprecated */
  deprecated: string | null;
  created_at: Date;
  modified_at: Date;
  /** published with a trusted-publishing token: the CI identity (issue 10.2) */
  published_by?: TrustedIdentity | null;
}

/** One line of a package's version history (yanked versions included). */
export interface VersionSummary {
  version: string;
  integrity: string;
  yanked: boolean;
  deprecated: string | null;
  created_at: Date;
  total_bytes: string | number;
  file_count: number;
}

/** A package that depends on another: its namespace (stored host, null for this registry) and name. */
export interface DependentPackage {
  namespace_name: string;
  namespace_host: string | null;
  name: string;
}

export interface VersionDerivationSource {
  id: number;
  version: string;
  files: Record<string, string>;
  derived_files: Record<string, string>;
  /** package name */
  name: string;
  /** namespace name */
  ns: string;
  /** stored namespace host: null for this registry's own */
  host: string | null;
}

export type NewVersion = Omit<VersionRow, 'id' | 'yanked' | 'deprecated' | 'total_bytes'> & {
  total_bytes: number;
  /** published with a trusted-publishing token: the CI identity (issue 10.2) */
  published_by?: TrustedIdentity | null;
};

/** A version as listings show it: its package by name and when it was published. */
export interface PublishedVersion {
  namespace_name: string;
  namespace_host: string | null;
  name: string;
  version: string;
  created_at: Date;
}

export interface VersionRepository {
  /**
   * The versions published most recently (not yanked, of packages that are not yanked) in this
   * registry's own user and organisation namespaces (not mirrored or abandoned ones, not private), newest first.
   */
  listRecent(limit: number): Promise<PublishedVersion[]>;
  find(packageId: number, version: string): Promise<VersionRow | undefined>;
  /** Just what a write needs to decide: the id and whether it is yanked. */
  findState(packageId: number, version: string): Promise<{ id: number; yanked: boolean } | undefined>;
  /** Every version of the package (yanked ones included) with its yank and deprecation, in no particular order. */
  listDeprecations(packageId: number): Promise<Array<{ id: number; version: string; yanked: boolean; deprecated: string | null }>>;
  /** Every version of the package (yanked ones included) with its publish time and size, in no particular order. */
  listSummaries(packageId: number): Promise<VersionSummary[]>;
  /**
   * Public packages (not yanked) with a version (not yanked) whose runtime `dependencies` name
   * `dependency` (a canonical full name, `ns@host/name`), by namespace and name, at most `limit`.
   */
  listDependents(dependency: string, limit: number): Promise<DependentPackage[]>;
  /** Versions that are not yanked, in no particular order. */
  listPublished(packageId: number): Promise<Array<{ version: string; integrity: string }>>;
  /** The new version's id, or `'exists'` when (package, version) was published before: the unique constraint decides. */
  insert(version: NewVersion): Promise<number | 'exists'>;
  /** A version by id with its files, derived files and package coordinates (what a job deriving files reads). */
  findDerivationSource(id: number): Promise<VersionDerivationSource | undefined>;
  /** Records one derived file (`./readme.html`) of a version; recording it again replaces it. */
  setDerivedFile(id: number, path: string, integrity: string): Promise<void>;
  yank(id: number, now: Date): Promise<void>;
  /** Sets (a message) or clears (null) the deprecation of a version. */
  setDeprecated(id: number, message: string | null, now: Date): Promise<void>;
  /** Yanks every version of the package that is not yanked yet. */
  yankAll(packageId: number, now: Date): Promise<void>;
}
