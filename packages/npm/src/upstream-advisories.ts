import type { UpstreamRegistry } from './npm-mirror.ts';

/** Most (name, versions) answers remembered: the oldest are forgotten first. */
const MAX_ENTRIES = 20_000;

/**
 * The upstream's security advisories for `legacy` packages, asked for exactly the names of a
 * request (those not answered recently) and remembered briefly per name and set of versions, so
 * repeated `npm audit` runs of one project ask the upstream once per `ttlSeconds`. An upstream
 * that cannot answer throws: a missing answer is never taken for "no advisories".
 */
export class UpstreamAdvisories {
  private readonly cache = new Map<string, { advisories: unknown[]; until: number }>();

  constructor(
    private readonly upstream: Pick<UpstreamRegistry, 'bulkAdvisories'>,
    private readonly options: { ttlSeconds: number; now?: () => number },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** npm name → advisories affecting one of the versions asked (names with none are left out, as npm does). */
  async bulk(query: Record<string, string[]>): Promise<Record<string, unknown[]>> {
    const out: Record<string, unknown[]> = {};
    const ask: Record<string, string[]> = {};
    const now = this.now();
    for (const [name, versions] of Object.entries(query)) {
      const hit = this.cache.get(key(name, versions));
      if (hit && hit.until > now) {
        if (hit.advisories.length > 0) out[name] = hit.advisories;
      } else ask[name] = versions;
    }
    if (Object.keys(ask).length === 0) return out;
    const answered = await this.upstream.bulkAdvisories(ask);
    const until = this.now() + this.options.ttlSeconds * 1000;
    for (const [name, versions] of Object.entries(ask)) {
      const advisories = answered[name] ?? [];
      if (advisories.length > 0) out[name] = advisories;
      if (this.options.ttlSeconds > 0) this.remember(key(name, versions), { advisories, until });
    }
    return out;
  }

  private remember(k: string, entry: { advisories: unknown[]; until: number }): void {
    this.cache.delete(k);
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(k, entry);
  }
}

function key(name: string, versions: string[]): string {
  return `${name}\u0000${[...new Set(versions)].sort().join(',')}`;
}
