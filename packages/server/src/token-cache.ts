import { type AuthenticatedToken, authenticateToken, type CoreDeps, hashToken, touchToken } from '@entropic/core';
import { LRUCache } from 'lru-cache';
import { type CacheStats, NO_CACHE_STATS } from './metrics.ts';

const CHANNEL = 'token-revoked';
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Resolves bearer tokens with a short in-process cache (revocation is broadcast, so it applies
 * at once in every process) and records last use at most once a minute per token.
 */
export class TokenCache {
  private readonly cache = new LRUCache<string, AuthenticatedToken>({ max: 10_000, ttl: 30_000 });
  private readonly touched = new LRUCache<string, number>({ max: 10_000 });
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly deps: CoreDeps,
    private readonly stats: CacheStats = NO_CACHE_STATS,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.kv.subscribe(CHANNEL, (hash) => this.cache.delete(hash));
  }

  async authenticate(token: string): Promise<AuthenticatedToken> {
    const hash = hashToken(token);
    let found = this.cache.get(hash);
    if (found?.expiresAt && found.expiresAt.getTime() <= Date.now()) {
      this.cache.delete(hash);
      found = undefined;
    }
    if (found) this.stats.hit();
    else {
      this.stats.miss();
      found = await authenticateToken(this.deps, { token });
      this.cache.set(hash, found);
    }
    const id = found.principal.tokenId;
    if (id) {
      const last = this.touched.get(id) ?? found.lastUsedAt?.getTime() ?? 0;
      if (Date.now() - last > TOUCH_INTERVAL_MS) {
        this.touched.set(id, Date.now());
        touchToken(this.deps, { tokenId: id }).catch(() => {});
      }
    }
    return found;
  }

  async revoked(hash: string): Promise<void> {
    this.cache.delete(hash);
    try {
      await this.deps.kv.publish(CHANNEL, hash);
    } catch {
      // The 30 s TTL bounds how long another process may still accept it.
    }
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }
}
