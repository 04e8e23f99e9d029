import { readdir } from 'node:fs/promises';
import { isMissing, storeError } from './store-error.ts';

/** The entries of a directory in sorted order; none when it does not exist. */
export async function readdirSorted(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if (isMissing(error)) return [];
    throw storeError(error);
  }
}
