// API.md §9: `fsck` checks that every version's blobs exist and hash to their names, reports what
// is wrong and exits non-zero; `gc` deletes only blobs nothing references.
import assert from 'node:assert/strict';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFsBlobStore } from '@entropic/blobs';
import { encodePublishBody } from '@entropic/testkit';
import type { Integrity } from '@entropic/types';
import { countFiles } from './support/count-files.ts';
import { runAdmin } from './support/run-admin.ts';
import { type RegistryWithUser, startRegistryWithUser } from './support/start-registry-with-user.ts';

function blobPath(blobDir: string, integrity: string): string {
  const hex = Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex');
  return join(blobDir, 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex);
}

describe('fsck and gc on damaged storage', () => {
  let r: RegistryWithUser;
  before(async () => {
    r = await startRegistryWithUser('alice');
  });
  after(() => r?.cleanup());

  it('fsck names the version and path of a missing and a corrupt blob; gc deletes only the unreferenced', async () => {
    const { payload, contentType } = await encodePublishBody({
      files: { 'a.js': 'will go missing\n', 'b.js': 'will be corrupted\n', 'c.js': 'stays intact\n' },
    });
    const published = await fetch(`${r.registry.url}/packages/package/alice/pkg/versions/1.0.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${r.token}`, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    assert.equal(published.status, 201, await published.clone().text());
    const doc = (await published.json()) as { files: Record<string, string>; integrity: string };
    if (r.embedded) await r.registry.stop({ keepData: true });

    const healthy = await runAdmin(['fsck'], { env: r.env, cwd: r.dataDir });
    assert.equal(healthy.code, 0, healthy.stderr + healthy.stdout);

    const missing = doc.files['./package/a.js'] as string;
    const corrupt = doc.files['./package/b.js'] as string;
    const intact = doc.files['./package/c.js'] as string;
    await rm(blobPath(r.blobDir, missing));
    await writeFile(blobPath(r.blobDir, corrupt), 'will be CORRUPTED\n'); // same size, other bytes
    // an unreferenced blob, old enough for any grace period
    const orphan = await createFsBlobStore({ dir: r.blobDir }).putBytes('nothing references me\n');
    const old = new Date(Date.now() - 2 * 86_400_000);
    await utimes(blobPath(r.blobDir, orphan.integrity), old, old);

    const fsck = await runAdmin(['fsck'], { env: r.env, cwd: r.dataDir });
    assert.equal(fsck.code, 1, fsck.stderr + fsck.stdout);
    const version = `alice@127\\.0\\.0\\.1:${r.port}/pkg@1\\.0\\.0`;
    assert.match(fsck.stdout, new RegExp(`^MISSING ${version} \\./package/a\\.js ${escapeRegExp(missing)}$`, 'm'));
    assert.match(fsck.stdout, new RegExp(`^CORRUPT ${version} \\./package/b\\.js ${escapeRegExp(corrupt)}$`, 'm'));
    assert.doesNotMatch(fsck.stdout, /c\.js|version document/, 'intact blobs are not reported');
    assert.match(fsck.stdout, /2 problems/);

    const blobsBefore = await countFiles(join(r.blobDir, 'sha512'));
    const gc = await runAdmin(['gc', '--grace-seconds', '0'], { env: r.env, cwd: r.dataDir });
    assert.equal(gc.code, 0, gc.stderr + gc.stdout);
    assert.match(gc.stdout, /deleted 1 /);
    assert.equal(await countFiles(join(r.blobDir, 'sha512')), blobsBefore - 1);
    const store = createFsBlobStore({ dir: r.blobDir });
    assert.equal(await store.stat(orphan.integrity), undefined, 'the orphan is gone');
    for (const kept of [doc.integrity, intact, corrupt]) assert.ok(await store.stat(kept as Integrity), `gc kept referenced ${kept}`);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
