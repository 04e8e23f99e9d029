import type { NamespaceRow, PackageRow } from './records.ts';

export type PackageFilter =
  | { kind: 'all' }
  | { kind: 'authored-by'; namespaceId: number }
  /** pending: packages the namespace is invited to maintain, instead of those it maintains */
  | { kind: 'maintained-by'; namespaceId: number; pending?: boolean };

export interface PackageListQuery {
  filter: PackageFilter;
  /** keyset: only packages with a larger id */
  afterId: number;
  limit: number;
}

export interface PackageChanges {
  modifiedAt: Date;
  requireTfa?: boolean;
  yanked?: boolean;
  /** the package's own private flag */
  private?: boolean;
}

/** A package of this registry's own host, by name: what the name index holds. */
export interface LocalPackageName {
  id: number;
  namespace: string;
  name: string;
}

export interface PackageRepository {
  /** `host` is the stored host: `null` for this registry's own namespaces. */
  find(namespace: string, host: string | null, name: string): Promise<PackageRow | undefined>;
  /**
   * A write's one lookup: the namespace (with its second-factor requirement) and, when it exists,
   * the package of that name in it. Undefined when the namespace does not exist.
   */
  findForWrite(
    namespace: string,
    host: string | null,
    name: string,
  ): Promise<{ namespace: NamespaceRow & { require_tfa: boolean }; pkg: PackageRow | undefined } | undefined>;
  /** Packages that are not yanked, matching the filter, in id order. */
  list(query: PackageListQuery): Promise<PackageRow[]>;
  /**
   * Inserts the package if it does not exist (the owning namespace becomes its first, accepted
   * maintainer). Concurrency-safe: ON CONFLICT decides, not a read-then-insert.
   */
  ensure(namespaceId: number, name: string): Promise<{ id: number; created: boolean }>;
  update(id: number, changes: PackageChanges): Promise<void>;
  /**
   * A publish's change: `modified_at` of a package that is not abandoned (yanked). False when it
   * is (an abandon committed since the publish was authorised: the row lock orders the two).
   */
  touch(id: number, modifiedAt: Date): Promise<boolean>;
  /** Packages (yanked too) of this registry's own namespaces with an id above `afterId`, in id order. */
  listLocalNames(afterId: number, limit: number): Promise<LocalPackageName[]>;
  /** The local names of these packages (a granular token's limits are names). */
  localNamesOf(ids: readonly number[]): Promise<LocalPackageName[]>;
  /** How many packages this registry's own namespaces hold (yanked too). */
  countLocal(): Promise<number>;
  /** Abandon step: every maintainer is replaced by one accepted maintainer namespace. */
  replaceMaintainers(packageId: number, namespaceId: number): Promise<void>;
}
