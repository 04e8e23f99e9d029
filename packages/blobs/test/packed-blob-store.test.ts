import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { brotliCompressSync } from 'node:zlib';
import { type Integrity, integrityToHex, isAppError, sha512Integrity } from '@entropic/types';
import { createDelta } from 'fossil-delta';
import { type BlobStore, createFsBlobStore, createPackedBlobStore, type PackedBlobStore } from '../src/index.ts';
import { MAX_DEPTH } from '../src/packed/repacker.ts';
import { parseSegmentTable, TABLE_OFFSET } from '../src/packed/segment.ts';
import { blobStoreContract } from './blob-store-contract.ts';
import { packOnPut } from './packed-subject.ts';
import { gzipOf, tarOf } from './tarball-fixture.ts';

const SRC = new URL('../src/index.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx');

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'entropic-packed-'));
}

function open_(dir: string, segmentBytes?: number): PackedBlobStore {
  return createPackedBlobStore(createFsBlobStore({ dir }), { indexDir: join(dir, 'packs'), ...(segmentBytes ? { segmentBytes } : {}) });
}

blobStoreContract('fs, packed after every put', async () => {
  const dir = await tempDir();
  return { store: packOnPut(open_(dir)), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

/** Every file under the store's object directory (raw objects and segments). */
async function objectFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const a of await readdir(join(dir, 'sha512')).catch(() => [] as string[])) {
    for (const b of await readdir(join(dir, 'sha512', a))) {
      for (const name of await readdir(join(dir, 'sha512', a, b))) files.push(join(dir, 'sha512', a, b, name));
    }
  }
  return files;
}

/** The entries of a segment, from the table at its start. */
function segmentEntries(bytes: Buffer): Array<{ hex: string; offset: number; length: number; depth: number }> {
  const tableLength = bytes.readUInt32BE(TABLE_OFFSET - 4);
  return parseSegmentTable(bytes.subarray(TABLE_OFFSET, TABLE_OFFSET + tableLength));
}

async function segmentFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of await objectFiles(dir)) {
    if ((await readFile(path)).subarray(0, 8).toString().startsWith('ENTPACK')) found.push(path);
  }
  return found;
}

const text = (seed: number, lines = 4000) =>
  Buffer.from(
    Array.from({ length: lines }, (_, i) => `export const value${i} = ${i % 97 === seed % 97 ? seed : i}; // line ${i}\n`).join(''),
  );

async function readAll(store: BlobStore, integrity: Integrity): Promise<Buffer | undefined> {
  return store.getBytes(integrity);
}

function isInternal(error: unknown): boolean {
  return isAppError(error) && error.code === 'INTERNAL';
}

describe('packed blob store', () => {
  it('packs versions of a file as deltas against the previous one, in chains of bounded depth, and reads them back exactly', async () => {
    const dir = await tempDir();
    const store = open_(dir);
    try {
      const versions: Array<{ integrity: Integrity }> = [];
      for (let v = 0; v < 40; v++) versions.push(await store.putBytes(text(v)));
      const large = randomBytes(2 * 1024 * 1024); // brotli only, decoded as it streams
      const big = await store.putBytes(large);
      const candidates = versions.map((version, i) => ({
        integrity: version.integrity,
        ...(i > 0 ? { base: versions[i - 1]?.integrity } : {}),
      }));
      const report = await store.packing.repack({ candidates });
      assert.equal(report.packed, 41);
      // a full chain goes on from an ancestor at half depth rather than restarting with a whole copy
      assert.equal(report.deltas, 39, 'every version but the first is a delta');
      assert.ok(report.storedBytes < (40 * text(0).byteLength) / 20 + large.byteLength + 1024, `stored ${report.storedBytes}`);
      const files = await objectFiles(dir);
      assert.equal(files.length, 1, 'one segment file, no raw files');
      const depths = segmentEntries(await readFile(files[0]!)).map((entry) => entry.depth);
      assert.equal(Math.max(...depths), MAX_DEPTH, 'chains reach the bound and never pass it');
      for (let v = 0; v < 40; v++) assert.deepEqual(await readAll(store, versions[v]!.integrity), text(v));
      assert.deepEqual(await readAll(store, big.integrity), large);
      const ranged = await store.get(big.integrity, { start: 1_000_000, end: 1_100_000 });
      assert.deepEqual(Buffer.concat(await ranged!.stream.toArray()), large.subarray(1_000_000, 1_100_001));
      const head = await store.get(versions[5]!.integrity, { start: 10, end: 19 });
      assert.deepEqual(Buffer.concat(await head!.stream.toArray()), text(5).subarray(10, 20));
      // a fresh process reads the index from its log
      await store.close();
      const again = open_(dir);
      assert.deepEqual(await readAll(again, versions[11]!.integrity), text(11));
      assert.equal((await again.stat(versions[3]!.integrity))?.size, text(3).byteLength);
      const storage = await again.packing.report();
      assert.equal(storage.packedObjects, 41);
      assert.equal(storage.byCodec.dbr?.objects, 39);
      assert.equal(storage.rawObjects, 0);
      assert.equal(storage.segments, 1);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('compresses small objects together in solid blocks, each read back exactly, and still reads version 2 segments', async () => {
    const dir = await tempDir();
    const store = open_(dir);
    try {
      // a version 2 segment (one brotli payload per object, a JSON table), as written before blocks
      const one = text(1, 500);
      const two = text(2, 500);
      const gone = randomBytes(200_000); // deleted below: the segment falls under half needed and is rewritten
      const payloads = [brotliCompressSync(one), brotliCompressSync(Buffer.from(createDelta(one, two))), brotliCompressSync(gone)];
      const hexOf = (bytes: Buffer) => integrityToHex(sha512Integrity(bytes));
      const rows = [
        [hexOf(one), 0, payloads[0]!.byteLength, one.byteLength, 'br', '', 0, 1],
        [hexOf(two), payloads[0]!.byteLength, payloads[1]!.byteLength, two.byteLength, 'dbr', hexOf(one), 1, 1],
        [hexOf(gone), payloads[0]!.byteLength + payloads[1]!.byteLength, payloads[2]!.byteLength, gone.byteLength, 'br', '', 0, 1],
      ];
      const table = brotliCompressSync(Buffer.from(JSON.stringify(rows)));
      const length = Buffer.alloc(4);
      length.writeUInt32BE(table.byteLength);
      const v2 = await store.inner.putBytes(Buffer.concat([Buffer.from('ENTPACK2'), length, table, ...payloads]));
      await mkdir(join(dir, 'packs'), { recursive: true });
      await appendFile(join(dir, 'packs', 'index.log'), `${JSON.stringify({ add: integrityToHex(v2.integrity), t: table.byteLength })}\n`);
      for (const bytes of [one, two, gone]) assert.deepEqual(await readAll(store, sha512Integrity(bytes)), bytes);
      // version 3: small objects in one block, a later version a delta against the version 2 one;
      // the small version 2 segment is merged into it (its objects compressed again with the new ones)
      const three = text(3, 500);
      const small = Array.from({ length: 30 }, (_, i) => Buffer.from(`module.exports = ${i};\n`.repeat(20 + i)));
      const puts = [await store.putBytes(three), ...(await Promise.all(small.map((bytes) => store.putBytes(bytes))))];
      const report = await store.packing.repack({ candidates: [{ integrity: puts[0]!.integrity, base: sha512Integrity(two) }] });
      assert.equal(report.deltas, 1, 'a delta against an object of the version 2 segment');
      await store.close();
      const reopened = open_(dir);
      for (const bytes of [one, two, gone, three, ...small]) {
        assert.deepEqual(await readAll(reopened, sha512Integrity(bytes)), bytes);
        assert.equal(await reopened.verify(sha512Integrity(bytes)), true);
      }
      const storage = await reopened.packing.report();
      assert.equal(storage.packedObjects, 34);
      assert.equal(storage.segments, 1, 'the version 2 segment was merged');
      // a block's members share one unit (each with its share of it): less than brotli of each alone
      const all = [one, two, gone, three, ...small];
      const alone = all.reduce((sum, bytes) => sum + brotliCompressSync(bytes).byteLength, 0);
      const shared = (await Promise.all(all.map((bytes) => reopened.stat(sha512Integrity(bytes))))).reduce(
        (sum, info) => sum + (info?.storedSize ?? 0),
        0,
      );
      assert.ok(shared < alone, `in a block ${shared}, alone ${alone}`);
      // compaction rewrites the segment without `gone` (deleted objects still needed kept as bases)
      for (const bytes of [one, two, gone]) await reopened.delete(sha512Integrity(bytes));
      assert.equal((await reopened.packing.compact()).segmentsRewritten, 1);
      const magics = await Promise.all((await segmentFiles(dir)).map(async (path) => (await readFile(path)).subarray(0, 8).toString()));
      assert.deepEqual(magics, ['ENTPACK3']);
      assert.deepEqual(await readAll(reopened, sha512Integrity(three)), three);
      assert.equal(await reopened.verify(sha512Integrity(three)), true);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('detects a corrupted segment and a truncated one: verify is false, reads fail, never wrong bytes', async () => {
    for (const damage of ['corrupt', 'truncate'] as const) {
      const dir = await tempDir();
      const store = open_(dir);
      try {
        const small = { content: text(1), integrity: (await store.putBytes(text(1))).integrity };
        const largeContent = randomBytes(1536 * 1024);
        const large = { content: largeContent, integrity: (await store.putBytes(largeContent)).integrity };
        await store.packing.repack();
        await store.close();
        const [segment] = await segmentFiles(dir);
        assert.ok(segment);
        const entries = segmentEntries(await readFile(segment));
        const damaged = new Set<string>();
        if (damage === 'corrupt') {
          // damage the middle of each object's payload (their places are in the segment's table)
          const handle = await open(segment, 'r+');
          for (const { offset, length } of entries) await handle.write(randomBytes(8), 0, 8, offset + Math.floor(length / 2) - 4);
          await handle.close();
          for (const { hex } of entries) damaged.add(hex);
        } else {
          // cut in the middle of the last object: it is damaged, the ones before it are whole
          const last = entries.reduce((a, b) => (a.offset > b.offset ? a : b));
          await truncate(segment, last.offset + Math.floor(last.length / 2));
          damaged.add(last.hex);
        }
        const reopened = open_(dir);
        for (const { integrity, content } of [small, large]) {
          if (damaged.has(integrityToHex(integrity))) {
            assert.equal(await reopened.verify(integrity), false, `${damage}: verify`);
            await assert.rejects(readAll(reopened, integrity), isInternal, `${damage}: read`);
          } else {
            assert.equal(await reopened.verify(integrity), true, `${damage}: an object before the cut`);
            assert.deepEqual(await readAll(reopened, integrity), content);
          }
        }
        await reopened.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it('detects a delta whose base is gone (its segment lost from the index)', async () => {
    const dir = await tempDir();
    const store = open_(dir, 1024); // segments too large to be merged: the first one is dropped below
    try {
      const one = await store.putBytes(text(1));
      await store.packing.repack();
      const two = await store.putBytes(text(2));
      const report = await store.packing.repack({ candidates: [{ integrity: two.integrity, base: one.integrity }] });
      assert.equal(report.deltas, 1);
      await store.close();
      const log = join(dir, 'packs', 'index.log');
      const first = JSON.parse((await readFile(log, 'utf8')).split('\n')[0]!) as { add: string };
      await appendFile(log, `${JSON.stringify({ drop: first.add })}\n`);
      const reopened = open_(dir);
      assert.equal(await reopened.stat(one.integrity), undefined);
      assert.equal(await reopened.verify(two.integrity), false);
      await assert.rejects(readAll(reopened, two.integrity), isInternal);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps a deleted delta base readable until compaction rewrites it', async () => {
    const dir = await tempDir();
    const store = open_(dir, 64 * 1024);
    try {
      const one = await store.putBytes(text(1));
      await store.packing.repack();
      const two = await store.putBytes(text(2));
      const filler = [];
      for (let i = 0; i < 8; i++) filler.push(await store.putBytes(randomBytes(20_000)));
      await store.packing.repack({ candidates: [{ integrity: two.integrity, base: one.integrity }] });
      assert.equal(await store.delete(one.integrity), true);
      assert.equal(await store.stat(one.integrity), undefined);
      assert.deepEqual(await readAll(store, two.integrity), text(2), 'the base is gone from the address space, not from the segment');
      for (const { integrity } of filler) await store.delete(integrity);
      const before = (await objectFiles(dir)).length;
      const compacted = await store.packing.compact();
      assert.ok(compacted.segmentsRewritten >= 1, JSON.stringify(compacted));
      assert.ok((await objectFiles(dir)).length <= before);
      assert.deepEqual(await readAll(store, two.integrity), text(2));
      assert.equal(await store.verify(two.integrity), true);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps a tarball as a recipe over its files, reads it back exactly (whole, ranges, streamed) and keeps its parts through gc', async () => {
    const dir = await tempDir();
    const store = open_(dir);
    try {
      const files = [0, 1, 2].map((v) => ({ path: `lib/file${v}.js`, content: text(v, 3000) }));
      for (const file of files) await store.putBytes(file.content);
      // a file only in the tarball: packed for the recipe, never an object of its own
      const only = { path: 'README.md', content: Buffer.from('# only in the tarball\n'.repeat(20)) };
      const small = gzipOf(tarOf([...files, only]), 9);
      // a tarball over the whole-decode size: incompressible files, rebuilt as it streams
      const noise = [0, 1].map((v) => ({ path: `bin/blob${v}`, content: randomBytes(700 * 1024) }));
      for (const file of noise) await store.putBytes(file.content);
      const large = gzipOf(tarOf(noise), 9);
      // gzip level 1: no pinned deflate reproduces it, so it is stored like any object
      const other = gzipOf(tarOf(files), 1);
      const puts = { small: await store.putBytes(small), large: await store.putBytes(large), other: await store.putBytes(other) };
      await store.packing.repack();
      const storage = await store.packing.report();
      assert.equal(storage.byCodec.tgz?.objects, 2, JSON.stringify(storage.byCodec));
      assert.ok((storage.byCodec.tgz?.storedBytes ?? 0) < 2048, `recipes stored in ${storage.byCodec.tgz?.storedBytes} bytes`);
      assert.equal(storage.rawObjects, 0);
      assert.equal(await store.stat(sha512Integrity(only.content)), undefined, 'a part only in a tarball is not an object');
      const check = async (s: BlobStore) => {
        assert.deepEqual(await readAll(s, puts.small.integrity), small);
        assert.deepEqual(await readAll(s, puts.large.integrity), large);
        assert.deepEqual(await readAll(s, puts.other.integrity), other);
        const ranged = await s.get(puts.large.integrity, { start: 1000, end: 500_000 });
        assert.deepEqual(Buffer.concat(await ranged!.stream.toArray()), large.subarray(1000, 500_001));
        assert.equal((await s.stat(puts.large.integrity))?.size, large.byteLength);
        assert.equal(await s.verify(puts.small.integrity), true);
        assert.equal(await s.verify(puts.large.integrity), true);
      };
      await check(store);
      // the file only in the tarball is put later (a mirror exploding the tarball): made live, not packed twice
      const storedBefore = (await store.packing.report()).storedBytes;
      await store.putBytes(only.content);
      await store.packing.repack();
      const revived = await store.packing.report();
      assert.equal((await store.stat(sha512Integrity(only.content)))?.size, only.content.byteLength);
      assert.equal(revived.rawObjects, 0);
      assert.equal(revived.storedBytes, storedBefore, 'no second copy');
      // the files are deleted as unreferenced objects: the recipes keep them, through compaction too
      for (const file of [...files, ...noise]) await store.delete(sha512Integrity(file.content));
      await store.packing.compact();
      await store.close();
      const reopened = open_(dir);
      await check(reopened);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('detects a tarball recipe whose part is gone', async () => {
    const dir = await tempDir();
    const store = open_(dir, 1024); // segments too large to be merged: the first one is dropped below
    try {
      const file = { path: 'index.js', content: text(7, 2000) };
      await store.putBytes(file.content);
      await store.packing.repack();
      const tarball = await store.putBytes(gzipOf(tarOf([file]), 9));
      await store.packing.repack();
      assert.equal((await store.packing.report()).byCodec.tgz?.objects, 1);
      await store.close();
      const log = join(dir, 'packs', 'index.log');
      const first = JSON.parse((await readFile(log, 'utf8')).split('\n')[0]!) as { add: string };
      await appendFile(log, `${JSON.stringify({ drop: first.add })}\n`);
      const reopened = open_(dir);
      assert.equal(await reopened.verify(tarball.integrity), false);
      await assert.rejects(readAll(reopened, tarball.integrity), isInternal);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a journaled sync whose objects were packed before its checkpoint still completes (the journal is removed)', async () => {
    const dir = await tempDir();
    const store = createPackedBlobStore(createFsBlobStore({ dir, checkpointDelayMs: 300 }), { indexDir: join(dir, 'packs') });
    try {
      const put = await store.putBytes(text(3), { deferSync: true });
      await store.sync([put.integrity]); // journaled; its checkpoint fsyncs the object 300 ms later
      await store.packing.repack(); // packs and deletes the raw object first
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepEqual(await readdir(join(dir, 'journal')), [], 'the checkpoint removed the journal');
      assert.deepEqual(await readAll(store, put.integrity), text(3));
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loses nothing when repack or compaction is killed (-9) at any moment', async () => {
    const dir = await tempDir();
    const seed = open_(dir);
    const objects: Array<{ integrity: Integrity; content: Buffer }> = [];
    for (let i = 0; i < 120; i++) {
      const content = i % 2 === 0 ? text(i, 300) : randomBytes(3000);
      objects.push({ integrity: (await seed.putBytes(content)).integrity, content });
    }
    await seed.close();
    // a repack or compaction loop in another process, killed with -9 after a while
    const child = (action: string) => `
      const { join } = await import('node:path');
      const { createFsBlobStore, createPackedBlobStore } = await import(${JSON.stringify(SRC)});
      const dir = ${JSON.stringify(dir)};
      const store = createPackedBlobStore(createFsBlobStore({ dir }), { indexDir: join(dir, 'packs'), segmentBytes: 16 * 1024 });
      for (;;) {
        ${action === 'repack' ? 'await store.packing.repack({ limit: 7 });' : 'await store.packing.compact();'}
        await new Promise((resolve) => setTimeout(resolve, 5));
      }`;
    try {
      for (const [round, delayMs] of [50, 150, 300, 600, 1000, 1500].entries()) {
        const proc = spawn(
          process.execPath,
          ['--import', TSX, '--input-type=module', '-e', child(round % 2 === 0 ? 'repack' : 'compact')],
          {
            stdio: 'ignore',
          },
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        proc.kill('SIGKILL');
        await new Promise((resolve) => proc.once('exit', resolve));
        const reopened = open_(dir, 16 * 1024);
        for (const [i, { integrity, content }] of objects.entries()) {
          if (round > 2 && i < 40) continue; // deleted after round 2
          assert.deepEqual(await readAll(reopened, integrity), content, `round ${round}`);
        }
        if (round === 2) for (const { integrity } of objects.slice(0, 40)) await reopened.delete(integrity);
        await reopened.close();
      }
      const finished = open_(dir, 16 * 1024);
      await finished.packing.repack();
      await finished.packing.compact();
      for (const [i, { integrity, content }] of objects.entries()) {
        if (i < 40) continue;
        assert.deepEqual(await readAll(finished, integrity), content);
        assert.equal(await finished.verify(integrity), true);
      }
      const storage = await finished.packing.report();
      assert.equal(storage.rawObjects, 0);
      assert.equal(storage.packedObjects, 80);
      await finished.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
