// BLOB_STORE=s3 end to end: a listening registry stores what is published in a real S3 server
// (Ceph RADOS Gateway started by the testkit) and serves it, ranges and HEAD included; fsck and
// gc (the use cases behind `admin fsck` and `admin gc`, run in-process: an admin process takes
// minutes to start on a loaded machine) work on the bucket.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3BlobStore } from '@entropic/blobs';
import { createS3BlobStore } from '@entropic/blobs/s3';
import { checkIntegrity, collectGarbage } from '@entropic/core';
import { createTestApp, encodePublishBody, type S3Gateway, startS3Gateway, type TestApp, type TestUser } from '@entropic/testkit';
import { type Integrity, integrityToHex } from '@entropic/types';

function sha512(bytes: Buffer | string): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

describe('registry on S3 (radosgw)', () => {
  let gateway: S3Gateway;
  let t: TestApp;
  let alice: TestUser;
  let store: S3BlobStore;
  let admin: S3Client;
  before(async () => {
    gateway = await startS3Gateway();
    t = await createTestApp({ env: gateway.env });
    await t.listen();
    alice = await t.createUser('alice');
    const credentials = { accessKeyId: gateway.accessKeyId, secretAccessKey: gateway.secretAccessKey };
    store = createS3BlobStore({ bucket: gateway.bucket, endpoint: gateway.endpoint, forcePathStyle: true, credentials });
    admin = new S3Client({
      endpoint: gateway.endpoint,
      region: gateway.region,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  after(async () => {
    await t?.close();
    await store?.close();
    admin?.destroy();
    await gateway?.stop();
  });

  it('publishes into the bucket and serves objects, ranges and HEAD; fsck and gc work on it', async () => {
    const big = randomBytes(300 * 1024); // over the inline read size: streamed from S3
    const files = { 'index.js': 'module.exports = 42;\n', 'big.bin': big, 'gone.js': 'will go missing\n', 'bad.js': 'will be corrupted\n' };
    const { payload, contentType } = await encodePublishBody({ files });
    const published = await fetch(`${t.url}/packages/package/alice/pkg/versions/1.0.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    assert.equal(published.status, 201, await published.clone().text());
    const doc = (await published.json()) as { files: Record<string, string>; integrity: string };
    const bigIntegrity = doc.files['./package/big.bin'] as Integrity;
    assert.equal(bigIntegrity, sha512(big));
    assert.equal((await store.stat(bigIntegrity))?.size, big.byteLength, 'the file is in the bucket');

    const url = (integrity: string) => `${t.url}/objects/object/sha512/${encodeURIComponent(integrity.slice(7))}`;
    for (let round = 0; round < 2; round++) {
      // twice: the second read of each comes from the hot-object cache
      const whole = await fetch(url(bigIntegrity));
      assert.equal(whole.status, 200);
      assert.deepEqual(Buffer.from(await whole.arrayBuffer()), big);
      const small = await fetch(url(doc.files['./package/index.js'] as string));
      assert.equal(await small.text(), 'module.exports = 42;\n');
    }
    const ranged = await fetch(url(bigIntegrity), { headers: { range: 'bytes=1000-1999' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 1000-1999/${big.byteLength}`);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), big.subarray(1000, 2000));
    const head = await fetch(url(bigIntegrity), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(big.byteLength));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const unsatisfiable = await fetch(url(bigIntegrity), { headers: { range: `bytes=${big.byteLength}-` } });
    assert.equal(unsatisfiable.status, 416);
    assert.equal((await fetch(url(sha512('never stored')))).status, 404);

    assert.equal(t.deps.config.blobStore, 's3');
    // `admin fsck` runs in its own process, with a cold cache: the same as the bare store here
    const asAdmin = { ...t.deps, blobs: store };
    assert.deepEqual((await checkIntegrity(asAdmin)).problems, []);

    const missing = doc.files['./package/gone.js'] as Integrity;
    const corrupt = doc.files['./package/bad.js'] as Integrity;
    assert.equal(await store.delete(missing), true);
    const corruptKey = `sha512/${integrityToHex(corrupt)}`;
    await admin.send(new PutObjectCommand({ Bucket: gateway.bucket, Key: corruptKey, Body: 'will be CORRUPTED\n' }));
    const orphan = await store.putBytes('nothing references me\n');
    await admin.send(new PutObjectCommand({ Bucket: gateway.bucket, Key: 'tmp/left-by-a-killed-upload', Body: 'x' }));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // S3 times have 1 s resolution; grace 0 must see them as old

    const fsck = await checkIntegrity(asAdmin);
    const problems = fsck.problems.map(({ problem, path, integrity }) => ({ problem, path, integrity }));
    assert.deepEqual(
      problems.sort((a, b) => a.path.localeCompare(b.path)),
      [
        { problem: 'corrupt', path: './package/bad.js', integrity: corrupt },
        { problem: 'missing', path: './package/gone.js', integrity: missing },
      ],
    );

    const gc = await collectGarbage(t.deps, { graceSeconds: 0 });
    assert.equal(gc.deleted, 1, JSON.stringify(gc));
    assert.equal(gc.tempFiles, 1, 'the stale temp upload is removed');
    assert.equal(await store.stat(orphan.integrity), undefined, 'the orphan is gone');
    for (const kept of [doc.integrity, bigIntegrity, corrupt]) assert.ok(await store.stat(kept as Integrity), `gc kept referenced ${kept}`);
    // what gc deleted is gone for the registry too
    assert.equal((await fetch(url(orphan.integrity))).status, 404);
  });
});
