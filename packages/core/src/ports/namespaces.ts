import type { NamespaceRow } from './records.ts';

export interface NamespaceRepository {
  /** `host` is the stored host: `null` for this registry's own namespaces. */
  find(name: string, host: string | null): Promise<NamespaceRow | undefined>;
}
