import { Readable } from 'node:stream';
import type { Integrity } from '@entropic/types';
import type { BlobContent, BlobInfo, BlobStore, ByteRange, GetOptions } from './blob-store.ts';
import { resolveRange } from './byte-range.ts';
import { digestHex } from './digest-hex.ts';

export interface CachedBlobStoreOptions {
  /** total bytes of content held (default 64 MiB); 0 turns the cache off */
  maxBytes?: number;
  /** objects larger than this are never cached (default 1 MiB) */
  maxObjectBytes?: number;
  /** told of every lookup (the server's metrics) */
  stats?: { hit(): void; miss(): void };
}

interface Entry {
  bytes: Buffer;
  /** from the read when the store returns it (S3), else learnt at the first stat */
  info?: BlobInfo;
}

/** What a whole read that missed found: an entry to keep, or content too large to keep (a stream), or nothing. */
type Fetched = { entry: Entry; content?: undefined } | { entry?: undefined; content: BlobContent } | undefined;

/** What a cache in front of a store reports (tests, metrics). */
export interface BlobCacheStats {
  hits: number;
  misses: number;
  bytes: number;
  objects: number;
}

export interface CachedBlobStore<S extends BlobStore> extends BlobStore {
  readonly inner: S;
  cacheStats(): BlobCacheStats;
}

/**
 * An in-memory LRU of small, hot objects in front of a slower store (S3): whole-object reads of
 * objects up to maxObjectBytes are kept, bounded in total bytes. Objects are immutable, so the only
 * invalidation is delete (gc); ranges and stats of cached objects are answered from memory too.
 * verify and list always go to the store. Another process deleting an object (gc) leaves a copy
 * here until it is evicted: gc deletes only objects nothing references, which nobody reads.
 */
export function createCachedBlobStore<S extends BlobStore>(inner: S, options: CachedBlobStoreOptions = {}): CachedBlobStore<S> & S {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const maxObjectBytes = Math.min(options.maxObjectBytes ?? 1024 * 1024, maxBytes);
  const entries = new Map<Integrity, Entry>(); // insertion order = recency order
  // whole reads under way, by object: concurrent misses of one object make one request and hold one copy
  const fetching = new Map<Integrity, Promise<Fetched>>();
  let bytes = 0;
  let hits = 0;
  let misses = 0;

  function lookup(integrity: Integrity): Entry | undefined {
    const entry = entries.get(integrity);
    if (entry === undefined) return undefined;
    entries.delete(integrity);
    entries.set(integrity, entry);
    return entry;
  }

  function remember(integrity: Integrity, entry: Entry): void {
    if (entries.has(integrity) || entry.bytes.byteLength > maxObjectBytes) return;
    entries.set(integrity, entry);
    bytes += entry.bytes.byteLength;
    for (const [key, old] of entries) {
      if (bytes <= maxBytes) break;
      entries.delete(key);
      bytes -= old.bytes.byteLength;
    }
  }

  function forget(integrity: Integrity): void {
    const entry = entries.get(integrity);
    if (entry === undefined) return;
    entries.delete(integrity);
    bytes -= entry.bytes.byteLength;
  }

  function serve(entry: Entry, range: ByteRange | undefined, getOptions: GetOptions | undefined): BlobContent {
    const { start, end } = resolveRange(range, entry.bytes.byteLength);
    const slice = entry.bytes.subarray(start, end + 1);
    if (slice.byteLength <= (getOptions?.maxInlineBytes ?? -1)) return { size: slice.byteLength, bytes: slice };
    return { size: slice.byteLength, stream: Readable.from([slice], { objectMode: false }) };
  }

  /** A whole read from the store: small content comes back in memory and is kept; larger content streams by. */
  async function fetchWhole(integrity: Integrity, getOptions: GetOptions | undefined): Promise<Fetched> {
    const inline = Math.max(maxObjectBytes, getOptions?.maxInlineBytes ?? -1);
    const content = await inner.get(integrity, undefined, { maxInlineBytes: inline });
    if (content === undefined) return undefined;
    if (content.bytes === undefined) return { content };
    const entry: Entry = content.info ? { bytes: content.bytes, info: content.info } : { bytes: content.bytes };
    remember(integrity, entry);
    return { entry };
  }

  async function get(integrity: Integrity, range?: ByteRange, getOptions?: GetOptions): Promise<BlobContent | undefined> {
    digestHex(integrity);
    const cached = lookup(integrity);
    if (cached !== undefined) {
      hits += 1;
      options.stats?.hit();
      return serve(cached, range, getOptions);
    }
    misses += 1;
    options.stats?.miss();
    if (range !== undefined || maxBytes === 0) {
      return getOptions === undefined ? inner.get(integrity, range) : inner.get(integrity, range, getOptions);
    }
    const pending = fetching.get(integrity);
    if (pending !== undefined) {
      const fetched = await pending;
      if (fetched === undefined) return undefined;
      if (fetched.entry !== undefined) return serve(fetched.entry, undefined, getOptions);
      // too large to keep: the first reader has that stream, this one reads its own
      return inner.get(integrity, undefined, getOptions ?? {});
    }
    const fetch = fetchWhole(integrity, getOptions);
    fetching.set(integrity, fetch);
    try {
      const fetched = await fetch;
      if (fetched === undefined) return undefined;
      return fetched.entry !== undefined ? serve(fetched.entry, undefined, getOptions) : fetched.content;
    } finally {
      fetching.delete(integrity);
    }
  }

  const store = Object.create(inner) as CachedBlobStore<S> & S;
  Object.assign(store, {
    inner,
    get: get as BlobStore['get'],
    async getBytes(integrity: Integrity) {
      const content = await get(integrity, undefined, { maxInlineBytes: Number.MAX_SAFE_INTEGER });
      if (content === undefined) return undefined;
      return content.bytes ?? Buffer.concat(await content.stream.toArray());
    },
    async stat(integrity: Integrity) {
      digestHex(integrity);
      const entry = entries.get(integrity);
      if (entry?.info !== undefined) return entry.info;
      const info = await inner.stat(integrity);
      if (entry !== undefined && info !== undefined) entry.info = info;
      return info;
    },
    async delete(integrity: Integrity) {
      digestHex(integrity);
      forget(integrity);
      return inner.delete(integrity);
    },
    cacheStats: () => ({ hits, misses, bytes, objects: entries.size }),
  });
  return store;
}
