import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createCachedBlobStore } from '../src/index.ts';
import { createS3BlobStore } from '../src/s3-blob-store.ts';
import { blobStoreContract } from './blob-store-contract.ts';
import { options, subjectFor, useS3Gateway } from './s3-subject.ts';

useS3Gateway();
blobStoreContract('s3 (radosgw) behind the hot-object cache', subjectFor(true));

describe('hot-object cache', () => {
  it('answers repeated reads from memory, within its byte bound, and forgets deleted objects', async () => {
    const bare = createS3BlobStore(options(`cache/${randomUUID()}/`));
    const store = createCachedBlobStore(bare, { maxBytes: 1024 * 1024, maxObjectBytes: 400 * 1024 });
    const small = randomBytes(300 * 1024);
    const { integrity } = await store.putBytes(small);
    assert.deepEqual(await store.getBytes(integrity), small);
    assert.deepEqual(store.cacheStats(), { hits: 0, misses: 1, bytes: small.byteLength, objects: 1 });
    const again = await store.get(integrity, undefined, { maxInlineBytes: 64 * 1024 });
    assert.ok(again?.stream, 'over maxInlineBytes: a stream, even from memory');
    assert.deepEqual(Buffer.concat(await again.stream.toArray()), small);
    const ranged = await store.get(integrity, { start: 100, end: 199 });
    assert.deepEqual(Buffer.concat(await ranged!.stream.toArray()), small.subarray(100, 200));
    assert.equal(store.cacheStats().hits, 2);

    const large = await store.putBytes(randomBytes(500 * 1024)); // over maxObjectBytes: never kept
    assert.equal((await store.getBytes(large.integrity))?.byteLength, 500 * 1024);
    assert.equal(store.cacheStats().objects, 1);
    for (let i = 0; i < 4; i++) {
      const other = await store.putBytes(randomBytes(300 * 1024));
      await store.getBytes(other.integrity);
      assert.ok(store.cacheStats().bytes <= 1024 * 1024, `cache holds ${store.cacheStats().bytes} bytes`);
    }
    assert.equal(store.cacheStats().objects, 3, 'the least recently used were evicted');

    const last = await store.putBytes('kept hot, then deleted');
    await store.getBytes(last.integrity);
    assert.equal(await store.delete(last.integrity), true);
    assert.equal(await store.getBytes(last.integrity), undefined);
    assert.equal(await store.stat(last.integrity), undefined);
    await store.close();
  });

  it('learns the size and date from the GET (no HEAD after it) and makes one GET for concurrent misses', async () => {
    const bare = createS3BlobStore(options(`cache/${randomUUID()}/`));
    const calls = { get: 0, stat: 0 };
    // the real store, its calls counted: what reaches S3
    const counted = Object.assign(Object.create(bare) as typeof bare, {
      get: ((...args: Parameters<typeof bare.get>) => {
        calls.get += 1;
        return bare.get(...args);
      }) as typeof bare.get,
      stat: (integrity: Parameters<typeof bare.stat>[0]) => {
        calls.stat += 1;
        return bare.stat(integrity);
      },
    });
    const store = createCachedBlobStore(counted, { maxBytes: 1024 * 1024, maxObjectBytes: 400 * 1024 });
    const bytes = randomBytes(10 * 1024);
    const { integrity } = await bare.putBytes(bytes);
    const reads = await Promise.all(Array.from({ length: 8 }, () => store.get(integrity, undefined, { maxInlineBytes: 64 * 1024 })));
    for (const read of reads) assert.deepEqual(read?.bytes, bytes);
    assert.equal(calls.get, 1, 'eight concurrent misses, one GET');
    const info = await store.stat(integrity);
    assert.equal(info?.size, bytes.byteLength);
    assert.deepEqual(info, await bare.stat(integrity), 'what a HEAD answers');
    assert.equal(calls.stat, 0, 'no HEAD: the GET told the size and date');

    const large = randomBytes(500 * 1024); // over maxObjectBytes: each concurrent reader streams its own
    const big = await bare.putBytes(large);
    const streams = await Promise.all([store.get(big.integrity), store.get(big.integrity)]);
    for (const read of streams) assert.deepEqual(Buffer.concat(await read!.stream.toArray()), large);
    assert.equal(calls.get, 3);
    assert.equal(await store.get(hexMissing()), undefined);
    await store.close();
  });
});

/** a well-formed address nothing has */
function hexMissing() {
  return `sha512-${randomBytes(64).toString('base64')}` as Parameters<ReturnType<typeof createS3BlobStore>['get']>[0];
}
