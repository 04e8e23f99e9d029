import type { BlobStore } from '@entropic/blobs';
import type { Metrics } from './metrics.ts';

/** The operations timed; `list` (an iterator for gc and fsck), `cleanTemp` and `close` are passed through. */
const TIMED = ['put', 'putBytes', 'stat', 'get', 'getBytes', 'sync', 'delete', 'verify', 'check'] as const;

/**
 * The blob store port with each call's latency recorded (`entropic_blob_store_operation_duration_seconds`),
 * whatever the backend: the server's composition wraps whichever store the config chose.
 */
export function timeBlobStore(store: BlobStore, metrics: Metrics): BlobStore {
  // A plain object (not a prototype trick): every call reaches the store with the store as `this`.
  const timed = { list: store.list.bind(store), close: store.close.bind(store) } as BlobStore;
  // gc's temp cleaning: dropping it here silently stopped `admin gc` from cleaning temp files
  if (store.cleanTemp) timed.cleanTemp = store.cleanTemp.bind(store);
  if (store.packing) Object.assign(timed, { packing: store.packing }); // repack, compaction and the storage report: admin work, not timed
  for (const operation of TIMED) {
    const call = store[operation].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (timed as unknown as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
      const start = performance.now();
      let ok = false;
      try {
        const result = await call(...args);
        ok = true;
        return result;
      } finally {
        metrics.observeBlobOperation(operation, ok, (performance.now() - start) / 1000);
      }
    };
  }
  return timed;
}
