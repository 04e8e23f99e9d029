import { Readable } from 'node:stream';
import { hexToIntegrity, type Integrity, isAppError } from '@entropic/types';
import type { BlobContent, BlobInfo, BlobStore, ByteRange, GetOptions, PutOptions, PutResult } from '../blob-store.ts';
import { digestHex } from '../digest-hex.ts';
import { verifyObject } from '../verify-object.ts';
import { DecodedCache } from './decoded-cache.ts';
import { type PackEntry, PackIndex } from './pack-index.ts';
import { PackedReader, WHOLE_DECODE_BYTES } from './packed-reader.ts';
import { compactSegments, Repacker, type RepackOptions, type RepackReport } from './repacker.ts';
import { parseSegmentTable, TABLE_OFFSET } from './segment.ts';

export interface PackedBlobStoreOptions {
  /** where the pack index log lives (a local directory: CACHE_DIR/packs by default) */
  indexDir: string;
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
  compact(): Promise<{ segmentsRewritten: number; freedBytes: number }>;
  report(): Promise<StorageReport>;
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
  const index = new PackIndex(options.indexDir, (segment, tableLength) => readSegmentTable(inner, segment, tableLength));
  const cache = new DecodedCache(options.cacheBytes ?? 32 * 1024 * 1024, WHOLE_DECODE_BYTES);
  const reader = new PackedReader(inner, index, cache);
  const segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
  let loaded: Promise<void> | undefined;

  async function ready(): Promise<void> {
    loaded ??= index.load().catch((error: unknown) => {
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
    return { integrity: hexToIntegrity(entry.hex), size: entry.size, storedSize: entry.length, mtime: new Date(entry.packedAt) };
  }

  async function get(integrity: Integrity, range?: ByteRange, getOptions?: GetOptions): Promise<BlobContent | undefined> {
    const hex = digestHex(integrity);
    const entry = await entryOf(hex, false);
    if (entry !== undefined) return reader.read(entry, range, getOptions?.maxInlineBytes ?? -1);
    const raw = getOptions === undefined ? await inner.get(integrity, range) : await inner.get(integrity, range, getOptions);
    if (raw !== undefined) return raw;
    const packed = await entryOf(hex, true);
    return packed === undefined ? undefined : reader.read(packed, range, getOptions?.maxInlineBytes ?? -1);
  }

  const packing = createPacking(inner, index, reader, segmentBytes, ready);

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
        await reader.contentOf(entry, 0, true); // decodes the stored form itself, not a cached copy
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
      await inner.close();
    },
  };
  if (inner.cleanTemp) store.cleanTemp = inner.cleanTemp.bind(inner);
  return store;
}

/** repack, compact and report, one repack or compaction at a time in this process. */
function createPacking(
  inner: BlobStore,
  index: PackIndex,
  reader: PackedReader,
  segmentBytes: number,
  ready: () => Promise<void>,
): BlobPacking & { idle(): Promise<void> } {
  let exclusive: Promise<unknown> = Promise.resolve();
  /** Runs repack and compaction one at a time in this process. */
  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = exclusive.then(task);
    exclusive = run.catch(() => {});
    return run;
  }

  return {
    idle: () => exclusive.then(() => {}),
    repack: (repackOptions = {}) =>
      serially(async () => {
        await ready();
        await index.load();
        const repacker = new Repacker(inner, index, reader, segmentBytes, Date.now() - (repackOptions.olderThanMs ?? 0));
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
      }),
    compact: () =>
      serially(async () => {
        await ready();
        const result = await compactSegments(inner, index);
        return result;
      }),
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
        codec.storedBytes += entry.length;
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

/** A version 2 segment's entries, read from its table (pack-index.ts, ReadSegmentTable). */
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
