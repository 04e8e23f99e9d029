import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { hexToIntegrity, type Integrity, isAppError } from '@entropic/types';
import type { BlobStore } from './blob-store.ts';
import { hasErrnoCode, storeError } from './store-error.ts';

/** Whether the stored content still hashes to its name (false when missing, corrupt or undecodable). */
export async function verifyObject(store: Pick<BlobStore, 'get'>, integrity: Integrity): Promise<boolean> {
  let content: { stream: Readable; size: number } | undefined;
  try {
    content = await store.get(integrity);
  } catch (error) {
    if (isAppError(error) && error.code === 'INTERNAL') return false;
    throw error;
  }
  if (content === undefined) return false;
  const hash = createHash('sha512');
  try {
    for await (const chunk of content.stream) hash.update(chunk as Buffer);
  } catch (error) {
    if (isAppError(error) && error.code === 'INTERNAL') return false;
    if (isAppError(error) || hasErrnoCode(error)) throw storeError(error);
    return false; // undecodable payload
  }
  return hexToIntegrity(hash.digest('hex')) === integrity;
}
