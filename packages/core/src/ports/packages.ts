import type { PackageRow } from './records.ts';

export interface PackageRepository {
  /** `host` is the stored host: `null` for this registry's own namespaces. */
  find(namespace: string, host: string | null, name: string): Promise<PackageRow | undefined>;
}
