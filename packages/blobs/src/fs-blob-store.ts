import { constants as bufferConstants } from 'node:buffer';
import { rmdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { appError, hexToIntegrity, type Integrity, isAppError } from '@entropic/types';
import type { BlobContent, BlobStore, ByteRange, GetOptions, PutOptions, PutResult } from './blob-store.ts';
import { cleanTemp } from './clean-temp.ts';
import { digestHex } from './digest-hex.ts';
import { listObjects } from './list-objects.ts';
import { ENCODINGS, objectLayout, objectPath } from './object-layout.ts';
import { placeObject } from './place-object.ts';
import { readObject } from './read-object.ts';
import { createStoreDirs } from './store-dirs.ts';
import { isMissing, storeError } from './store-error.ts';
import { findStoredObject } from './stored-object.ts';
import { createSyncJournal } from './sync-journal.ts';
import { syncObjects } from './sync-objects.ts';
import { createUnsyncedObjects } from './unsynced-objects.ts';
import { verifyObject } from './verify-object.ts';
import { writeTempObject } from './write-temp-object.ts';

export interface FsBlobStoreOptions {
  /** root directory; created on first use */
  dir: string;
  /** how new objects are stored (default 'none'); objects stored either way are always readable */
  compression?: 'none' | 'brotli';
  /** temp files untouched for longer than this are removed by cleanTemp() (default 1 hour) */
  tmpGraceMs?: number;
  /**
   * deferSync puts of objects up to this size keep their content so that sync() journals them
   * (sync-journal.ts) instead of fsyncing every file (default 1 MiB; 0: never)
   */
  journalObjectBytes?: number;
  /** how long after a journaled sync its objects are fsynced and the journal removed (default 1 s) */
  checkpointDelayMs?: number;
}

export interface FsBlobStore extends BlobStore {
  readonly dir: string;
  /** Removes temp files older than olderThanMs (default tmpGraceMs), left by killed processes; returns how many. */
  cleanTemp(olderThanMs?: number): Promise<number>;
}

const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/**
 * Filesystem blob store (layout: object-layout.ts). An object is named by the sha512 of its
 * content whatever its encoding. Normally one file per object; two writers with different
 * settings racing on new content may leave both encodings, which are equivalent (reads prefer
 * raw, list reports one, delete removes both). This assembles the parts: temp writes
 * (write-temp-object.ts), placing and syncing (place-object.ts, sync-objects.ts), reads
 * (read-object.ts, stored-object.ts), listing (list-objects.ts) and temp cleanup (clean-temp.ts).
 */
export function createFsBlobStore(options: FsBlobStoreOptions): FsBlobStore {
  if (options.compression !== undefined && options.compression !== 'none' && options.compression !== 'brotli') {
    throw new Error(`unknown compression: ${String(options.compression)}`);
  }
  const layout = objectLayout(options.dir);
  const compress = options.compression === 'brotli';
  const tmpGraceMs = options.tmpGraceMs ?? 60 * 60 * 1000;
  const dirs = createStoreDirs(layout);
  const unsynced = createUnsyncedObjects();
  const buckets = new Set<string>();
  const journal = createSyncJournal(layout.root, { checkpointDelayMs: options.checkpointDelayMs });
  const journalObjectBytes = options.journalObjectBytes ?? 1024 * 1024;
  let closed = false;

  function assertOpen(): void {
    if (closed) throw appError('SERVICE_UNAVAILABLE', 'The blob store is closed.');
  }

  async function openContent(integrity: Integrity, range?: ByteRange, options?: GetOptions): Promise<BlobContent | undefined> {
    assertOpen();
    const content = await readObject(layout, digestHex(integrity), range, options?.maxInlineBytes ?? -1);
    if (content === undefined) await dirs.assertReachable();
    return content;
  }

  const store: FsBlobStore = {
    dir: layout.root,

    async put(source, putOptions: PutOptions = {}): Promise<PutResult> {
      assertOpen();
      const expectedHex = putOptions.expected === undefined ? undefined : digestHex(putOptions.expected);
      await dirs.ensure();
      const deferred = putOptions.deferSync === true;
      const temp = await writeTempObject(source, {
        tmpDir: layout.tmpDir,
        compress,
        maxBytes: putOptions.maxBytes,
        sync: !deferred,
        ...(deferred && journalObjectBytes > 0 ? { keepContentUpTo: journalObjectBytes } : {}),
      });
      try {
        const integrity = hexToIntegrity(temp.hex);
        if (expectedHex !== undefined && expectedHex !== temp.hex) {
          throw appError('INTEGRITY_MISMATCH', undefined, { details: { expected: putOptions.expected, actual: integrity } });
        }
        const { hex, encoding, size } = temp;
        const created = await placeObject({
          layout,
          unsynced,
          tempPath: temp.path,
          hex,
          encoding,
          size,
          deferred,
          content: temp.content,
          buckets,
        });
        return { integrity, size, created };
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
      const found = await findStoredObject(layout, digestHex(integrity));
      if (found === undefined) await dirs.assertReachable();
      return found?.info;
    },

    get: openContent as BlobStore['get'],

    async sync(integrities) {
      assertOpen();
      await syncObjects(layout, unsynced, journal, integrities);
    },

    async getBytes(integrity) {
      const content = await openContent(integrity, undefined, { maxInlineBytes: MAX_LENGTH });
      return content === undefined ? undefined : contentBytes(content);
    },

    async delete(integrity) {
      assertOpen();
      const hex = digestHex(integrity);
      let deleted = false;
      for (const encoding of ENCODINGS) {
        try {
          await unlink(objectPath(layout, hex, encoding));
          deleted = true;
        } catch (error) {
          if (!isMissing(error)) throw storeError(error);
        }
      }
      if (deleted) await removeEmptyBuckets(dirname(objectPath(layout, hex, 'raw')));
      return deleted;
    },

    async *list() {
      assertOpen();
      yield* listObjects(layout);
    },

    verify: (integrity) => verifyObject(store, integrity),

    async check() {
      assertOpen();
      await dirs.probe();
    },

    async cleanTemp(olderThanMs = tmpGraceMs) {
      assertOpen();
      return cleanTemp(layout.tmpDir, olderThanMs);
    },

    async close() {
      closed = true;
      await journal.flush();
    },
  };
  return withRecovery(store, async () => {
    // A journal left by a crashed writer: every object in it is made whole and durable again.
    await journal.recover(async (hex, content) => {
      const integrity = hexToIntegrity(hex);
      if (!(await verifyObject(store, integrity))) {
        await store.delete(integrity);
        await store.put(Readable.from([content]), { expected: integrity });
      } else {
        await syncObjects(layout, createUnsyncedObjects(), journal, [integrity]);
      }
    });
  });
}

/** The store, every operation of which first waits for `recover` (run once, on first use; again after a failure). */
function withRecovery(store: FsBlobStore, recover: () => Promise<void>): FsBlobStore {
  let recovered: Promise<void> | undefined;
  const ready = () => {
    recovered ??= recover().catch((error: unknown) => {
      recovered = undefined;
      throw isAppError(error) ? error : storeError(error);
    });
    return recovered;
  };
  const gated: FsBlobStore = {
    dir: store.dir,
    put: async (source, options) => {
      await ready();
      return store.put(source, options);
    },
    putBytes: async (bytes, options) => {
      await ready();
      return store.putBytes(bytes, options);
    },
    stat: async (integrity) => {
      await ready();
      return store.stat(integrity);
    },
    get: (async (integrity: Integrity, range?: ByteRange, options?: GetOptions) => {
      await ready();
      return store.get(integrity, range, options as GetOptions);
    }) as BlobStore['get'],
    getBytes: async (integrity) => {
      await ready();
      return store.getBytes(integrity);
    },
    sync: async (integrities) => {
      await ready();
      return store.sync(integrities);
    },
    delete: async (integrity) => {
      await ready();
      return store.delete(integrity);
    },
    async *list() {
      await ready();
      yield* store.list();
    },
    verify: async (integrity) => {
      await ready();
      return store.verify(integrity);
    },
    check: async () => {
      await ready();
      return store.check();
    },
    cleanTemp: async (olderThanMs) => {
      await ready();
      return store.cleanTemp(olderThanMs);
    },
    close: () => store.close(),
  };
  return gated;
}

async function contentBytes(content: BlobContent): Promise<Buffer> {
  if (content.bytes !== undefined) return content.bytes;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of content.stream) chunks.push(chunk as Buffer);
  } catch (error) {
    throw storeError(error);
  }
  return Buffer.concat(chunks);
}

/**
 * Removes a fan-out bucket (`sha512/xx/yy`) and its parent when a delete left them empty: each is
 * a disk block, and a packed store (which deletes every raw object it packs) would otherwise keep
 * thousands of empty ones. rmdir only removes an empty directory, so an object placed meanwhile
 * keeps its bucket; a put whose bucket is removed between its mkdir and its link makes it again
 * (placeObject).
 */
async function removeEmptyBuckets(leaf: string): Promise<void> {
  for (const dir of [leaf, dirname(leaf)]) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (ENOTEMPTY/EEXIST), gone already, or not ours to remove: leave it
    }
  }
}
