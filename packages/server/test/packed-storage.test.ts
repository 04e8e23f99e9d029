// Issue 14: BLOB_PACKING=on. Published files are moved into packed segments online by the
// blob-repack job and read back byte for byte (Range, HEAD, ETag). The admin commands on a packed
// store: packed-storage-admin.test.ts (a file of its own: each admin command starts a process).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePublishBody } from '@entropic/testkit';
import { type RegistryWithUser, startRegistryWithUser } from './support/start-registry-with-user.ts';
import { waitFor } from './support/wait-for.ts';

/** Blob files under the store root: [raw objects, segments]. */
async function storeFiles(blobDir: string): Promise<{ raw: number; segments: number }> {
  const counts = { raw: 0, segments: 0 };
  const root = join(blobDir, 'sha512');
  for (const a of await readdir(root).catch(() => [] as string[])) {
    for (const b of await readdir(join(root, a)).catch(() => [] as string[])) {
      for (const name of await readdir(join(root, a, b)).catch(() => [] as string[])) {
        const head = await readFile(join(root, a, b, name)).catch(() => Buffer.alloc(0));
        if (head.subarray(0, 8).toString().startsWith('ENTPACK')) counts.segments += 1;
        else counts.raw += 1;
      }
    }
  }
  return counts;
}

/** A source file that changes a little from one version to the next. */
function source(version: number): string {
  return Array.from({ length: 1500 }, (_, i) => `export function f${i}(x) { return x * ${i === version * 7 ? version : i}; }\n`).join('');
}

const objectUrl = (base: string, integrity: string) => `${base}/objects/object/sha512/${integrity.slice('sha512-'.length)}`;

describe('packed storage (BLOB_PACKING=on)', () => {
  let r: RegistryWithUser;
  const published: Array<{ version: string; files: Record<string, string>; contents: Record<string, string> }> = [];

  before(async () => {
    r = await startRegistryWithUser('alice', {
      env: { BLOB_PACKING: 'on', BLOB_REPACK_GRACE_SECONDS: '0', BLOB_REPACK_INTERVAL_SECONDS: '1' },
    });
  });
  after(() => r?.cleanup());

  it('packs published files online; every read is byte-identical with Range, HEAD and ETag', async () => {
    for (let v = 0; v < 6; v++) {
      const version = `1.0.${v}`;
      const contents = {
        'index.js': source(v),
        'README.md': `# pkg ${version}\n`,
        'package.json': `{"name":"pkg","version":"${version}"}\n`,
      };
      const { payload, contentType } = await encodePublishBody({ files: contents });
      const response = await fetch(`${r.registry.url}/packages/package/alice/pkg/versions/${version}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${r.token}`, 'content-type': contentType },
        body: new Uint8Array(payload),
      });
      assert.equal(response.status, 201, await response.clone().text());
      const doc = (await response.json()) as { files: Record<string, string> };
      published.push({ version, files: doc.files, contents });
    }
    // the blob-repack job runs every second with no grace: the raw files turn into segments while the server runs
    await waitFor(
      'the blob-repack job to pack the published files',
      async () => {
        const files = await storeFiles(r.blobDir);
        return files.segments > 0 && files.raw <= 2 ? files : undefined;
      },
      120_000,
      250,
    );
    for (const { version, files, contents } of published) {
      for (const [name, text] of Object.entries(contents)) {
        const integrity = files[`./package/${name}`];
        assert.ok(integrity, `${version} ${name}`);
        const response = await fetch(objectUrl(r.registry.url, integrity));
        assert.equal(response.status, 200);
        assert.equal(await response.text(), text, `${version} ${name}`);
        assert.equal(response.headers.get('etag'), `"${integrity}"`);
        const head = await fetch(objectUrl(r.registry.url, integrity), { method: 'HEAD' });
        assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(text)));
        const ranged = await fetch(objectUrl(r.registry.url, integrity), { headers: { range: 'bytes=5-24' } });
        assert.equal(ranged.status, 206);
        assert.equal(await ranged.text(), Buffer.from(text).subarray(5, 25).toString());
      }
    }
  });
});
