import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';

describe('GET /-/ready', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    // the blob store's directory exists once something was stored
    await t.deps.blobs.putBytes('ready');
  });
  after(() => t.close());

  it('answers 200 when the database, the key-value store and the blob store answer', async () => {
    const response = await t.app.inject({ url: '/-/ready' });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { ready: true, services: { database: 'up', keyValueStore: 'up', blobStore: 'up' } });
  });

  it('answers 503 naming the service that is down, quickly, and 200 again once it is back', async () => {
    const dir = t.deps.config.cacheDir;
    await rename(dir, `${dir}.away`);
    await writeFile(dir, 'not a directory');
    try {
      const started = Date.now();
      const response = await t.app.inject({ url: '/-/ready' });
      assert.ok(Date.now() - started < 3000);
      assert.equal(response.statusCode, 503, response.body);
      assert.equal(response.headers['retry-after'], '2');
      assert.deepEqual(response.json(), { ready: false, services: { database: 'up', keyValueStore: 'up', blobStore: 'down' } });
    } finally {
      await rm(dir, { force: true });
      await rename(`${dir}.away`, dir);
    }
    const back = await t.app.inject({ url: '/-/ready' });
    assert.equal(back.statusCode, 200, back.body);
  });
});
