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
