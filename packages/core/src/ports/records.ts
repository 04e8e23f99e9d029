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
}

export interface PackageRow {
  id: number;
  name: string;
  namespace_id: number;
  namespace_name: string;
  namespace_host: string | null;
  require_tfa: boolean;
  yanked: boolean;
  created_at: Date;
  modified_at: Date;
}
