import { link, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { appError, isAppError } from '@entropic/types';
import type { StoredEncoding } from './blob-header.ts';
import { fsyncDir, touchFile } from './fsync-path.ts';
import { ENCODINGS, type ObjectLayout, objectPath, parentsOf } from './object-layout.ts';
import { io, isMissing, storeError } from './store-error.ts';
import { readHeader } from './stored-object.ts';
import type { UnsyncedObjects } from './unsynced-objects.ts';

export interface PlaceObject {
  layout: ObjectLayout;
  unsynced: UnsyncedObjects;
  /** the complete temp file (writeTempObject) */
  tempPath: string;
  hex: string;
  encoding: StoredEncoding;
  size: number;
  /** deferSync: fsync nothing, remember what must be for sync() */
  deferred: boolean;
  /** the content, when kept for the sync journal (deferred puts of small objects) */
  content?: Buffer;
  /**
   * Bucket directories this store made or found before: no mkdir for them (a bucket a delete
   * removed meanwhile is made again when the link finds it missing).
   */
  buckets?: Set<string>;
}

/** At most this many buckets are remembered (the two-level fan-out has 65,536). */
const MAX_KNOWN_BUCKETS = 70_000;

/**
 * Makes the temp file the object unless one is there (in either encoding); true when it was
 * created. The temp file is linked (or renamed where there are no hard links), never copied.
 */
export async function placeObject(input: PlaceObject): Promise<boolean> {
  const { layout, unsynced, tempPath, hex, encoding, size, deferred, content, buckets } = input;
  const target = objectPath(layout, hex, encoding);
  const leaf = dirname(target);
  let newDirs: string[] = [];
  /** Makes the bucket (again, when a delete emptied and removed it meanwhile); new ones' entries in their parents must be durable too. */
  const makeBucket = async (): Promise<void> => {
    let createdDir: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        createdDir = await mkdir(leaf, { recursive: true });
        break;
      } catch (error) {
        // a parent made by this mkdir was removed by a delete before its child was made: again
        if (!isMissing(error) || attempt >= 4) throw storeError(error);
      }
    }
    if (createdDir !== undefined) {
      newDirs = parentsOf(layout, leaf);
      if (!deferred) for (const dir of newDirs) await fsyncDir(dir);
    }
    if (buckets && buckets.size >= MAX_KNOWN_BUCKETS) buckets.clear();
    buckets?.add(leaf);
  };
  if (!buckets?.has(leaf)) await makeBucket();
  const existing = async (path: string, pathEncoding: StoredEncoding): Promise<boolean> => {
    if (!(await touchFile(path))) return false;
    if (!deferred) return true;
    if (!(await isComplete(path, pathEncoding, size))) {
      await rm(path, { force: true }).catch((error: unknown) => {
        throw storeError(error);
      });
      return false;
    }
    // possibly placed by another process that has not synced it yet
    unsynced.note(hex, path, [leaf, ...newDirs], content);
    return true;
  };
  const placed = async (): Promise<void> => {
    if (deferred) unsynced.note(hex, target, [leaf, ...newDirs], content);
    else await fsyncDir(leaf);
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    for (const other of ENCODINGS.filter((e) => e !== encoding)) if (await existing(objectPath(layout, hex, other), other)) return false;
    try {
      await link(tempPath, target);
      await placed();
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
        // no hard links on this filesystem: rename (replacing identical content is harmless)
        const existed = await touchFile(target);
        if (!existed && !(await bucketExists(leaf))) await makeBucket(); // removed since it was made
        await io(rename(tempPath, target));
        await placed();
        return !existed;
      }
      if (code === 'ENOENT' && !(await bucketExists(leaf))) {
        // the bucket was removed after it was made or seen (a delete emptied it): make it again and retry
        await makeBucket();
        continue;
      }
      if (code !== 'EEXIST') throw storeError(error);
    }
    if (await existing(target, encoding)) return false;
    // deleted between link and touch (garbage collection), or incomplete and removed: try again
  }
  throw appError('SERVICE_UNAVAILABLE', 'The blob storage is too busy; try again.');
}

/**
 * With deferSync, an existing object may be one a killed process placed but never synced (and a
 * machine crash then left short): one whose content size is not `size` is removed and replaced.
 */
export async function isComplete(path: string, encoding: StoredEncoding, size: number): Promise<boolean> {
  try {
    if (encoding === 'raw') return (await stat(path)).size === size;
    return (await readHeader(path))?.header.size === size;
  } catch (error) {
    if (isAppError(error) && error.code === 'INTERNAL') return false; // unreadable header
    if (isMissing(error)) return true; // gone meanwhile: the next attempt places ours
    throw storeError(error);
  }
}

async function bucketExists(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch (error) {
    if (isMissing(error)) return false;
    throw storeError(error);
  }
}
