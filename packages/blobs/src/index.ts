export type { BlobContent, BlobInfo, BlobStore, ByteRange, GetOptions, PutOptions, PutResult } from './blob-store.ts';
export { createFsBlobStore, type FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.ts';
