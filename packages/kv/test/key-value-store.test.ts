import { randomUUID } from 'node:crypto';
import { after, describe } from 'node:test';
import { Redis } from 'ioredis';
import { createMemoryKeyValueBackend } from '../src/memory-key-value-backend.ts';
import { createMemoryKeyValueStore } from '../src/memory-key-value-store.ts';
import { createRedisKeyValueStore } from '../src/redis-key-value-store.ts';
import { deleteKeysWithPrefix } from './delete-keys-with-prefix.ts';
import { keyValueStoreContract } from './key-value-store-contract.ts';

keyValueStoreContract('memory', () => {
  const backend = createMemoryKeyValueBackend();
  return { open: () => createMemoryKeyValueStore({ backend }) };
});

const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  const runPrefix = `entropic-test:kv:${randomUUID()}:`;
  const admin = new Redis(redisUrl, { lazyConnect: true });
  let harnesses = 0;
  after(async () => {
    await deleteKeysWithPrefix(admin, runPrefix);
    await admin.quit();
  });
  keyValueStoreContract('redis', () => {
    const keyPrefix = `${runPrefix}${harnesses++}:`;
    return {
      open: () => createRedisKeyValueStore({ url: redisUrl, keyPrefix }),
      dispose: async () => {
        await deleteKeysWithPrefix(admin, keyPrefix);
      },
    };
  });
} else {
  describe('KeyValueStore contract: redis', { skip: 'REDIS_URL is not set' }, () => {});
}
