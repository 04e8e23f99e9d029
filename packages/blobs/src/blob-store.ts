import type { Readable } from 'node:stream';
import type { Integrity } from '@entropic/types';
import type { BlobPacking } from './packed/packed-blob-store.ts';

export interface PutOptions {
  /** When given, the content must hash to this or nothing is stored (INTEGRITY_MISMATCH). */
  expected?: Integrity;
  /** Content larger than this is refused (FILE_TOO_LARGE) and nothing is stored. */
  maxBytes?: number;
  /**
   * Leave out the fsyncs: the put resolves once the object is complete and in place (readable),
   * but it is durable only after `sync()` of its integrity. For batches: a publish puts every file
   * this way and syncs them all at once, before the transaction that references them.
   */
  deferSync?: boolean;
}

export interface GetOptions {
  /** Content of at most this many bytes stored as-is comes back as one Buffer (`bytes`), not a stream. */
  maxInlineBytes?: number;
}

/**
 * What `get` with options returns: the content (or range) as a stream, or in memory when small.
 * A store whose read of a whole object also tells what `stat` would (S3's GET) may return that as
 * `info`, so a cache in front of it needs no second request.
 */
export type BlobContent = { size: number; info?: BlobInfo } & (
  | { stream: Readable; bytes?: undefined }
  | { bytes: Buffer; stream?: undefined }
);

export interface PutResult {
  integrity: Integrity;
  size: number;
  /** false when identical content was already stored */
  created: boolean;
}

export interface BlobInfo {
  integrity: Integrity;
  /** size of the content (not of what is stored for it) */
  size: number;
  /** bytes used on the storage medium */
  storedSize: number;
  mtime: Date;
}

/**
 * An inclusive byte range of the content. An end past the last byte is clamped to it; a range
 * that is malformed, reversed or starts at or past the end → RANGE_NOT_SATISFIABLE.
 */
export interface ByteRange {
  /** inclusive */
  start: number;
  /** inclusive */
  end: number;
}

/**
 * Content-addressed blob store. Blobs are addressed by the sha512 of their content; what is
 * stored for a blob may differ (compressed, delta) as long as reads return the content.
 * A put resolves only when the blob is durable (written, fsynced, renamed), unless it defers that to
 * `sync()` (PutOptions.deferSync).
 * Invalid or non-canonical integrity strings → INVALID_DIGEST. Storage faults → SERVICE_UNAVAILABLE.
 */
export interface BlobStore {
  /**
   * Streams source into the store. When it fails (source error, FILE_TOO_LARGE, INTEGRITY_MISMATCH,
   * storage fault) nothing is stored and the error propagates; a Readable source is not destroyed
   * by the store (the caller owns it: resume it to drain, or destroy it).
   */
  put(source: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<PutResult>;
  putBytes(bytes: Uint8Array | string, options?: PutOptions): Promise<PutResult>;
  stat(integrity: Integrity): Promise<BlobInfo | undefined>;
  /** The content, or a byte range of it (size: the bytes the stream yields); undefined when missing. */
  get(integrity: Integrity, range?: ByteRange): Promise<{ stream: Readable; size: number } | undefined>;
  /** The same with options: small content stored as-is may come back as `bytes` (one open, one read). */
  get(integrity: Integrity, range: ByteRange | undefined, options: GetOptions): Promise<BlobContent | undefined>;
  /** Reads a whole (small) blob into memory: for version documents, never for file content. */
  getBytes(integrity: Integrity): Promise<Buffer | undefined>;
  /**
   * Makes objects put with deferSync durable (their files and the directory entries naming them),
   * concurrently; a no-op for objects already durable. Call it before anything references them.
   */
  sync(integrities: Iterable<Integrity>): Promise<void>;
  delete(integrity: Integrity): Promise<boolean>;
  list(): AsyncIterable<BlobInfo>;
  /** Re-reads the blob and checks it hashes to its name; false when missing or corrupt. */
  verify(integrity: Integrity): Promise<boolean>;
  /** Throws when the store cannot be used (health checks). */
  check(): Promise<void>;
  /**
   * Removes what killed writers left behind (temp files, unfinished uploads) older than
   * `olderThanMs`; returns how many. `admin gc` calls it; a store with nothing to clean omits it.
   * A wrapper of a store (cache, timing) must pass it through.
   */
  cleanTemp?(olderThanMs?: number): Promise<number>;
  close(): Promise<void>;
  /**
   * The packed-storage layer's operations (repack, compaction, storage report) when the store is
   * one (docs/decisions/packed-storage.md); absent otherwise. Wrappers pass it through.
   */
  readonly packing?: BlobPacking;
}
