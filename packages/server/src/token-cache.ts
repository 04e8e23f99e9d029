import { type AuthenticatedToken, addressAllowed, authenticateToken, type CoreDeps, hashToken, touchToken } from '@entropic/core';
import { appError } from '@entropic/types';
import { LRUCache } from 'lru-cache';
import { type CacheStats, NO_CACHE_STATS } from './metrics.ts';

const CHANNEL = 'token-revoked';
const TOUCH_INTERVAL_MS = 60_000;

/** What a revocation moves and every lookup reads: the access epoch (server/src/grant-cache.ts). */
export interface AccessEpoch {
  current(): Promise<string | undefined>;
  changed(): Promise<void>;
}

/**
 * Resolves bearer tokens with a short in-process cache and records last use at most once a minute
 * per token. A revocation is broadcast, and with an access epoch (docs/decisions/grant-cache.md) it
 * also replaces the epoch before it answers: an entry remembered under another epoch is looked up
 * again, so no process accepts a revoked token in a request that starts after the revocation
 * answered (the broadcast alone arrives a moment later in other processes).
 */
export class TokenCache {
  private readonly cache = new LRUCache<string, { found: AuthenticatedToken; epoch: string | undefined }>({ max: 10_000, ttl: 30_000 });
  private readonly touched = new LRUCache<string, number>({ max: 10_000 });
  /**
   * Bumped by every revocation: a lookup that started before one does not cache its answer,
   * so a token revoked while its lookup was in flight is not put back into the cache.
   */
  private generation = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly deps: CoreDeps,
    private readonly stats: CacheStats = NO_CACHE_STATS,
    private readonly epochs?: AccessEpoch,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.kv.subscribe(CHANNEL, (hash) => this.forget(hash));
  }

  /** The token's principal; `address` is the client address the server sees (checked against the token's CIDR allowlist). */
  async authenticate(token: string, address?: string): Promise<AuthenticatedToken> {
    const hash = hashToken(token);
    // read before the lookup: an answer remembered under an epoch a revocation replaced is not used
    const epoch = this.epochs ? await this.epochs.current() : undefined;
    const entry = this.cache.get(hash);
    let found = entry && (!this.epochs || (epoch !== undefined && entry.epoch === epoch)) ? entry.found : undefined;
    if (found?.expiresAt && found.expiresAt.getTime() <= this.deps.clock.now().getTime()) {
      this.cache.delete(hash);
      found = undefined;
    }
    if (found) this.stats.hit();
    else {
      this.stats.miss();
      const generation = this.generation;
      found = await authenticateToken(this.deps, { token });
      if (generation === this.generation) this.cache.set(hash, { found, epoch });
    }
    if (address !== undefined && !addressAllowed(address, found.cidrs)) {
      throw appError('INVALID_TOKEN', `This token may not be used from ${address}.`, {
        hint: 'The token has a CIDR allowlist; use it from an allowed address or create another token.',
      });
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

  private forget(hash: string): void {
    this.generation++;
    this.cache.delete(hash);
  }

  async revoked(hash: string): Promise<void> {
    this.forget(hash);
    // committed before the event: a new epoch before the revocation answers (throws when it cannot be written)
    await this.epochs?.changed();
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
