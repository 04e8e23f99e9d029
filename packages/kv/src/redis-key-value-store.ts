import { Redis, type RedisOptions } from 'ioredis';
import { closeConnection } from './close-connection.ts';
import { firstConnectionAttempt } from './first-connection-attempt.ts';
import type { KeyValueStore } from './key-value-store.ts';
import { createRateLimitedReporter, type ErrorListener } from './rate-limited-reporter.ts';
import { createRedisSubscriptions } from './redis-subscriptions.ts';
import { toKeyValueStoreError } from './to-key-value-store-error.ts';
import { ttlMilliseconds } from './ttl-milliseconds.ts';

export interface RedisKeyValueStoreOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// */
  url: string;
  /** Prepended to every key and channel, so tenants and test runs can share one Redis. Default ''. */
  keyPrefix?: string;
  /** Bound on opening a connection, and on how long the first calls wait for it. Default 1000. */
  connectTimeoutMs?: number;
  /** A call without a reply by then fails with SERVICE_UNAVAILABLE. Default 500. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts while Redis is down. Default 1000. */
  maxReconnectDelayMs?: number;
  /** Connection errors and errors thrown by subscription handlers, at most one per 10 s. */
  onError?: ErrorListener;
}

/** Starts a TTL window on creation (or on a key that has none) — EXPIRE NX semantics, Redis ≥ 2.6. */
const incrementScript = `
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

/** GETDEL for Redis < 6.2. */
const takeScript = `
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value`;

/**
 * Redis store. Calls fail fast with SERVICE_UNAVAILABLE while Redis is unreachable (no offline
 * queue, a command timeout) and work again once ioredis has reconnected by itself.
 */
export function createRedisKeyValueStore(options: RedisKeyValueStoreOptions): KeyValueStore {
  const prefix = options.keyPrefix ?? '';
  const connectTimeoutMs = options.connectTimeoutMs ?? 1000;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 1000;
  const report = createRateLimitedReporter(options.onError, 10_000);
  const redisOptions: RedisOptions = {
    connectTimeout: connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? 500,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // a command whose reply was lost may have run: never replay it (increment would count twice)
    autoResendUnfulfilledCommands: false,
    autoResubscribe: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxReconnectDelayMs) + Math.floor(Math.random() * 50),
  };
  const client = new Redis(options.url, redisOptions);
  client.on('error', report);
  const ready = firstConnectionAttempt(client, connectTimeoutMs);
  const subscriptions = createRedisSubscriptions({
    connect: () => client.duplicate().on('error', report),
    connectTimeoutMs,
    report,
  });
  let getdelSupported = true;
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new Error('The key-value store is closed.');
  };
  const run = async <T>(command: () => Promise<T>): Promise<T> => {
    assertOpen();
    await ready();
    try {
      return await command();
    } catch (error) {
      throw toKeyValueStoreError(error);
    }
  };
  const orUndefined = (value: unknown) => (typeof value === 'string' ? value : undefined);

  return {
    async get(key) {
      return run(async () => orUndefined(await client.get(prefix + key)));
    },
    async set(key, value, { ttlSeconds } = {}) {
      const ttlMs = ttlSeconds === undefined ? undefined : ttlMilliseconds(ttlSeconds);
      return run(async () => {
        if (ttlMs === undefined) await client.set(prefix + key, value);
        else await client.set(prefix + key, value, 'PX', ttlMs);
      });
    },
    async setIfAbsent(key, value, { ttlSeconds } = {}) {
      const ttlMs = ttlSeconds === undefined ? undefined : ttlMilliseconds(ttlSeconds);
      return run(async () => {
        const reply =
          ttlMs === undefined ? await client.set(prefix + key, value, 'NX') : await client.set(prefix + key, value, 'PX', ttlMs, 'NX');
        return reply === 'OK';
      });
    },
    async delete(key) {
      return run(async () => (await client.del(prefix + key)) > 0);
    },
    async take(key) {
      return run(async () => {
        if (getdelSupported) {
          try {
            return orUndefined(await client.getdel(prefix + key));
          } catch (error) {
            if (!(error instanceof Error && /unknown command/i.test(error.message))) throw error;
            getdelSupported = false;
          }
        }
        return orUndefined(await client.eval(takeScript, 1, prefix + key));
      });
    },
    async increment(key, ttlSeconds) {
      const ttlMs = ttlMilliseconds(ttlSeconds);
      return run(async () => Number(await client.eval(incrementScript, 1, prefix + key, ttlMs)));
    },
    async publish(channel, message) {
      return run(async () => {
        await client.publish(prefix + channel, message);
      });
    },
    async subscribe(channel, handler) {
      assertOpen();
      return subscriptions.subscribe(prefix + channel, handler);
    },
    async ping() {
      return run(async () => {
        await client.ping();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([subscriptions.close(), closeConnection(client)]);
    },
  };
}
