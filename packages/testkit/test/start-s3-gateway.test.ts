import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { startS3Gateway } from '../src/start-s3-gateway.ts';

async function status(url: string, method = 'GET'): Promise<number> {
  return (await fetch(url, { method, signal: AbortSignal.timeout(30_000) })).status;
}

describe('startS3Gateway', () => {
  it('starts two gateways side by side, each with its bucket, and stops them', async () => {
    const gateways = await Promise.all([startS3Gateway(), startS3Gateway({ bucket: 'other' })]);
    try {
      const [a, b] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
      assert.notEqual(a.endpoint, b.endpoint);
      assert.equal(a.env.BLOB_STORE, 's3');
      assert.equal(a.env.S3_ENDPOINT, a.endpoint);
      // anonymous requests: an existing private bucket is 403, a missing one 404
      assert.equal(await status(`${a.endpoint}/entropic`, 'HEAD'), 403);
      assert.equal(await status(`${a.endpoint}/other`, 'HEAD'), 404);
      assert.equal(await status(`${b.endpoint}/other`, 'HEAD'), 403);
      await a.stop();
      await a.stop(); // idempotent
      await assert.rejects(fetch(`${a.endpoint}/`, { signal: AbortSignal.timeout(30_000) }));
      await assert.rejects(access(a.dir));
      assert.equal(await status(`${b.endpoint}/other`, 'HEAD'), 403, 'the other gateway still serves');
    } finally {
      await Promise.all(gateways.map((gateway) => gateway.stop()));
    }
  });
});
