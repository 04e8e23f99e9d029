import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readdirSorted } from './readdir-sorted.ts';
import { isMissing, storeError } from './store-error.ts';

/** Removes entries of tmpDir untouched for olderThanMs (left by killed processes); returns how many. */
export async function cleanTemp(tmpDir: string, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  for (const name of await readdirSorted(tmpDir)) {
    const path = join(tmpDir, name);
    try {
      if ((await stat(path)).mtimeMs >= cutoff) continue;
      await rm(path, { force: true, recursive: true });
      removed++;
    } catch (error) {
      if (!isMissing(error)) throw storeError(error);
    }
  }
  return removed;
}
