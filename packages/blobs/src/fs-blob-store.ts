import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { close, createReadStream, open as fsOpen, fstat, read } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { createBrotliDecompress } from 'node:zlib';
import { appError, hexToIntegrity, type Integrity, isAppError } from '@entropic/types';
import { BLOB_HEADER_SIZE, type BlobHeader, decodeBlobHeader, type StoredEncoding } from './blob-header.ts';
import type { BlobContent, BlobInfo, BlobStore, ByteRange, GetOptions, PutOptions, PutResult } from './blob-store.ts';
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
const MAX_LENGTH = bufferConstants.MAX_LENGTH;
const OBJECT_NAME = /^([0-9a-f]{128})(\.br)?$/;
const BUCKET_NAME = /^[0-9a-f]{2}$/;

/** Paths to fsync before an object put with deferSync is durable. */
interface Unsynced {
  files: readonly string[];
  dirs: readonly string[];
}
/** Bound on remembered unsynced objects (puts never synced: failed publishes); older ones fall back to a full sync. */
const MAX_UNSYNCED = 4096;

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
  /** hex → what a deferSync put left to fsync; entries are replaced, never mutated */
  const unsynced = new Map<string, Unsynced>();

  function noteUnsynced(hex: string, file: string, dirs: readonly string[]): void {
    const before = unsynced.get(hex);
    unsynced.delete(hex); // re-inserted last: the oldest entry is the first evicted
    unsynced.set(hex, {
      files: [...new Set([...(before?.files ?? []), file])],
      dirs: [...new Set([...(before?.dirs ?? []), ...dirs])],
    });
    if (unsynced.size > MAX_UNSYNCED) unsynced.delete(unsynced.keys().next().value as string);
  }

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
    await fsyncPath(path);
  }

  async function fsyncPath(path: string): Promise<void> {
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

  /** The directories from the leaf's parent up to the root (whose entries a new bucket adds). */
  function parentsOf(leaf: string): string[] {
    const dirs: string[] = [];
    for (let dir = dirname(leaf); dir.length >= root.length; dir = dirname(dir)) dirs.push(dir);
    return dirs;
  }

  /**
   * With deferSync, an existing object may be one a killed process placed but never synced (and a
   * machine crash then left short): one whose content size is not `size` is removed and replaced.
   */
  async function isComplete(path: string, encoding: StoredEncoding, size: number): Promise<boolean> {
    try {
      if (encoding === 'raw') return (await stat(path)).size === size;
      return (await readHeader(path))?.header.size === size;
    } catch (error) {
      if (isAppError(error) && error.code === 'INTERNAL') return false; // unreadable header
      if (isMissing(error)) return true; // gone meanwhile: the next attempt places ours
      throw storeError(error);
    }
  }

  /**
   * Makes the temp file the object unless one is there; true when it was created. With deferred,
   * nothing is fsynced: what must be is remembered for sync().
   */
  async function place(tempPath: string, hex: string, encoding: StoredEncoding, size: number, deferred: boolean): Promise<boolean> {
    const target = objectPath(hex, encoding);
    const leaf = dirname(target);
    const createdDir = await io(mkdir(leaf, { recursive: true }));
    // new buckets: their entries in their parents must be durable too
    const newDirs = createdDir === undefined ? [] : parentsOf(leaf);
    if (!deferred) for (const dir of newDirs) await fsyncDir(dir);
    const existing = async (path: string, pathEncoding: StoredEncoding): Promise<boolean> => {
      if (!(await touch(path))) return false;
      if (!deferred) return true;
      if (!(await isComplete(path, pathEncoding, size))) {
        await rm(path, { force: true }).catch((error: unknown) => {
          throw storeError(error);
        });
        return false;
      }
      // possibly placed by another process that has not synced it yet
      noteUnsynced(hex, path, [leaf, ...newDirs]);
      return true;
    };
    const placed = async (): Promise<void> => {
      if (deferred) noteUnsynced(hex, target, [leaf, ...newDirs]);
      else await fsyncDir(leaf);
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      for (const other of ENCODINGS.filter((e) => e !== encoding)) if (await existing(objectPath(hex, other), other)) return false;
      try {
        await link(tempPath, target);
        await placed();
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
          // no hard links on this filesystem: rename (replacing identical content is harmless)
          const existed = await touch(target);
          await io(rename(tempPath, target));
          await placed();
          return !existed;
        }
        if (code !== 'EEXIST') throw storeError(error);
      }
      if (await existing(target, encoding)) return false;
      // deleted between link and touch (garbage collection), or incomplete and removed: try again
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

  /**
   * A raw object through plain descriptors (FileHandle costs ~3× the CPU per small read): one
   * open, one fstat, then one read into a buffer (small content with maxInline) or a stream that
   * owns the descriptor. undefined when there is no raw file.
   */
  async function openRaw(path: string, range: ByteRange | undefined, maxInline: number): Promise<BlobContent | undefined> {
    const fd = await fdOpen(path);
    if (fd === undefined) return undefined;
    let owned = false;
    try {
      const wanted = resolveRange(range, await fdSize(fd));
      const length = wanted.end - wanted.start + 1;
      if (length === 0) {
        return maxInline >= 0 ? { bytes: Buffer.alloc(0), size: 0 } : { stream: Readable.from([], { objectMode: false }), size: 0 };
      }
      if (length <= maxInline) {
        const bytes = Buffer.allocUnsafe(length);
        let filled = 0;
        while (filled < length) {
          const read = await fdRead(fd, bytes, filled, length - filled, wanted.start + filled);
          if (read === 0) break; // shorter than it was a moment ago: answer what is there
          filled += read;
        }
        return { bytes: filled === length ? bytes : bytes.subarray(0, filled), size: filled };
      }
      owned = true; // the stream closes the descriptor at its end or when destroyed
      return { stream: createReadStream(path, { fd, start: wanted.start, end: wanted.end }), size: length };
    } finally {
      if (!owned) fdClose(fd);
    }
  }

  async function openContent(integrity: Integrity, range?: ByteRange, options?: GetOptions): Promise<BlobContent | undefined> {
    assertOpen();
    const maxInline = options?.maxInlineBytes ?? -1;
    const hex = digestHex(integrity);
    const raw = await openRaw(objectPath(hex, 'raw'), range, maxInline);
    if (raw !== undefined) return raw;
    for (const encoding of ENCODINGS) {
      if (encoding === 'raw') continue;
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(objectPath(hex, encoding), 'r');
      } catch (error) {
        if (isMissing(error)) continue;
        throw storeError(error);
      }
      try {
        const bytes = Buffer.alloc(BLOB_HEADER_SIZE);
        const { bytesRead } = await io(handle.read(bytes, 0, BLOB_HEADER_SIZE, 0));
        const header = decodeBlobHeader(bytes.subarray(0, bytesRead));
        if (header === undefined) throw corruptObject();
        const wanted = resolveRange(range, header.size);
        const length = wanted.end - wanted.start + 1;
        if (length === 0) {
          await handle.close();
          return maxInline >= 0 ? { bytes: Buffer.alloc(0), size: 0 } : { stream: Readable.from([], { objectMode: false }), size: 0 };
        }
        const decoded = pipeline(handle.createReadStream({ start: header.headerLength }), createBrotliDecompress(), () => {});
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
      const deferred = putOptions.deferSync === true;
      const temp = await writeTempObject(source, { tmpDir, compress, maxBytes: putOptions.maxBytes, sync: !deferred });
      try {
        const integrity = hexToIntegrity(temp.hex);
        if (expectedHex !== undefined && expectedHex !== temp.hex) {
          throw appError('INTEGRITY_MISMATCH', undefined, { details: { expected: putOptions.expected, actual: integrity } });
        }
        const created = await place(temp.path, temp.hex, temp.encoding, temp.size, deferred);
        return { integrity, size: temp.size, created };
      } finally {
        await unlink(temp.path).catch(() => {}); // one syscall (rm would lstat first)
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

    get: openContent as BlobStore['get'],

    async sync(integrities) {
      assertOpen();
      const files = new Set<string>();
      const dirs = new Set<string>();
      const taken = new Map<string, Unsynced | undefined>();
      for (const integrity of integrities) {
        const hex = digestHex(integrity);
        if (taken.has(hex)) continue;
        const entry = unsynced.get(hex);
        taken.set(hex, entry);
        if (entry !== undefined) {
          for (const file of entry.files) files.add(file);
          for (const dir of entry.dirs) dirs.add(dir);
          continue;
        }
        // Nothing remembered: durable already, or forgotten (evicted): sync whatever is stored.
        for (const encoding of ENCODINGS) {
          const path = objectPath(hex, encoding);
          if (!(await touch(path))) continue;
          files.add(path);
          for (const dir of [dirname(path), ...parentsOf(dirname(path))]) dirs.add(dir);
        }
      }
      if (files.size === 0) return;
      await Promise.all([...files].map((file) => fsyncPath(file)));
      if (process.platform !== 'win32') await Promise.all([...dirs].map((dir) => fsyncPath(dir)));
      for (const [hex, entry] of taken) if (entry !== undefined && unsynced.get(hex) === entry) unsynced.delete(hex);
    },

    async getBytes(integrity) {
      const content = await openContent(integrity, undefined, { maxInlineBytes: MAX_LENGTH });
      if (content === undefined) return undefined;
      if (content.bytes !== undefined) return content.bytes;
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
        content = await store.get(integrity);
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

function fdOpen(path: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    fsOpen(path, 'r', (error, fd) => {
      if (error === null) resolve(fd);
      else if (isMissing(error)) resolve(undefined);
      else reject(storeError(error));
    });
  });
}

function fdSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fstat(fd, (error, stats) => (error === null ? resolve(stats.size) : reject(storeError(error))));
  });
}

function fdRead(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, offset, length, position, (error, bytesRead) => (error === null ? resolve(bytesRead) : reject(storeError(error))));
  });
}

function fdClose(fd: number): void {
  close(fd, () => {});
}
