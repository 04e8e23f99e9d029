import type { Host } from '@entropic/types';
import type { CoreDeps } from './deps.ts';

/** A package in a listing, by its latest publish. */
export interface RecentlyPublished {
  /** the canonical `ns@host/name` */
  package: string;
  /** `ns@host` */
  namespace: string;
  name: string;
  version: string;
  published: Date;
}

/**
 * The packages of this registry's own namespaces that had a version published most recently,
 * newest first, each once (with its newest version).
 */
export async function listRecentlyPublished(deps: CoreDeps, input: { limit: number }): Promise<RecentlyPublished[]> {
  // a few packages publishing often must not fill the list: read more versions than packages shown
  const rows = await deps.repos.versions.listRecent(input.limit * 5);
  const seen = new Map<string, RecentlyPublished>();
  for (const row of rows) {
    const namespace = `${row.namespace_name}@${(row.namespace_host ?? deps.host) as Host}`;
    const pkg = `${namespace}/${encodeURIComponent(row.name)}`;
    if (seen.has(pkg)) continue;
    seen.set(pkg, { package: pkg, namespace, name: row.name, version: row.version, published: row.created_at });
    if (seen.size === input.limit) break;
  }
  return [...seen.values()];
}
