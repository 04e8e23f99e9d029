export type { BlobContent, BlobInfo, BlobStore, ByteRange, GetOptions, PutOptions, PutResult } from './blob-store.ts';
export { type CachedBlobStore, type CachedBlobStoreOptions, createCachedBlobStore } from './cached-blob-store.ts';
export { diskUsage } from './disk-usage.ts';
export { createFsBlobStore, type FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.ts';
export { createFilePackLog, type LogLine, leaseLost, type PackLease, type PackLog } from './packed/pack-log.ts';
export {
  type BlobPacking,
  createPackedBlobStore,
  type PackedBlobStore,
  type PackedBlobStoreOptions,
  type StorageReport,
} from './packed/packed-blob-store.ts';
export type { RepackCandidate, RepackOptions, RepackReport } from './packed/repacker.ts';
// the S3 store loads the AWS SDK (seconds on a busy machine): import it from '@entropic/blobs/s3' when configured
export type { S3BlobStore, S3BlobStoreOptions } from './s3-blob-store.ts';
