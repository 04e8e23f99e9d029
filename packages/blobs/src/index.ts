export type { BlobInfo, BlobStore, ByteRange, PutOptions, PutResult } from './blob-store.ts';
export { createFsBlobStore, type FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.ts';
