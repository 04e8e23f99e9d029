import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publish, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';
import { assertBlobsCollectable, assertUnchanged, snapshotRegistry } from './support/registry-snapshot.ts';

describe('publish limits (MAX_FILES=3, MAX_FILE_BYTES=1000, MAX_VERSION_BYTES=2000, MAX_DEPENDENCIES=2)', () => {
  let t: TestApp;
  let alice: TestUser;

  before(async () => {
    t = await createTestApp({ env: { MAX_FILES: '3', MAX_FILE_BYTES: '1000', MAX_VERSION_BYTES: '2000', MAX_DEPENDENCIES: '2' } });
    alice = await t.createUser('alice');
  });
  after(() => t.close());

  async function rejects(options: Parameters<typeof publish>[3], status: number, code: string): Promise<void> {
    const before = await snapshotRegistry(t.deps);
    expectError(await publish(t.app, 'alice/limited', '1.0.0', { token: alice.token, ...options }), status, code);
    await assertUnchanged(t.deps, before, code);
  }

  it('accepts a version exactly at every limit', async () => {
    const doc = await publishVersion(t.app, 'alice/at-limit', '1.0.0', {
      token: alice.token,
      files: { 'a.bin': 'a'.repeat(1000), 'b.bin': 'b'.repeat(1000), 'c.txt': '' },
      fields: { dependencies: { lodash: '^4' }, devDependencies: { 'alice/tool': '^1' } },
    });
    assert.equal(Object.keys(doc.files).length, 3);
    const maxed = await t.deps.db
      .selectFrom('versions')
      .select(['total_bytes', 'file_count'])
      .where('integrity', '=', doc.integrity)
      .executeTakeFirstOrThrow();
    assert.equal(Number(maxed.total_bytes), 2000);
    assert.equal(maxed.file_count, 3);
  });

  it('more than MAX_FILES files → 400 TOO_MANY_FILES', async () => {
    await rejects({ files: { 'a.js': '1', 'b.js': '2', 'c.js': '3', 'd.js': '4' } }, 400, 'TOO_MANY_FILES');
    await rejects({ files: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.js`, String(i)])) }, 400, 'TOO_MANY_FILES');
  });

  it('a file over MAX_FILE_BYTES → 413 FILE_TOO_LARGE', async () => {
    await rejects({ files: { 'big.bin': 'x'.repeat(1001) } }, 413, 'FILE_TOO_LARGE');
    await rejects({ files: { 'ok.js': 'ok', 'big.bin': 'y'.repeat(50_000) } }, 413, 'FILE_TOO_LARGE');
  });

  it('files together over MAX_VERSION_BYTES → 413 VERSION_TOO_LARGE', async () => {
    await rejects({ files: { 'a.bin': 'a'.repeat(900), 'b.bin': 'b'.repeat(900), 'c.bin': 'c'.repeat(201) } }, 413, 'VERSION_TOO_LARGE');
  });

  it('more than MAX_DEPENDENCIES dependencies, counted over every field → 400 TOO_MANY_DEPENDENCIES', async () => {
    await rejects({ fields: { dependencies: { a: '1', b: '1', c: '1' } } }, 400, 'TOO_MANY_DEPENDENCIES');
    await rejects(
      { fields: { dependencies: { a: '1' }, devDependencies: { b: '1' }, peerDependencies: { c: '1' } } },
      400,
      'TOO_MANY_DEPENDENCIES',
    );
  });

  it('leaves only unreferenced, collectable blobs behind', async () => {
    await assertBlobsCollectable(t.deps);
    expectError(await t.app.inject({ url: '/packages/package/alice/limited' }), 404, 'PACKAGE_NOT_FOUND');
  });

  it('a JSON body over 1 MiB → 413 PAYLOAD_TOO_LARGE', async () => {
    const before = await snapshotRegistry(t.deps);
    const response = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/huge-json',
      headers: { ...bearer(alice.token), 'content-type': 'application/json' },
      payload: JSON.stringify({ require_tfa: false, padding: 'x'.repeat(1024 * 1024 + 1) }),
    });
    expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    await assertUnchanged(t.deps, before);
  });
});
