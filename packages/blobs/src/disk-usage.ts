import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissing, storeError } from './store-error.ts';

/** Bytes allocated on disk for a directory tree (st_blocks × 512, as `du` counts: each file's blocks, directories included). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    let stats: Awaited<ReturnType<typeof lstat>>;
    try {
      stats = await lstat(path);
    } catch (error) {
      if (isMissing(error)) return; // removed while we walked
      throw storeError(error);
    }
    total += stats.blocks * 512;
    if (!stats.isDirectory()) return;
    for (const name of await readdir(path).catch(() => [] as string[])) await walk(join(path, name));
  };
  await walk(dir);
  return total;
}
