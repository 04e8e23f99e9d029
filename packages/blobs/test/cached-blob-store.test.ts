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
});
