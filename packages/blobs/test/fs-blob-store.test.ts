import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Integrity, integrityToHex, isAppError, sha512Integrity } from '@entropic/types';
import { type BlobStore, type ByteRange, createFsBlobStore, type FsBlobStoreOptions, type GetOptions } from '../src/index.ts';
import { blobStoreContract } from './blob-store-contract.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'entropic-blobs-'));
}

async function* inChunks(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

/** The files stored for an object, whatever their encoding. */
async function objectFiles(dir: string, integrity: Integrity): Promise<string[]> {
  const hex = integrityToHex(integrity);
  const bucket = join(dir, 'sha512', hex.slice(0, 2), hex.slice(2, 4));
  const names = await readdir(bucket).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith(hex)).map((name) => join(bucket, name));
}

/** Overwrites part of what is stored (after the header of an encoded file) with garbage. */
async function corrupt(dir: string, integrity: Integrity): Promise<void> {
  for (const path of await objectFiles(dir, integrity)) {
    const handle = await open(path, 'r+');
    await handle.write(randomBytes(32), 0, 32, path.endsWith('.br') ? 16 : 0);
    await handle.close();
  }
}

function subjectFor(writer: Omit<FsBlobStoreOptions, 'dir'>, reader: Omit<FsBlobStoreOptions, 'dir'> = writer) {
  return async () => {
    const dir = await tempDir();
    const writes = createFsBlobStore({ ...writer, dir });
    const reads = createFsBlobStore({ ...reader, dir });
    const store: BlobStore = {
      put: (source, options) => writes.put(source, options),
      putBytes: (bytes, options) => writes.putBytes(bytes, options),
      stat: (integrity) => reads.stat(integrity),
      get: ((integrity: Integrity, range?: ByteRange, options?: GetOptions) =>
        options === undefined ? reads.get(integrity, range) : reads.get(integrity, range, options)) as BlobStore['get'],
      sync: (integrities) => writes.sync(integrities),
      getBytes: (integrity) => reads.getBytes(integrity),
      delete: (integrity) => reads.delete(integrity),
      list: () => reads.list(),
      verify: (integrity) => reads.verify(integrity),
      check: () => reads.check(),
      close: async () => {
        await writes.close();
        await reads.close();
      },
    };
    return {
      store: writer === reader ? writes : store,
      storedCopies: async (integrity: Integrity) => (await objectFiles(dir, integrity)).length,
      tempEntries: async () => (await readdir(join(dir, 'tmp')).catch(() => [])).length,
      corrupt: (integrity: Integrity) => corrupt(dir, integrity),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  };
}

const raw = { compression: 'none' } as const;
const brotli = { compression: 'brotli' } as const;
blobStoreContract('fs, raw', subjectFor(raw));
blobStoreContract('fs, brotli', subjectFor(brotli));
blobStoreContract('fs, written brotli, read raw', subjectFor(brotli, raw));
blobStoreContract('fs, written raw, read brotli', subjectFor(raw, brotli));

describe('fs blob store specifics', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  const fresh = () => join(dir, String(n++));
  const compressible = Buffer.from('export const answer = 42;\n'.repeat(10_000));

  it('stores raw content under sha512/<2>/<2>/<hex>', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root });
    const { integrity } = await store.putBytes(compressible);
    const hex = integrityToHex(integrity);
    const path = join(root, 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex);
    assert.deepEqual(await readFile(path), compressible);
    assert.deepEqual(await objectFiles(root, integrity), [path]);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
  });

  it('stores compressible content as <hex>.br with a header giving the content size', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root, compression: 'brotli' });
    const { integrity } = await store.putBytes(compressible);
    const [path] = await objectFiles(root, integrity);
    assert.ok(path?.endsWith(`${integrityToHex(integrity)}.br`));
    const bytes = await readFile(path!);
    assert.equal(bytes.subarray(0, 4).toString(), 'ENTB');
    assert.equal(Number(bytes.readBigUInt64BE(8)), compressible.byteLength);
    const info = await store.stat(integrity);
    assert.equal(info?.size, compressible.byteLength);
    assert.equal(info?.storedSize, bytes.byteLength);
    assert.ok(bytes.byteLength < compressible.byteLength / 10);

    // stat reads the header only: a damaged payload does not change it, verify notices
    await corrupt(root, integrity);
    assert.equal((await store.stat(integrity))?.size, compressible.byteLength);
    assert.equal(await store.verify(integrity), false);
  });

  it('a deferSync put replaces an incomplete object left by a crash before its sync', async () => {
    for (const compression of ['none', 'brotli'] as const) {
      const root = fresh();
      const store = createFsBlobStore({ dir: root, compression });
      const { integrity } = await store.putBytes(compressible);
      const [path] = await objectFiles(root, integrity);
      await writeFile(path!, (await readFile(path!)).subarray(0, 10)); // what a machine crash can leave
      const again = await store.putBytes(compressible, { deferSync: true });
      assert.equal(again.created, true, compression);
      await store.sync([integrity]);
      assert.deepEqual(await store.getBytes(integrity), compressible);
      assert.equal(await store.verify(integrity), true);
      assert.equal((await objectFiles(root, integrity)).length, 1);
    }
  });

  it('stores content on both sides of the small-object size (read whole, or streamed) alike, in chunks, both encodings', async () => {
    const small = 256 * 1024;
    for (const compression of ['none', 'brotli'] as const) {
      const root = fresh();
      const store = createFsBlobStore({ dir: root, compression });
      for (const size of [small - 1, small, small + 1, 3 * small]) {
        for (const content of [Buffer.from('const x = 1;\n'.repeat(size).slice(0, size)), randomBytes(size)]) {
          // several chunks, the last ones after the small-object size was passed
          const chunks = [content.subarray(0, 1000), content.subarray(1000, small - 10), content.subarray(small - 10)];
          const { integrity, size: stored } = await store.put(inChunks(chunks), { deferSync: size % 2 === 0 });
          await store.sync([integrity]);
          assert.equal(integrity, sha512Integrity(content), `${compression} ${size}`);
          assert.equal(stored, size);
          assert.deepEqual(await store.getBytes(integrity), content);
          assert.equal(await store.verify(integrity), true);
          const [path] = await objectFiles(root, integrity);
          const compressible = content[0] === 0x63 && compression === 'brotli';
          assert.equal(path?.endsWith('.br'), compressible, `${compression} ${size}: encoding`);
        }
        await assert.rejects(
          store.put(inChunks([randomBytes(size)]), { maxBytes: size - 1 }),
          (e: unknown) => isAppError(e) && e.code === 'FILE_TOO_LARGE',
        );
      }
      assert.deepEqual(await readdir(join(root, 'tmp')), [], 'no temp file left');
    }
  });

  it('stores incompressible or tiny content raw even with brotli', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root, compression: 'brotli' });
    for (const content of [randomBytes(100_000), Buffer.from('tiny'), Buffer.alloc(0)]) {
      const { integrity } = await store.putBytes(content);
      const [path] = await objectFiles(root, integrity);
      assert.ok(path?.endsWith(integrityToHex(integrity)));
      assert.deepEqual(await readFile(path!), content);
    }
  });

  it('keeps one file when the same content is put with either setting', async () => {
    const root = fresh();
    const rawStore = createFsBlobStore({ dir: root });
    const brotliStore = createFsBlobStore({ dir: root, compression: 'brotli' });
    const first = await rawStore.putBytes(compressible);
    assert.equal((await brotliStore.putBytes(compressible)).created, false);
    const other = await brotliStore.putBytes(compressible.toString().toUpperCase());
    assert.equal((await rawStore.putBytes(compressible.toString().toUpperCase())).created, false);
    assert.equal((await objectFiles(root, first.integrity)).length, 1);
    assert.equal((await objectFiles(root, other.integrity)).length, 1);
  });

  it('lists once and deletes both when both encodings exist', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root, compression: 'brotli' });
    const { integrity } = await store.putBytes(compressible);
    const [path] = await objectFiles(root, integrity);
    await writeFile(path!.slice(0, -'.br'.length), compressible);
    const listed = [];
    for await (const info of store.list()) listed.push(info);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.storedSize, compressible.byteLength, 'raw is preferred');
    assert.equal(await store.delete(integrity), true);
    assert.deepEqual(await objectFiles(root, integrity), []);
  });

  it('removes the fan-out directories a delete left empty, and a put racing that removal still lands', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root });
    const alone = await store.putBytes(Buffer.from('alone'));
    const hex = integrityToHex(alone.integrity);
    assert.equal(await store.delete(alone.integrity), true);
    await assert.rejects(stat(join(root, 'sha512', hex.slice(0, 2), hex.slice(2, 4))), { code: 'ENOENT' });
    // two contents that share a bucket (sha512/xx/yy): found by hashing until two prefixes meet
    const byBucket = new Map<string, Buffer>();
    let pair: [Buffer, Buffer] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const content = Buffer.from(`content ${i}`);
      const bucket = integrityToHex(sha512Integrity(content)).slice(0, 4);
      const other = byBucket.get(bucket);
      if (other) pair = [other, content];
      else byBucket.set(bucket, content);
    }
    const [a, b] = pair;
    for (let round = 0; round < 40; round++) {
      const first = await store.putBytes(a);
      // the delete empties the bucket and removes it while the other put places its object there
      const [, second] = await Promise.all([store.delete(first.integrity), store.putBytes(b)]);
      assert.deepEqual(await store.getBytes(second.integrity), b, `round ${round}`);
      assert.equal(await store.getBytes(first.integrity), undefined);
      assert.equal(await store.delete(second.integrity), true);
    }
    assert.deepEqual(await readdir(join(root, 'sha512')), [], 'no empty directory left');
  });

  it('reports a file with a broken header as failing verification and skips it in list', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root, compression: 'brotli' });
    const { integrity } = await store.putBytes(compressible);
    const [path] = await objectFiles(root, integrity);
    await writeFile(path!, 'garbage');
    assert.equal(await store.verify(integrity), false);
    await assert.rejects(store.stat(integrity), (error) => isAppError(error) && error.code === 'INTERNAL');
    await assert.rejects(store.get(integrity), (error) => isAppError(error) && error.code === 'INTERNAL');
    const listed = [];
    for await (const info of store.list()) listed.push(info);
    assert.deepEqual(listed, []);
  });

  it('ignores foreign files in its directories', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root });
    const { integrity } = await store.putBytes('x');
    const hex = integrityToHex(integrity);
    await writeFile(join(root, 'sha512', hex.slice(0, 2), hex.slice(2, 4), 'README'), 'not an object');
    await writeFile(join(root, 'sha512', 'notes.txt'), 'not an object');
    const listed = [];
    for await (const info of store.list()) listed.push(info.integrity);
    assert.deepEqual(listed, [integrity]);
  });

  it('refuses a non-canonical base64 spelling of a digest', async () => {
    const store = createFsBlobStore({ dir: fresh() });
    const canonical = sha512Integrity('x');
    // the last base64 digit before "==" carries 4 unused bits; flipping one keeps the bytes
    const last = canonical.at(-3)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const other = alphabet[alphabet.indexOf(last) ^ 1]!;
    const spelled = `${canonical.slice(0, -3)}${other}==` as Integrity;
    assert.equal(integrityToHex(spelled), integrityToHex(canonical));
    await assert.rejects(store.stat(spelled), (error) => isAppError(error) && error.code === 'INVALID_DIGEST');
  });

  it('removes stale temp files only', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root, tmpGraceMs: 60_000 });
    await store.check();
    const stale = join(root, 'tmp', 'stale');
    const recent = join(root, 'tmp', 'recent');
    await writeFile(stale, 'left by a killed upload');
    await writeFile(recent, 'upload in progress');
    const old = new Date(Date.now() - 120_000);
    await utimes(stale, old, old);
    assert.equal(await store.cleanTemp(), 1);
    assert.deepEqual(await readdir(join(root, 'tmp')), ['recent']);
    await stat(recent);
  });

  it('fails health checks and writes with SERVICE_UNAVAILABLE, without paths', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    const store = createFsBlobStore({ dir: join(file, 'blobs') });
    const unavailable = (error: unknown) => {
      assert.ok(isAppError(error));
      assert.equal(error.code, 'SERVICE_UNAVAILABLE');
      assert.ok(!error.message.includes(dir), error.message);
      return true;
    };
    await assert.rejects(store.check(), unavailable);
    await assert.rejects(store.putBytes('x'), unavailable);
    assert.equal(await store.stat(sha512Integrity('x')), undefined);
  });

  it('maps a temp file that cannot be created to SERVICE_UNAVAILABLE', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root });
    await store.check();
    await rm(join(root, 'tmp'), { recursive: true });
    await writeFile(join(root, 'tmp'), 'not a directory');
    async function* slow() {
      await new Promise((resolve) => setTimeout(resolve, 50));
      yield Buffer.from('late');
    }
    await assert.rejects(store.put(slow()), (error) => isAppError(error) && error.code === 'SERVICE_UNAVAILABLE');
    await assert.rejects(store.putBytes(''), (error) => isAppError(error) && error.code === 'SERVICE_UNAVAILABLE');
  });

  it('refuses use after close', async () => {
    const store = createFsBlobStore({ dir: fresh() });
    await store.close();
    await assert.rejects(store.putBytes('x'), (error) => isAppError(error) && error.code === 'SERVICE_UNAVAILABLE');
  });

  it('serves from an open file even when the object is deleted meanwhile', async () => {
    const root = fresh();
    const store = createFsBlobStore({ dir: root });
    const content = randomBytes(500_000);
    const { integrity } = await store.putBytes(content);
    const got = await store.get(integrity);
    await store.delete(integrity);
    assert.deepEqual(Buffer.concat(await got!.stream.toArray()), content);
  });

  it('reads an encoded object file copied in from another store', async () => {
    const a = fresh();
    const b = fresh();
    const source = createFsBlobStore({ dir: a, compression: 'brotli' });
    const target = createFsBlobStore({ dir: b });
    const { integrity } = await source.putBytes(compressible);
    await target.check();
    const [path] = await objectFiles(a, integrity);
    const hex = integrityToHex(integrity);
    await mkdir(join(b, 'sha512', hex.slice(0, 2), hex.slice(2, 4)), { recursive: true });
    await copyFile(path!, join(b, 'sha512', hex.slice(0, 2), hex.slice(2, 4), `${hex}.br`));
    assert.deepEqual(await target.getBytes(integrity), compressible);
  });
});
