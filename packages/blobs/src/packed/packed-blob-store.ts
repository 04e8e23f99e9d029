import { Readable } from 'node:stream';
import { hexToIntegrity, type Integrity, isAppError } from '@entropic/types';
import type { BlobContent, BlobInfo, BlobStore, ByteRange, GetOptions, PutOptions, PutResult } from '../blob-store.ts';
import { digestHex } from '../digest-hex.ts';
import { verifyObject } from '../verify-object.ts';
import { DecodedCache } from './decoded-cache.ts';
import { type PackEntry, PackIndex } from './pack-index.ts';
import { createFilePackLog, leaseHolder, type PackLease, type PackLog } from './pack-log.ts';
import { PackedReader, WHOLE_DECODE_BYTES } from './packed-reader.ts';
import { compactSegments, Repacker, type RepackOptions, type RepackReport } from './repacker.ts';
import { hasTable, parseSegmentTable, SEGMENT_MAGIC, TABLE_OFFSET } from './segment.ts';

export type PackedBlobStoreOptions = PackedBlobStoreTuning &
  (
    | {
        /** the pack index as a local file log in this directory (one node: CACHE_DIR/packs by default) */
        indexDir: string;
      }
    | {
        /** the pack index in a shared log (the database's, for several instances sharing a bucket) */
        log: PackLog;
        /**
         * the index this store had before (a local log): while `log` is empty, its lines are copied
         * into it first (an S3 store packed by one node with a local index, moving to the database)
         */
        importFrom?: PackLog;
      }
  );

interface PackedBlobStoreTuning {
  /** how long the pack lease lasts without renewal (default 60 s): a packer that dies frees it after this */
  leaseMs?: number;
  /** a segment is written once its encoded objects reach this many bytes (default 8 MiB) */
  segmentBytes?: number;
  /** bytes of decoded objects kept in memory (default 32 MiB; 0: none) */
  cacheBytes?: number;
}

export interface StorageReport {
  /** objects readable by their address */
  objects: number;
  packedObjects: number;
  rawObjects: number;
  /** bytes of content of every object */
  contentBytes: number;
  /** bytes the inner store holds for them: segments (including deleted objects not yet compacted) and raw objects */
  storedBytes: number;
  segments: number;
  /** packed objects by how they are encoded: count, content bytes and stored (payload) bytes */
  byCodec: Record<string, { objects: number; contentBytes: number; storedBytes: number }>;
}

/** The representation layer's own operations (admin repack, gc, storage). */
export interface BlobPacking {
  repack(options?: RepackOptions): Promise<RepackReport>;
  /** Rewrites segments that are mostly deleted objects; returns how many and the bytes freed. */
  compact(): Promise<{ segmentsRewritten: number; freedBytes: number; busy?: true }>;
  report(): Promise<StorageReport>;
  /**
   * Adds to the index every segment of the inner store it does not know (a lost or damaged index
   * is rebuilt from the segments' own tables): how many segments and objects were found.
   */
  rebuildIndex(): Promise<{ segments: number; objects: number; busy?: true }>;
}

export interface PackedBlobStore extends BlobStore {
  readonly inner: BlobStore;
  readonly packing: BlobPacking;
}

/**
 * Packed storage over any blob store (docs/decisions/packed-storage.md): puts go to the inner store
 * raw, as before; `packing.repack()` moves raw objects into compressed, delta-encoded segments, which
 * reads decode. Addresses never change; every read returns the exact content.
 */
export function createPackedBlobStore(inner: BlobStore, options: PackedBlobStoreOptions): PackedBlobStore {
  const log = 'log' in options ? options.log : createFilePackLog(options.indexDir);
  const index = new PackIndex(log, (segment, tableLength) => readSegmentTable(inner, segment, tableLength));
  const cache = new DecodedCache(options.cacheBytes ?? 32 * 1024 * 1024, WHOLE_DECODE_BYTES);
  const reader = new PackedReader(inner, index, cache);
  const segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
  let loaded: Promise<void> | undefined;

  async function ready(): Promise<void> {
    const from = 'importFrom' in options ? options.importFrom : undefined;
    loaded ??= loadIndex(index, from, options.leaseMs ?? 60_000).catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    await loaded;
  }

  /** The live entry, re-reading the log's tail once on a miss (another process may have packed it). */
  async function entryOf(hex: string, refresh: boolean): Promise<PackEntry | undefined> {
    await ready();
    const entry = index.live.get(hex);
    if (entry !== undefined || !refresh) return entry;
    await index.load();
    return index.live.get(hex);
  }

  function infoOf(entry: PackEntry): BlobInfo {
    return {
      integrity: hexToIntegrity(entry.hex),
      size: entry.size,
      storedSize: entry.stored ?? entry.length,
      mtime: new Date(entry.packedAt),
    };
  }

  async function get(integrity: Integrity, range?: ByteRange, getOptions?: GetOptions): Promise<BlobContent | undefined> {
    const hex = digestHex(integrity);
    const entry = await entryOf(hex, false);
    const readPacked = (found: PackEntry) => withRetry(index, hex, found, (at) => reader.read(at, range, getOptions?.maxInlineBytes ?? -1));
    if (entry !== undefined) return readPacked(entry);
    const raw = getOptions === undefined ? await inner.get(integrity, range) : await inner.get(integrity, range, getOptions);
    if (raw !== undefined) return raw;
    const packed = await entryOf(hex, true);
    return packed === undefined ? undefined : readPacked(packed);
  }

  const packing = createPacking({ inner, index, reader, segmentBytes, ready, leaseMs: options.leaseMs ?? 60_000 });

  const store: PackedBlobStore = {
    inner,
    packing,

    async put(source, putOptions?: PutOptions): Promise<PutResult> {
      const result = await inner.put(source, putOptions);
      const hex = digestHex(result.integrity);
      if ((await entryOf(hex, false)) === undefined) return result;
      // already packed: the raw copy just written is redundant
      if (result.created) await inner.delete(result.integrity);
      return { ...result, created: false };
    },

    putBytes(bytes, putOptions) {
      const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      return store.put(Readable.from([buffer], { objectMode: false }), putOptions);
    },

    async stat(integrity) {
      const hex = digestHex(integrity);
      const entry = await entryOf(hex, false);
      if (entry !== undefined) return infoOf(entry);
      const info = await inner.stat(integrity);
      if (info !== undefined) return info;
      const packed = await entryOf(hex, true);
      return packed === undefined ? undefined : infoOf(packed);
    },

    get: get as BlobStore['get'],

    async getBytes(integrity) {
      const content = await get(integrity, undefined, { maxInlineBytes: Number.MAX_SAFE_INTEGER });
      if (content === undefined) return undefined;
      return content.bytes ?? Buffer.concat(await content.stream.toArray());
    },

    async sync(integrities) {
      await ready();
      const raw = [...integrities].filter((integrity) => !index.live.has(digestHex(integrity)));
      await inner.sync(raw);
    },

    async delete(integrity) {
      const hex = digestHex(integrity);
      const entry = await entryOf(hex, true);
      if (entry !== undefined) {
        await index.append({ del: [hex] });
        cache.delete(hex);
      } else if (!index.segments.has(hex) && (await adoptSegment(inner, index, hex))) {
        return false; // a segment the index did not know (a lost index, a killed repack): indexed, not deleted
      }
      const raw = await inner.delete(integrity);
      return entry !== undefined || raw;
    },

    async *list() {
      await ready();
      await index.load();
      const live = [...index.live.values()];
      for (const entry of live) yield infoOf(entry);
      const listed = new Set(live.map((entry) => entry.hex));
      for await (const info of inner.list()) {
        const hex = digestHex(info.integrity);
        if (!listed.has(hex) && !index.segments.has(hex)) yield info;
      }
    },

    async verify(integrity) {
      const entry = await entryOf(digestHex(integrity), true);
      if (entry === undefined || (entry.codec !== 'dbr' && entry.size > WHOLE_DECODE_BYTES)) return verifyObject(store, integrity);
      try {
        // decodes the stored form itself, not a cached copy
        await withRetry(index, entry.hex, entry, (at) => reader.contentOf(at, 0, true));
        return true;
      } catch (error) {
        if (isAppError(error) && error.code === 'INTERNAL') return false;
        throw error;
      }
    },

    async check() {
      await ready();
      await inner.check();
    },

    async close() {
      await packing.idle();
      await log.close();
      await inner.close();
    },
  };
  if (inner.cleanTemp) store.cleanTemp = inner.cleanTemp.bind(inner);
  return store;
}

/** Copies an earlier index's lines into the empty log, under the pack lease (one process does it). */
async function loadIndex(index: PackIndex, importFrom: PackLog | undefined, leaseMs: number): Promise<void> {
  await index.load();
  if (importFrom !== undefined && index.position === 0) await importIndex(index, importFrom, leaseMs);
}

async function importIndex(index: PackIndex, from: PackLog, leaseMs: number): Promise<void> {
  const log = index.log;
  const lines = await from.read(0);
  if (lines.length === 0) return;
  const lease: PackLease = { name: 'pack', holder: leaseHolder() };
  if (!(await log.acquire(lease, leaseMs))) return; // another process packs (or imports) now
  try {
    await index.load();
    if (index.position !== 0) return;
    for (const { line } of lines) await log.append(line, lease);
    await index.load();
  } finally {
    await log.release(lease);
  }
}

/**
 * Runs a read of a packed object; when it fails as corrupt and the index has changed since (another
 * process compacted its segment away, or moved its base), runs it again on the new entry. A reader
 * with a stale view retries; it never sees an object that is being moved as missing or corrupt.
 */
async function withRetry<T>(index: PackIndex, hex: string, first: PackEntry, read: (entry: PackEntry) => Promise<T>): Promise<T> {
  let entry = first;
  for (let attempt = 0; ; attempt++) {
    try {
      return await read(entry);
    } catch (error) {
      if (!isAppError(error) || error.code !== 'INTERNAL' || attempt >= 3) throw error;
      const before = index.position;
      await index.load();
      const fresh = index.live.get(hex);
      if (index.position === before || fresh === undefined) throw error;
      entry = fresh;
    }
  }
}

interface PackingParts {
  inner: BlobStore;
  index: PackIndex;
  reader: PackedReader;
  segmentBytes: number;
  ready: () => Promise<void>;
  leaseMs: number;
}

/**
 * repack, compact, rebuild and report. One repack or compaction at a time in this process, and,
 * through the log's lease, in every process sharing the index: the others skip (busy) meanwhile.
 * The lease is renewed while the work runs; every line the work appends is fenced by it, so a
 * holder that stalled past its expiry (another took over) appends nothing more.
 */
function createPacking(parts: PackingParts): BlobPacking & { idle(): Promise<void> } {
  const { inner, index, reader, segmentBytes, ready, leaseMs } = parts;
  const lease: PackLease = { name: 'pack', holder: leaseHolder() };
  let exclusive: Promise<unknown> = Promise.resolve();
  /** Runs the task one at a time in this process, holding the lease; undefined when another process holds it. */
  function leased<T>(task: () => Promise<T>): Promise<T | undefined> {
    const run = exclusive.then(async () => {
      await ready();
      if (!(await index.log.acquire(lease, leaseMs))) return undefined;
      let renewing: Promise<unknown> = Promise.resolve();
      const renewal = setInterval(
        () => {
          renewing = index.log.acquire(lease, leaseMs).catch(() => false);
        },
        Math.max(100, leaseMs / 3),
      );
      try {
        await index.load();
        return await task();
      } finally {
        clearInterval(renewal);
        await renewing; // a renewal still in flight would take the lease again after its release
        await index.log.release(lease).catch(() => {});
      }
    });
    exclusive = run.catch(() => {});
    return run;
  }

  return {
    idle: () => exclusive.then(() => {}),
    repack: async (repackOptions = {}) => {
      const report = await leased(async () => {
        const repacker = new Repacker(inner, index, reader, segmentBytes, Date.now() - (repackOptions.olderThanMs ?? 0), lease);
        const limit = repackOptions.limit ?? Number.POSITIVE_INFINITY;
        for await (const candidate of repackOptions.candidates ?? []) {
          if (repacker.report.packed >= limit) break;
          await repacker.add(candidate.integrity, candidate.base);
        }
        for await (const info of inner.list()) {
          if (repacker.report.packed >= limit) break;
          await repacker.add(info.integrity);
        }
        await repacker.flush();
        return repacker.report;
      });
      return report ?? { packed: 0, deltas: 0, contentBytes: 0, storedBytes: 0, segments: 0, rawRemoved: 0, busy: true };
    },
    compact: async () => (await leased(() => compactSegments(inner, index, lease))) ?? { segmentsRewritten: 0, freedBytes: 0, busy: true },
    rebuildIndex: async () =>
      (await leased(async () => {
        const found = { segments: 0, objects: 0 };
        for await (const info of inner.list()) {
          const hex = digestHex(info.integrity);
          if (index.segments.has(hex) || index.live.has(hex)) continue;
          const objects = await adoptSegment(inner, index, hex);
          if (objects === undefined) continue;
          found.segments += 1;
          found.objects += objects;
        }
        return found;
      })) ?? { segments: 0, objects: 0, busy: true },
    async report() {
      await ready();
      await index.load();
      const report: StorageReport = {
        objects: 0,
        packedObjects: index.live.size,
        rawObjects: 0,
        contentBytes: 0,
        storedBytes: 0,
        segments: 0,
        byCodec: {},
      };
      for (const entry of index.live.values()) {
        report.contentBytes += entry.size;
        const codec = report.byCodec[entry.codec] ?? { objects: 0, contentBytes: 0, storedBytes: 0 };
        report.byCodec[entry.codec] = codec;
        codec.objects += 1;
        codec.contentBytes += entry.size;
        codec.storedBytes += entry.stored ?? entry.length;
      }
      for await (const info of inner.list()) {
        const hex = digestHex(info.integrity);
        if (index.segments.has(hex)) {
          report.segments += 1;
          report.storedBytes += info.storedSize;
        } else if (!index.live.has(hex)) {
          report.rawObjects += 1;
          report.contentBytes += info.size;
          report.storedBytes += info.storedSize;
        } else {
          report.storedBytes += info.storedSize; // a raw copy a killed repack left, until the next one
        }
      }
      report.objects = report.packedObjects + report.rawObjects;
      return report;
    },
  };
}

/**
 * Adds a segment the index does not know to it, every object in its table live (a lost index is
 * rebuilt so; a segment a killed repack or compaction left is used rather than deleted): how many
 * objects it holds, or undefined when the object is not a readable version 2 or 3 segment.
 */
async function adoptSegment(inner: BlobStore, index: PackIndex, hex: string): Promise<number | undefined> {
  const head = await inner
    .get(hexToIntegrity(hex), { start: 0, end: TABLE_OFFSET - 1 }, { maxInlineBytes: TABLE_OFFSET })
    .catch(() => undefined);
  if (head === undefined) return undefined;
  const bytes = head.bytes ?? Buffer.concat(await head.stream.toArray());
  if (bytes.byteLength < TABLE_OFFSET || !hasTable(bytes)) return undefined;
  const tableLength = bytes.readUInt32BE(SEGMENT_MAGIC.byteLength);
  const entries = await readSegmentTable(inner, hex, tableLength);
  if (entries === undefined) return undefined;
  await index.append({ add: hex, t: tableLength });
  return entries.length;
}

/** A version 2 or 3 segment's entries, read from its table (pack-index.ts, ReadSegmentTable). */
async function readSegmentTable(inner: BlobStore, segment: string, tableLength: number): Promise<Omit<PackEntry, 'segment'>[] | undefined> {
  const range = { start: TABLE_OFFSET, end: TABLE_OFFSET + tableLength - 1 };
  const content = await inner.get(hexToIntegrity(segment), range, { maxInlineBytes: tableLength });
  if (content === undefined) return undefined; // the segment is gone: its objects are missing
  const table = content.bytes ?? Buffer.concat(await content.stream.toArray());
  if (table.byteLength !== tableLength) return undefined; // cut short
  try {
    return parseSegmentTable(table);
  } catch {
    return undefined; // a damaged table: its objects are missing (fsck reports them)
  }
}
