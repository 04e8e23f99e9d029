// Issue 14: on a packed store (BLOB_PACKING=on), `admin repack` packs what publishes wrote,
// `admin storage` measures it, `admin fsck` decodes every stored form, `admin gc` compacts segments.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFsBlobStore, createPackedBlobStore } from '@entropic/blobs';
import { encodePublishBody } from '@entropic/testkit';
import type { Integrity } from '@entropic/types';
import { runAdmin } from './support/run-admin.ts';
import { type RegistryWithUser, startRegistryWithUser } from './support/start-registry-with-user.ts';

/** A source file that changes a little from one version to the next. */
function source(version: number): string {
  return Array.from({ length: 1500 }, (_, i) => `export function f${i}(x) { return x * ${i === version * 7 ? version : i}; }\n`).join('');
}

describe('admin commands on a packed store', () => {
  let r: RegistryWithUser;
  const published: Array<{ files: Record<string, string>; text: string }> = [];

  before(async () => {
    // no repack job during the test (a day away): admin repack does it
    r = await startRegistryWithUser('alice', { env: { BLOB_PACKING: 'on', BLOB_REPACK_INTERVAL_SECONDS: '86400' } });
  });
  after(() => r?.cleanup());

  it('repack, storage, fsck and gc', async () => {
    for (let v = 0; v < 4; v++) {
      const text = source(v);
      const { payload, contentType } = await encodePublishBody({ files: { 'index.js': text } });
      const response = await fetch(`${r.registry.url}/packages/package/alice/pkg/versions/1.0.${v}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${r.token}`, 'content-type': contentType },
        body: new Uint8Array(payload),
      });
      assert.equal(response.status, 201, await response.clone().text());
      published.push({ files: ((await response.json()) as { files: Record<string, string> }).files, text });
    }
    if (r.embedded) await r.registry.stop({ keepData: true });
    const repack = await runAdmin(['repack', '--grace-seconds', '0'], { env: r.env, cwd: r.dataDir });
    assert.equal(repack.code, 0, repack.stderr + repack.stdout);
    assert.match(repack.stdout, /^Packed \d+ blobs \([1-9]\d* as deltas\)/m);
    const storage = await runAdmin(['storage'], { env: r.env, cwd: r.dataDir });
    assert.equal(storage.code, 0, storage.stderr + storage.stdout);
    const figure = (name: string) => Number(new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(storage.stdout)?.[1]);
    assert.match(storage.stdout, /objects\s+\d+ \(\d+ packed in \d+ segments, 0 raw\)/);
    assert.ok(figure('stored bytes') < figure('content bytes') / 3, storage.stdout);
    assert.ok(figure('allocated bytes') > 0, storage.stdout);
    const fsck = await runAdmin(['fsck'], { env: r.env, cwd: r.dataDir });
    assert.equal(fsck.code, 0, fsck.stderr + fsck.stdout);
    assert.match(fsck.stdout, /all good/);
    const gc = await runAdmin(['gc', '--grace-seconds', '0'], { env: r.env, cwd: r.dataDir });
    assert.equal(gc.code, 0, gc.stderr + gc.stdout);
    assert.match(gc.stdout, /rewrote \d+ packed segments/);
    const store = createPackedBlobStore(createFsBlobStore({ dir: r.blobDir }), { indexDir: join(r.blobDir, 'packs') });
    for (const { files, text } of published) {
      assert.equal((await store.getBytes(files['./package/index.js'] as Integrity))?.toString(), text);
    }
    await store.close();
  });
});
