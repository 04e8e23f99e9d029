export type { KeyValueStore } from './key-value-store.ts';
export {
  createMemoryKeyValueBackend,
  type MemoryKeyValueBackend,
  type MemoryKeyValueBackendOptions,
} from './memory-key-value-backend.ts';
export { createMemoryKeyValueStore, type MemoryKeyValueStoreOptions } from './memory-key-value-store.ts';
export type { ErrorListener } from './rate-limited-reporter.ts';
export { createRedisKeyValueStore, type RedisKeyValueStoreOptions } from './redis-key-value-store.ts';
