import type { BlobStore, PackedBlobStore } from '../src/index.ts';

/** The packed store with a repack after every put: the blob contract then runs against packed objects. */
export function packOnPut(packed: PackedBlobStore): BlobStore {
  const store = Object.create(packed) as BlobStore;
  store.put = async (source, options) => {
    const result = await packed.put(source, options);
    await packed.packing.repack();
    return result;
  };
  store.putBytes = async (bytes, options) => {
    const result = await packed.putBytes(bytes, options);
    await packed.packing.repack();
    return result;
  };
  return store;
}
