import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRedisKeyValueStore } from '../src/redis-key-value-store.ts';
import { deleteKeysWithPrefix } from './delete-keys-with-prefix.ts';

const redisUrl = process.env.REDIS_URL;

describe('createRedisKeyValueStore', { skip: redisUrl ? false : 'REDIS_URL is not set' }, () => {
  const url = redisUrl ?? '';
  const runPrefix = `entropic-test:kv-redis:${randomUUID()}:`;
  const admin = new Redis(url, { lazyConnect: true });
  after(async () => {
    await deleteKeysWithPrefix(admin, runPrefix);
    await admin.quit();
  });

  it('prefixes every key and channel with keyPrefix', async () => {
    const tenantA = createRedisKeyValueStore({ url, keyPrefix: `${runPrefix}a:` });
    const tenantB = createRedisKeyValueStore({ url, keyPrefix: `${runPrefix}b:` });
    try {
      await tenantA.set('k', 'from-a');
      assert.equal(await tenantB.get('k'), undefined);
      assert.equal(await admin.get(`${runPrefix}a:k`), 'from-a');
      await tenantA.increment('n', 60);
      const ttl = await admin.pttl(`${runPrefix}a:n`);
      assert.ok(ttl > 0 && ttl <= 60_000, `counter TTL ${ttl}`);

      const receivedByB: string[] = [];
      const receivedByA: string[] = [];
      await tenantB.subscribe('ch', (message) => receivedByB.push(message));
      await tenantA.subscribe('ch', (message) => receivedByA.push(message));
      assert.equal(await admin.publish(`${runPrefix}a:ch`, 'raw'), 1, 'one subscriber on the prefixed channel');
      await tenantA.publish('ch', 'x');
      const deadline = Date.now() + 2000;
      while (receivedByA.length < 2 && Date.now() < deadline) await sleep(10);
      assert.deepEqual(receivedByA, ['raw', 'x']);
      assert.deepEqual(receivedByB, []);
    } finally {
      await Promise.all([tenantA.close(), tenantB.close()]);
    }
  });

  it('passes Redis errors that are not about availability through unchanged', async () => {
    const store = createRedisKeyValueStore({ url, keyPrefix: `${runPrefix}errors:` });
    try {
      await store.set('text', 'not a number');
      await assert.rejects(store.increment('text', 60), (error: Error) => error.name === 'ReplyError');
    } finally {
      await store.close();
    }
  });
});
