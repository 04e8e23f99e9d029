/**
 * Key-value port: sessions, CLI login sessions, caches, rate limits and cross-process
 * invalidation. Implementations: in-process memory (default) and Redis.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttlSeconds?: number }): Promise<void>;
  /** Sets only when absent; true when it was set. */
  setIfAbsent(key: string, value: string, options?: { ttlSeconds?: number }): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  /** Atomically reads and deletes (a value delivered exactly once). */
  take(key: string): Promise<string | undefined>;
  /** Atomically increments a counter, starting a TTL window when it is created. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  publish(channel: string, message: string): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /** Throws when the store cannot be used (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
