import { mkdir, stat } from 'node:fs/promises';
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
}

export function createStoreDirs(layout: ObjectLayout): StoreDirs {
  let ready: Promise<void> | undefined;
  /** objectsDir was there once: from then on its absence is a fault, not an empty store */
  let reached = false;
  return {
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
  };
}
