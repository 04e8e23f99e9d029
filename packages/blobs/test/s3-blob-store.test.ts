import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CreateMultipartUploadCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { integrityToHex, isAppError, sha512Integrity } from '@entropic/types';
import { createPackedBlobStore } from '../src/index.ts';
import { createS3BlobStore } from '../src/s3-blob-store.ts';
import { blobStoreContract } from './blob-store-contract.ts';
import { packOnPut } from './packed-subject.ts';
import { keys, options, s3, subjectFor, uploads, useS3Gateway } from './s3-subject.ts';

useS3Gateway();
blobStoreContract('s3 (radosgw)', subjectFor(false));
// the packed-storage layer over S3: segments are S3 objects read with ranged GETs (its index log is local)
blobStoreContract('s3 (radosgw), packed after every put', async () => {
  const indexDir = await mkdtemp(join(tmpdir(), 'entropic-packed-s3-'));
  const store = createPackedBlobStore(createS3BlobStore(options(`packed/${randomUUID()}/`)), { indexDir });
  return { store: packOnPut(store), cleanup: () => rm(indexDir, { recursive: true, force: true }) };
});

describe('s3 blob store specifics', () => {
  it('stores content as is under <prefix>sha512/<hex>', async () => {
    const prefix = `specifics/${randomUUID()}/`;
    const store = createS3BlobStore(options(prefix));
    const { integrity } = await store.putBytes('plain bytes');
    assert.deepEqual(await keys(prefix), [`${prefix}sha512/${integrityToHex(integrity)}`]);
    await store.close();
  });

  it('cleanTemp removes stale temp objects and aborts stale multipart uploads only', async () => {
    const prefix = `specifics/${randomUUID()}/`;
    const store = createS3BlobStore(options(prefix));
    await s3.admin.send(new PutObjectCommand({ Bucket: s3.gateway.bucket, Key: `${prefix}tmp/left-by-a-killed-upload`, Body: 'x' }));
    await s3.admin.send(new CreateMultipartUploadCommand({ Bucket: s3.gateway.bucket, Key: `${prefix}tmp/cut-off-multipart` }));
    assert.equal(await store.cleanTemp(60_000), 0, 'young temp entries are kept');
    assert.equal((await keys(`${prefix}tmp/`)).length, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // S3 times have 1 s resolution
    assert.equal(await store.cleanTemp(0), 2);
    assert.deepEqual(await keys(`${prefix}tmp/`), []);
    assert.equal(await uploads(`${prefix}tmp/`), 0);
    await store.close();
  });

  it('reports an unreachable store or a missing bucket as SERVICE_UNAVAILABLE, without the bucket name', async () => {
    const unavailable = (error: unknown) => {
      assert.ok(isAppError(error), String(error));
      assert.equal(error.code, 'SERVICE_UNAVAILABLE');
      assert.ok(!error.message.includes('no-such-bucket'), error.message);
      return true;
    };
    const missing = createS3BlobStore({ ...options('x/'), bucket: 'no-such-bucket' });
    await assert.rejects(missing.check(), unavailable);
    await assert.rejects(missing.putBytes('x'), unavailable);
    await missing.close();
    const closedPort = createS3BlobStore({ ...options('x/'), endpoint: 'http://127.0.0.1:9' });
    await assert.rejects(closedPort.check(), unavailable);
    await assert.rejects(closedPort.stat(sha512Integrity('x')), unavailable);
    await closedPort.close();
  });
});
