import type { NamespaceRow } from './records.ts';

export interface NamespaceRepository {
  /** `host` is the stored host: `null` for this registry's own namespaces. */
  find(name: string, host: string | null): Promise<NamespaceRow | undefined>;
  /** This registry's own namespaces with an id above `afterId`, in id order. */
  listLocalNames(afterId: number, limit: number): Promise<{ id: number; name: string }[]>;
  /** How many namespaces this registry has. */
  countLocal(): Promise<number>;
}
