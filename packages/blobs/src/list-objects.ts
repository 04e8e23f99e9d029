import { join } from 'node:path';
import { isAppError } from '@entropic/types';
import type { BlobInfo } from './blob-store.ts';
import { isBucketName, type ObjectLayout, parseObjectName } from './object-layout.ts';
import { readdirSorted } from './readdir-sorted.ts';
import { type StoredObject, statStoredObject } from './stored-object.ts';

/**
 * Every stored object once, in hex order, walking the fan-out directories; foreign files, objects
 * deleted meanwhile and encoded files with an unreadable header (verify() reports those) are skipped.
 */
export async function* listObjects(layout: ObjectLayout): AsyncGenerator<BlobInfo> {
  const { objectsDir } = layout;
  for (const first of await readdirSorted(objectsDir)) {
    if (!isBucketName(first)) continue;
    for (const second of await readdirSorted(join(objectsDir, first))) {
      if (!isBucketName(second)) continue;
      let previous: string | undefined;
      for (const name of await readdirSorted(join(objectsDir, first, second))) {
        const parsed = parseObjectName(name);
        if (parsed === undefined || parsed.hex === previous) continue; // `<hex>` sorts before `<hex>.br`
        let found: StoredObject | undefined;
        try {
          found = await statStoredObject(layout, parsed.hex, parsed.encoding);
        } catch (error) {
          if (isAppError(error) && error.code === 'INTERNAL') continue; // unreadable header: verify() reports it
          throw error;
        }
        if (found === undefined) continue; // deleted meanwhile
        previous = parsed.hex;
        yield found.info;
      }
    }
  }
}
