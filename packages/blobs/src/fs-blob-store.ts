import { createHash } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { createBrotliDecompress } from 'node:zlib';
import { appError, hexToIntegrity, type Integrity, isAppError } from '@entropic/types';
import { BLOB_HEADER_SIZE, type BlobHeader, decodeBlobHeader, type StoredEncoding } from './blob-header.ts';
import type { BlobInfo, BlobStore, ByteRange, PutOptions, PutResult } from './blob-store.ts';
import { resolveRange, sliceBytes } from './byte-range.ts';
import { digestHex } from './digest-hex.ts';
import { corruptObject, hasErrnoCode, io, isMissing, storeError } from './store-error.ts';
import { writeTempObject } from './write-temp-object.ts';

export interface FsBlobStoreOptions {
  /** root directory; created on first use */
  dir: string;
  /** how new objects are stored (default 'none'); objects stored either way are always readable */
  compression?: 'none' | 'brotli';
  /** temp files untouched for longer than this are removed by cleanTemp() (default 1 hour) */
  tmpGraceMs?: number;
}

export interface FsBlobStore extends BlobStore {
  readonly dir: string;
  /** Removes temp files older than olderThanMs (default tmpGraceMs), left by killed processes; returns how many. */
  cleanTemp(olderThanMs?: number): Promise<number>;
}

/** File name suffix of each stored encoding; the order is the read preference. */
const SUFFIXES: Record<StoredEncoding, string> = { raw: '', brotli: '.br' };
const ENCODINGS = Object.keys(SUFFIXES) as StoredEncoding[];
const OBJECT_NAME = /^([0-9a-f]{128})(\.br)?$/;
const BUCKET_NAME = /^[0-9a-f]{2}$/;

interface Located {
  encoding: StoredEncoding;
  path: string;
  header?: BlobHeader;
  info: BlobInfo;
}

/**
 * Filesystem blob store. Layout under dir:
 *   sha512/<hex[0..2]>/<hex[2..4]>/<hex>      raw: the bytes are the content
 *   sha512/<hex[0..2]>/<hex[2..4]>/<hex>.br   brotli: 16-byte header (see blob-header.ts) + payload
 *   tmp/<uuid>[.br]                           uploads in progress
 * An object is named by the sha512 of its content whatever its encoding. Normally one file per
 * object; two writers with different settings racing on new content may leave both encodings,
 * which are equivalent (reads prefer raw, list reports one, delete removes both).
 */
export function createFsBlobStore(options: FsBlobStoreOptions): FsBlobStore {
  const root = resolve(options.dir);
  const objectsDir = join(root, 'sha512');
  const tmpDir = join(root, 'tmp');
  const compress = (options.compression ?? 'none') === 'brotli';
  if (options.compression !== undefined && options.compression !== 'none' && options.compression !== 'brotli') {
    throw new Error(`unknown compression: ${String(options.compression)}`);
  }
  const tmpGraceMs = options.tmpGraceMs ?? 60 * 60 * 1000;
  let closed = false;
  let ready: Promise<void> | undefined;
  /** objectsDir was there once: from then on its absence is a fault, not an empty store */
  let reached = false;

  function assertOpen(): void {
    if (closed) throw appError('SERVICE_UNAVAILABLE', 'The blob store is closed.');
  }

  function ensureDirs(): Promise<void> {
    ready ??= io(
      Promise.all([mkdir(tmpDir, { recursive: true }), mkdir(objectsDir, { recursive: true })]).then(() => {
        reached = true;
      }),
    ).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  }

  /**
   * A lookup that finds nothing means "missing" only when the store itself is there: a CACHE_DIR
   * that vanished or was replaced (an unmounted volume) is a fault (503), never a 404.
   */
  async function assertReachable(): Promise<void> {
    try {
      if ((await stat(objectsDir)).isDirectory()) {
        reached = true;
        return;
      }
    } catch (error) {
      if (!isMissing(error)) throw storeError(error);
      if (!reached) return; // a store never seen yet (nothing written): simply empty
    }
    throw appError('SERVICE_UNAVAILABLE', 'The blob storage is not reachable.');
  }

  function objectPath(hex: string, encoding: StoredEncoding): string {
    return join(objectsDir, hex.slice(0, 2), hex.slice(2, 4), hex + SUFFIXES[encoding]);
  }

  async function fsyncDir(path: string): Promise<void> {
    if (process.platform === 'win32') return;
    const handle = await io(open(path, 'r'));
    try {
      await io(handle.sync());
    } finally {
      await handle.close();
    }
  }

  /** Refreshes the mtime of an existing file (so a GC grace period protects a re-put); false when missing. */
  async function touch(path: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(path, now, now);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw storeError(error);
    }
  }

  /** Makes the temp file the object unless one is there; true when it was created. */
  async function place(tempPath: string, hex: string, encoding: StoredEncoding): Promise<boolean> {
    const target = objectPath(hex, encoding);
    const leaf = dirname(target);
    const others = ENCODINGS.filter((e) => e !== encoding).map((e) => objectPath(hex, e));
    const createdDir = await io(mkdir(leaf, { recursive: true }));
    if (createdDir !== undefined) {
      // new buckets: their entries in their parents must be durable too
      for (let dir = dirname(leaf); dir.length >= root.length; dir = dirname(dir)) await fsyncDir(dir);
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      for (const other of others) if (await touch(other)) return false;
      try {
        await link(tempPath, target);
        await fsyncDir(leaf);
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
          // no hard links on this filesystem: rename (replacing identical content is harmless)
          const existed = await touch(target);
          await io(rename(tempPath, target));
          await fsyncDir(leaf);
          return !existed;
        }
        if (code !== 'EEXIST') throw storeError(error);
      }
      if (await touch(target)) return false;
      // deleted between link and touch (garbage collection): try again
    }
    throw appError('SERVICE_UNAVAILABLE', 'The blob storage is too busy; try again.');
  }

  async function readHeader(path: string): Promise<{ header: BlobHeader; storedSize: number; mtime: Date } | undefined> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw storeError(error);
    }
    try {
      const bytes = Buffer.alloc(BLOB_HEADER_SIZE);
      const { bytesRead } = await io(handle.read(bytes, 0, BLOB_HEADER_SIZE, 0));
      const header = decodeBlobHeader(bytes.subarray(0, bytesRead));
      if (header === undefined) throw corruptObject();
      const stats = await io(handle.stat());
      return { header, storedSize: stats.size, mtime: stats.mtime };
    } finally {
      await handle.close();
    }
  }

  async function statFile(hex: string, encoding: StoredEncoding): Promise<Located | undefined> {
    const path = objectPath(hex, encoding);
    const integrity = hexToIntegrity(hex);
    if (encoding === 'raw') {
      try {
        const stats = await stat(path);
        return { encoding, path, info: { integrity, size: stats.size, storedSize: stats.size, mtime: stats.mtime } };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw storeError(error);
      }
    }
    const read = await readHeader(path);
    if (read === undefined) return undefined;
    return {
      encoding,
      path,
      header: read.header,
      info: { integrity, size: read.header.size, storedSize: read.storedSize, mtime: read.mtime },
    };
  }

  async function locate(hex: string): Promise<Located | undefined> {
    for (const encoding of ENCODINGS) {
      const found = await statFile(hex, encoding);
      if (found !== undefined) return found;
    }
    await assertReachable();
    return undefined;
  }

  async function openContent(integrity: Integrity, range?: ByteRange): Promise<{ stream: Readable; size: number } | undefined> {
    assertOpen();
    const hex = digestHex(integrity);
    for (const encoding of ENCODINGS) {
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(objectPath(hex, encoding), 'r');
      } catch (error) {
        if (isMissing(error)) continue;
        throw storeError(error);
      }
      try {
        let size: number;
        let headerLength = 0;
        if (encoding === 'raw') {
          size = (await io(handle.stat())).size;
        } else {
          const bytes = Buffer.alloc(BLOB_HEADER_SIZE);
          const { bytesRead } = await io(handle.read(bytes, 0, BLOB_HEADER_SIZE, 0));
          const header = decodeBlobHeader(bytes.subarray(0, bytesRead));
          if (header === undefined) throw corruptObject();
          size = header.size;
          headerLength = header.headerLength;
        }
        const wanted = resolveRange(range, size);
        const length = wanted.end - wanted.start + 1;
        if (length === 0) {
          await handle.close();
          return { stream: Readable.from([], { objectMode: false }), size: 0 };
        }
        if (encoding === 'raw') {
          // the stream owns the handle from here (closes it at end or on destroy)
          return { stream: handle.createReadStream({ start: wanted.start, end: wanted.end }), size: length };
        }
        const decoded = pipeline(handle.createReadStream({ start: headerLength }), createBrotliDecompress(), () => {});
        return { stream: Readable.from(sliceBytes(decoded, wanted), { objectMode: false }), size: length };
      } catch (error) {
        await handle.close();
        throw error;
      }
    }
    await assertReachable();
    return undefined;
  }

  const store: FsBlobStore = {
    dir: root,

    async put(source, putOptions: PutOptions = {}): Promise<PutResult> {
      assertOpen();
      const expectedHex = putOptions.expected === undefined ? undefined : digestHex(putOptions.expected);
      await ensureDirs();
      const temp = await writeTempObject(source, { tmpDir, compress, maxBytes: putOptions.maxBytes });
      try {
        const integrity = hexToIntegrity(temp.hex);
        if (expectedHex !== undefined && expectedHex !== temp.hex) {
          throw appError('INTEGRITY_MISMATCH', undefined, { details: { expected: putOptions.expected, actual: integrity } });
        }
        const created = await place(temp.path, temp.hex, temp.encoding);
        return { integrity, size: temp.size, created };
      } finally {
        await rm(temp.path, { force: true }).catch(() => {});
      }
    },

    putBytes(bytes, putOptions) {
      const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      return store.put(Readable.from([buffer], { objectMode: false }), putOptions);
    },

    async stat(integrity) {
      assertOpen();
      return (await locate(digestHex(integrity)))?.info;
    },

    get: openContent,

    async getBytes(integrity) {
      const content = await openContent(integrity);
      if (content === undefined) return undefined;
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of content.stream) chunks.push(chunk as Buffer);
      } catch (error) {
        throw storeError(error);
      }
      return Buffer.concat(chunks);
    },

    async delete(integrity) {
      assertOpen();
      const hex = digestHex(integrity);
      let deleted = false;
      for (const encoding of ENCODINGS) {
        try {
          await unlink(objectPath(hex, encoding));
          deleted = true;
        } catch (error) {
          if (!isMissing(error)) throw storeError(error);
        }
      }
      return deleted;
    },

    async *list() {
      assertOpen();
      for (const first of await readdirSorted(objectsDir)) {
        if (!BUCKET_NAME.test(first)) continue;
        for (const second of await readdirSorted(join(objectsDir, first))) {
          if (!BUCKET_NAME.test(second)) continue;
          let previous: string | undefined;
          for (const name of await readdirSorted(join(objectsDir, first, second))) {
            const match = OBJECT_NAME.exec(name);
            const hex = match?.[1];
            if (hex === undefined || hex === previous) continue; // `<hex>` sorts before `<hex>.br`
            let found: Located | undefined;
            try {
              found = await statFile(hex, match?.[2] === undefined ? 'raw' : 'brotli');
            } catch (error) {
              if (isAppError(error) && error.code === 'INTERNAL') continue; // unreadable header: verify() reports it
              throw error;
            }
            if (found === undefined) continue; // deleted meanwhile
            previous = hex;
            yield found.info;
          }
        }
      }
    },

    async verify(integrity) {
      let content: { stream: Readable; size: number } | undefined;
      try {
        content = await openContent(integrity);
      } catch (error) {
        if (isAppError(error) && error.code === 'INTERNAL') return false;
        throw error;
      }
      if (content === undefined) return false;
      const hash = createHash('sha512');
      try {
        for await (const chunk of content.stream) hash.update(chunk as Buffer);
      } catch (error) {
        if (isAppError(error) && error.code === 'INTERNAL') return false;
        if (hasErrnoCode(error)) throw storeError(error);
        return false; // undecodable payload
      }
      return hexToIntegrity(hash.digest('hex')) === integrity;
    },

    async check() {
      assertOpen();
      try {
        await ensureDirs();
        const probe = join(tmpDir, `check-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
        await writeFile(probe, 'ok', { flag: 'wx' });
        const back = await readFile(probe, 'utf8');
        await unlink(probe);
        await readdir(objectsDir);
        if (back !== 'ok') throw new Error('probe read back differs');
      } catch (error) {
        throw appError('SERVICE_UNAVAILABLE', 'The blob storage is not usable.', { cause: error });
      }
    },

    async cleanTemp(olderThanMs = tmpGraceMs) {
      assertOpen();
      const cutoff = Date.now() - olderThanMs;
      let removed = 0;
      for (const name of await readdirSorted(tmpDir)) {
        const path = join(tmpDir, name);
        try {
          if ((await stat(path)).mtimeMs >= cutoff) continue;
          await rm(path, { force: true, recursive: true });
          removed++;
        } catch (error) {
          if (!isMissing(error)) throw storeError(error);
        }
      }
      return removed;
    },

    async close() {
      closed = true;
    },
  };
  return store;
}

async function readdirSorted(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if (isMissing(error)) return [];
    throw storeError(error);
  }
}
