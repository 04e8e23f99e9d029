// Issue 14 with 12: several processes sharing one store and one pack index (the local file log
// here; the database's log on S3 in packages/server/test/s3-shared-packing.test.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Integrity, integrityToHex } from '@entropic/types';
import { type BlobStore, createFilePackLog, createFsBlobStore, createPackedBlobStore, type PackedBlobStore } from '../src/index.ts';

const text = (seed: number) =>
  Buffer.from(Array.from({ length: 600 }, (_, i) => `export const v${i} = ${i % 31 === seed % 31 ? seed : i}; // ${i}\n`).join(''));

function open_(dir: string): PackedBlobStore {
  // no decoded cache: every read goes to the segments, as a process that never read them would
  return createPackedBlobStore(createFsBlobStore({ dir }), { indexDir: join(dir, 'packs'), cacheBytes: 0 });
}

async function readAll(store: BlobStore, integrity: Integrity): Promise<Buffer | undefined> {
  return store.getBytes(integrity);
}

async function putAll(store: BlobStore, count: number): Promise<Array<{ integrity: Integrity; content: Buffer }>> {
  const objects: Array<{ integrity: Integrity; content: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    const content = text(i);
    objects.push({ integrity: (await store.putBytes(content)).integrity, content });
  }
  return objects;
}

describe('packed store: a pack index shared by several processes', () => {
  it('each sees what the other packed; a reader with a stale view retries when compaction moved its object', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropic-shared-'));
    const a = open_(dir);
    const b = open_(dir);
    try {
      const objects = await putAll(a, 30);
      for (const { integrity, content } of objects) assert.deepEqual(await readAll(b, integrity), content); // raw, b's view loaded
      const packed = await a.packing.repack();
      assert.equal(packed.packed, 30);
      // b has not re-read the index: the raw copies are gone, it finds them packed
      for (const { integrity, content } of objects) assert.deepEqual(await readAll(b, integrity), content);
      for (const { integrity } of objects.slice(0, 25)) assert.equal(await a.delete(integrity), true);
      const compacted = await a.packing.compact();
      assert.equal(compacted.segmentsRewritten, 1, 'the segment was rewritten and the old one deleted');
      // b's entries still name the deleted segment: each read retries on the index's new lines
      for (const { integrity, content } of objects.slice(25)) {
        assert.deepEqual(await readAll(b, integrity), content);
        assert.equal(await b.verify(integrity), true);
        const ranged = await b.get(integrity, { start: 10, end: 99 });
        assert.ok(ranged !== undefined);
        assert.deepEqual('bytes' in ranged ? ranged.bytes : Buffer.concat(await ranged.stream.toArray()), content.subarray(10, 100));
      }
      for (const { integrity } of objects.slice(0, 25)) assert.equal(await b.stat(integrity), undefined);
      assert.equal((await b.packing.report()).packedObjects, 5);
    } finally {
      await a.close();
      await b.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('one process packs or compacts at a time: while another holds the lease, repack and compaction skip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropic-shared-'));
    const store = open_(dir);
    const other = createFilePackLog(join(dir, 'packs'));
    try {
      await putAll(store, 3);
      const lease = { name: 'pack', holder: 'another-host:1:x' };
      assert.equal(await other.acquire(lease, 60_000), true);
      const busy = await store.packing.repack();
      assert.equal(busy.busy, true);
      assert.equal(busy.packed, 0);
      assert.equal((await store.packing.compact()).busy, true);
      await other.release(lease);
      assert.equal((await store.packing.repack()).packed, 3, 'free again');
    } finally {
      await store.close();
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rebuilds a lost index from the segments’ tables (admin pack-index rebuild, and gc adopts a segment it does not know)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropic-shared-'));
    const first = open_(dir);
    const objects = await putAll(first, 20);
    await first.packing.repack();
    const segments: Integrity[] = [];
    const report = await first.packing.report();
    assert.equal(report.rawObjects, 0);
    for await (const info of first.inner.list()) segments.push(info.integrity);
    assert.equal(segments.length, report.segments);
    await first.close();
    try {
      await rm(join(dir, 'packs'), { recursive: true, force: true }); // the index is lost
      const lost = open_(dir);
      assert.equal(await readAll(lost, objects[0]?.integrity as Integrity), undefined, 'without its index the object is not found');
      const rebuilt = await lost.packing.rebuildIndex();
      assert.deepEqual(rebuilt, { segments: segments.length, objects: 20 });
      for (const { integrity, content } of objects) {
        assert.deepEqual(await readAll(lost, integrity), content);
        assert.equal(await lost.verify(integrity), true);
      }
      assert.deepEqual(await lost.packing.rebuildIndex(), { segments: 0, objects: 0 }, 'nothing more to add');
      await lost.close();

      // gc, which lists a segment the index lacks as an unreferenced blob, adopts it rather than deleting it
      await rm(join(dir, 'packs'), { recursive: true, force: true });
      const gc = open_(dir);
      const listed = [];
      for await (const info of gc.list()) listed.push(integrityToHex(info.integrity));
      assert.deepEqual(listed.sort(), segments.map(integrityToHex).sort(), 'the segments look like raw blobs');
      for (const segment of segments) assert.equal(await gc.delete(segment), false);
      for (const { integrity, content } of objects) assert.deepEqual(await readAll(gc, integrity), content);
      await gc.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('copies an earlier local index into an empty shared one (a store moving its index to the database)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropic-shared-'));
    try {
      const before = open_(dir);
      const objects = await putAll(before, 6);
      await before.packing.repack();
      await before.close();
      const opened = () =>
        createPackedBlobStore(createFsBlobStore({ dir }), {
          log: createFilePackLog(join(dir, 'shared')),
          importFrom: createFilePackLog(join(dir, 'packs')),
          cacheBytes: 0,
        });
      const moved = opened();
      for (const { integrity, content } of objects) assert.deepEqual(await readAll(moved, integrity), content);
      const imported = (await createFilePackLog(join(dir, 'shared')).read(0)).length;
      assert.ok(imported > 0);
      await moved.close();
      const again = opened(); // the shared log is not empty any more: nothing copied twice
      for (const { integrity, content } of objects) assert.deepEqual(await readAll(again, integrity), content);
      assert.equal((await createFilePackLog(join(dir, 'shared')).read(0)).length, imported);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
