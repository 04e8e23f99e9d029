import { open, utimes } from 'node:fs/promises';
import { io, isMissing, storeError } from './store-error.ts';

export async function fsyncPath(path: string): Promise<void> {
  const handle = await io(open(path, 'r'));
  try {
    await io(handle.sync());
  } finally {
    await handle.close();
  }
}

/** fsyncs a directory (its entries); a no-op on Windows, where directories cannot be opened. */
export async function fsyncDir(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  await fsyncPath(path);
}

/** Refreshes the mtime of an existing file (so a GC grace period protects a re-put); false when missing. */
export async function touchFile(path: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(path, now, now);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw storeError(error);
  }
}
