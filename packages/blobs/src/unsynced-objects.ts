/** Paths to fsync before an object put with deferSync is durable. */
export interface Unsynced {
  readonly files: readonly string[];
  readonly dirs: readonly string[];
}

/** What deferSync puts left to fsync, by object hex, until sync() takes it. */
export interface UnsyncedObjects {
  /** Adds a file and the directories whose entries it needs; the entry becomes the newest. */
  note(hex: string, file: string, dirs: readonly string[]): void;
  get(hex: string): Unsynced | undefined;
  /** Forgets the entry of hex if it is still `entry` (a put meanwhile replaced it otherwise). */
  forget(hex: string, entry: Unsynced): void;
  readonly size: number;
}

/** Bound on remembered unsynced objects (puts never synced: failed publishes); older ones fall back to a full sync. */
const MAX_UNSYNCED = 4096;

export function createUnsyncedObjects(limit = MAX_UNSYNCED): UnsyncedObjects {
  /** entries are replaced, never mutated */
  const entries = new Map<string, Unsynced>();
  return {
    note(hex, file, dirs) {
      const before = entries.get(hex);
      entries.delete(hex); // re-inserted last: the oldest entry is the first evicted
      entries.set(hex, {
        files: [...new Set([...(before?.files ?? []), file])],
        dirs: [...new Set([...(before?.dirs ?? []), ...dirs])],
      });
      if (entries.size > limit) entries.delete(entries.keys().next().value as string);
    },
    get: (hex) => entries.get(hex),
    forget(hex, entry) {
      if (entries.get(hex) === entry) entries.delete(hex);
    },
    get size() {
      return entries.size;
    },
  };
}
