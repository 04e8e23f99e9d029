import type { KeyValueStore } from './key-value-store.ts';
import { createMemoryKeyValueBackend, type MemoryKeyValueBackend, type MemorySubscription } from './memory-key-value-backend.ts';
import { createRateLimitedReporter, type ErrorListener } from './rate-limited-reporter.ts';
import { ttlMilliseconds } from './ttl-milliseconds.ts';

export interface MemoryKeyValueStoreOptions {
  /** Share one backend between several stores (e.g. to test cross-instance pub/sub). Default: a private one. */
  backend?: MemoryKeyValueBackend;
  /** Receives errors thrown by subscription handlers (rate-limited). */
  onError?: ErrorListener;
}

const integer = /^-?\d+$/;

/** In-process store: TTLs are honoured on access and by a periodic unref'd sweep; pub/sub is local. */
export function createMemoryKeyValueStore(options: MemoryKeyValueStoreOptions = {}): KeyValueStore {
  const backend = options.backend ?? createMemoryKeyValueBackend();
  const release = backend.retain();
  const report = createRateLimitedReporter(options.onError, 10_000);
  const own = new Map<MemorySubscription, string>();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new Error('The key-value store is closed.');
  };
  const expiry = (ttlSeconds: number | undefined) => (ttlSeconds === undefined ? undefined : Date.now() + ttlMilliseconds(ttlSeconds));

  const unsubscribe = (subscription: MemorySubscription) => {
    const channel = own.get(subscription);
    if (channel === undefined) return;
    own.delete(subscription);
    const subscriptions = backend.channels.get(channel);
    subscriptions?.delete(subscription);
    if (subscriptions?.size === 0) backend.channels.delete(channel);
  };

  return {
    async get(key) {
      assertOpen();
      return backend.read(key)?.value;
    },
    async set(key, value, { ttlSeconds } = {}) {
      assertOpen();
      backend.write(key, { value, expiresAt: expiry(ttlSeconds) });
    },
    async setIfAbsent(key, value, { ttlSeconds } = {}) {
      assertOpen();
      const expiresAt = expiry(ttlSeconds);
      if (backend.read(key) !== undefined) return false;
      backend.write(key, { value, expiresAt });
      return true;
    },
    async delete(key) {
      assertOpen();
      return backend.remove(key);
    },
    async take(key) {
      assertOpen();
      const entry = backend.read(key);
      if (entry !== undefined) backend.remove(key);
      return entry?.value;
    },
    async increment(key, ttlSeconds) {
      assertOpen();
      const ttlMs = ttlMilliseconds(ttlSeconds);
      const entry = backend.read(key);
      if (entry === undefined) {
        backend.write(key, { value: '1', expiresAt: Date.now() + ttlMs });
        return 1;
      }
      const next = integer.test(entry.value) ? Number(entry.value) + 1 : Number.NaN;
      if (!Number.isSafeInteger(next)) throw new Error(`The value at ${key} is not an integer or out of range.`);
      entry.value = String(next);
      entry.expiresAt ??= Date.now() + ttlMs;
      return next;
    },
    async publish(channel, message) {
      assertOpen();
      const subscriptions = [...(backend.channels.get(channel) ?? [])];
      if (subscriptions.length === 0) return;
      queueMicrotask(() => {
        for (const subscription of subscriptions) {
          // skip handlers unsubscribed between publish and delivery
          if (!backend.channels.get(channel)?.has(subscription)) continue;
          try {
            subscription.handler(message);
          } catch (error) {
            report(error);
          }
        }
      });
    },
    async subscribe(channel, handler) {
      assertOpen();
      const subscription: MemorySubscription = { handler };
      let subscriptions = backend.channels.get(channel);
      if (subscriptions === undefined) {
        subscriptions = new Set();
        backend.channels.set(channel, subscriptions);
      }
      subscriptions.add(subscription);
      own.set(subscription, channel);
      return async () => unsubscribe(subscription);
    },
    async ping() {
      assertOpen();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const subscription of [...own.keys()]) unsubscribe(subscription);
      release();
    },
  };
}
