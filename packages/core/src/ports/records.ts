import type { NamespaceRef, PackageName } from '@entropic/types';

/** Records the repositories hand to the domain (plain data, no query builders). */

export interface PackageRef extends NamespaceRef {
  name: PackageName;
}

export interface NamespaceRow {
  id: number;
  name: string;
  host: string | null;
  kind: 'user' | 'org' | 'system';
  /** every package of a private namespace is private */
  private: boolean;
}

export interface PackageRow {
  id: number;
  name: string;
  namespace_id: number;
  namespace_name: string;
  namespace_host: string | null;
  require_tfa: boolean;
  yanked: boolean;
  /** effective: the package or its namespace is private (reads need read access) */
  private: boolean;
  /** the package's own flag (a package of a private namespace is private whatever this says) */
  package_private: boolean;
  /** its namespace's flag */
  namespace_private: boolean;
  created_at: Date;
  modified_at: Date;
}
