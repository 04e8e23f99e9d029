import { type CoreDeps, mayReadObject, type ObjectAccess, type Principal } from '@entropic/core';
import { LRUCache } from 'lru-cache';
import { type CacheStats, NO_CACHE_STATS } from './metrics.ts';

const CHANNEL = 'objects-visibility-changed';

/**
 * Who may read an object (docs/decisions/private-objects.md), with the one verdict that is safe
 * to remember: "a public package references it". Objects are immutable and versions are never
 * deleted, so that verdict only changes when a package or namespace is made private; every such
 * change (`visibility-changed`, emitted before the change answers) empties the cache here and,
 * through the key-value store's broadcast, in every other process. A lookup that started before
 * a change does not store its answer (the generation), and entries live 60 s at most, which
 * bounds a lost broadcast. Unreferenced, private and denied verdicts are never cached: a private
 * publish may reference an unreferenced object at any moment, and grants change per reader.
 */
export class PublicObjectCache {
  private readonly cache = new LRUCache<string, true>({ max: 200_000, ttl: 60_000 });
  private generation = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly deps: CoreDeps,
    private readonly stats: CacheStats = NO_CACHE_STATS,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.kv.subscribe(CHANNEL, () => this.forgetAll());
  }

  async access(principal: Principal | undefined, integrity: string): Promise<ObjectAccess> {
    if (this.cache.get(integrity)) {
      this.stats.hit();
      return 'public';
    }
    this.stats.miss();
    const generation = this.generation;
    const access = await mayReadObject(this.deps.repos, principal, integrity);
    if (access === 'public' && generation === this.generation) this.cache.set(integrity, true);
    return access;
  }

  private forgetAll(): void {
    this.generation++;
    this.cache.clear();
  }

  /** A package or namespace changed visibility here: forget every verdict, here and in the other processes. */
  async visibilityChanged(): Promise<void> {
    this.forgetAll();
    try {
      await this.deps.kv.publish(CHANNEL, '1');
    } catch {
      // The 60 s lifetime bounds how long another process may still serve a verdict from before.
    }
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }
}
