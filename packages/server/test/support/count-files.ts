import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Regular files under dir, recursively (0 when it does not exist). The sync journal's own
 * directory (`journal/`, whose files its background checkpoint writes and removes at any moment)
 * is not counted: tests count stored objects and temp files, not the journal's bookkeeping.
 */
export async function countFiles(dir: string): Promise<number> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let count = 0;
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (entry.name !== 'journal') count += await countFiles(join(dir, entry.name));
    } else if (entry.isFile()) count += 1;
  }
  return count;
}

/** Paths of regular files under dir, recursively. */
export async function listFiles(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
