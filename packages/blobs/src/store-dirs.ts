import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appError } from '@entropic/types';
import type { ObjectLayout } from './object-layout.ts';
import { io, isMissing, storeError } from './store-error.ts';

export interface StoreDirs {
  /** Creates the object and temp directories once (again after a failure). */
  ensure(): Promise<void>;
  /**
   * A lookup that finds nothing means "missing" only when the store itself is there: a CACHE_DIR
   * that vanished or was replaced (an unmounted volume) is a fault (503), never a 404.
   */
  assertReachable(): Promise<void>;
  /** A health check: writes, reads back and removes a probe file, lists the objects (SERVICE_UNAVAILABLE otherwise). */
  probe(): Promise<void>;
}

export function createStoreDirs(layout: ObjectLayout): StoreDirs {
  let ready: Promise<void> | undefined;
  /** objectsDir was there once: from then on its absence is a fault, not an empty store */
  let reached = false;
  const dirs: StoreDirs = {
    ensure() {
      ready ??= io(
        Promise.all([mkdir(layout.tmpDir, { recursive: true }), mkdir(layout.objectsDir, { recursive: true })]).then(() => {
          reached = true;
        }),
      ).catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      return ready;
    },

    async assertReachable() {
      try {
        if ((await stat(layout.objectsDir)).isDirectory()) {
          reached = true;
          return;
        }
      } catch (error) {
        if (!isMissing(error)) throw storeError(error);
        if (!reached) return; // a store never seen yet (nothing written): simply empty
      }
      throw appError('SERVICE_UNAVAILABLE', 'The blob storage is not reachable.');
    },

    async probe() {
      try {
        await dirs.ensure();
        const probe = join(layout.tmpDir, `check-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
        await writeFile(probe, 'ok', { flag: 'wx' });
        const back = await readFile(probe, 'utf8');
        await unlink(probe);
        await readdir(layout.objectsDir);
        if (back !== 'ok') throw new Error('probe read back differs');
      } catch (error) {
        throw appError('SERVICE_UNAVAILABLE', 'The blob storage is not usable.', { cause: error });
      }
    },
  };
  return dirs;
}
