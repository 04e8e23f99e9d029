import type { NamespaceRow } from './records.ts';
import type { NamePageQuery, NamespaceKey } from './teams.ts';

export interface NamespaceRepository {
  /** `host` is the stored host: `null` for this registry's own namespaces. */
  find(name: string, host: string | null): Promise<NamespaceRow | undefined>;
  /** This registry's own namespaces with an id above `afterId`, in id order. */
  listLocalNames(afterId: number, limit: number): Promise<{ id: number; name: string }[]>;
  /** How many namespaces this registry has. */
  countLocal(): Promise<number>;
  /**
   * Inserts a namespace of this registry; answers its id, or undefined when the name is taken
   * (the unique index decides races: `ON CONFLICT DO NOTHING`).
   */
  create(name: string, kind: NamespaceRow['kind']): Promise<number | undefined>;
  /** This registry's namespaces (every kind), by name. */
  listLocal(page: NamePageQuery): Promise<NamespaceKey[]>;
  setPrivate(id: number, value: boolean): Promise<void>;
  /** A local namespace's release-age quarantine in hours (undefined: none of its own, or no such namespace). */
  findMinReleaseAge(name: string): Promise<number | undefined>;
  setMinReleaseAge(id: number, hours: number | null): Promise<void>;
  /** The packages of a namespace (yanked too), for events after its visibility changed. */
  listPackageNames(id: number): Promise<string[]>;
}
