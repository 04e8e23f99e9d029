import { createHash } from 'node:crypto';
import type { KeyValueStore } from '@entropic/kv';
import { LRUCache } from 'lru-cache';
import { type CacheStats, NO_CACHE_STATS } from './metrics.ts';

export interface CachedResponse {
  status: number;
  body: Buffer;
  etag: string;
  contentType: string;
}

const CHANNEL = 'cache-invalidate';

/**
 * Pre-serialised responses, grouped by package so one write drops every view of it. Writes
 * invalidate locally and broadcast through the key-value store, so several registry processes
 * sharing one PostgreSQL and Redis stay correct; a TTL bounds staleness if a message is lost.
 */
export class ResponseCache {
  private readonly groups: LRUCache<string, Map<string, CachedResponse>>;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly stats: CacheStats;

  constructor(
    private readonly kv: KeyValueStore,
    options: { maxGroups?: number; ttlSeconds: number; stats?: CacheStats },
  ) {
    this.groups = new LRUCache({ max: options.maxGroups ?? 5000, ttl: Math.max(1, options.ttlSeconds) * 1000 });
    this.stats = options.stats ?? NO_CACHE_STATS;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.kv.subscribe(CHANNEL, (group) => this.groups.delete(group));
  }

  get(group: string, key: string): CachedResponse | undefined {
    const found = this.groups.get(group)?.get(key);
    if (found) this.stats.hit();
    else this.stats.miss();
    return found;
  }

  set(group: string, key: string, response: Omit<CachedResponse, 'etag'>): CachedResponse {
    const entry = { ...response, etag: `"${createHash('sha1').update(response.body).digest('base64url')}"` };
    let views = this.groups.get(group);
    if (!views) {
      views = new Map();
      this.groups.set(group, views);
    }
    views.set(key, entry);
    return entry;
  }

  async invalidate(group: string): Promise<void> {
    this.groups.delete(group);
    try {
      await this.kv.publish(CHANNEL, group);
    } catch {
      // The TTL bounds staleness in other processes when the broadcast cannot be sent.
    }
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }
}
