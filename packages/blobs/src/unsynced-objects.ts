/** Paths to fsync before an object put with deferSync is durable, and its content when kept for the sync journal. */
export interface Unsynced {
  readonly files: readonly string[];
  readonly dirs: readonly string[];
  /** the object's content, kept (within a bound) so that sync() can journal it instead of fsyncing each file */
  readonly content?: Buffer;
}

/** What deferSync puts left to fsync, by object hex, until sync() takes it. */
export interface UnsyncedObjects {
  /**
   * Adds a file and the directories whose entries it needs; the entry becomes the newest. The
   * content is kept when the bound on kept bytes allows (else sync() fsyncs the files).
   */
  note(hex: string, file: string, dirs: readonly string[], content?: Buffer): void;
  get(hex: string): Unsynced | undefined;
  /** Forgets the entry of hex if it is still `entry` (a put meanwhile replaced it otherwise). */
  forget(hex: string, entry: Unsynced): void;
  readonly size: number;
  /** bytes of content kept */
  readonly keptBytes: number;
}

/** Bound on remembered unsynced objects (puts never synced: failed publishes); older ones fall back to a full sync. */
const MAX_UNSYNCED = 4096;
/** Bound on the content kept for the journal, over all entries. */
const MAX_KEPT_BYTES = 32 * 1024 * 1024;

export function createUnsyncedObjects(limit = MAX_UNSYNCED, maxKeptBytes = MAX_KEPT_BYTES): UnsyncedObjects {
  /** entries are replaced, never mutated */
  const entries = new Map<string, Unsynced>();
  let keptBytes = 0;
  const drop = (hex: string) => {
    keptBytes -= entries.get(hex)?.content?.length ?? 0;
    entries.delete(hex);
  };
  return {
    note(hex, file, dirs, content) {
      const before = entries.get(hex);
      drop(hex); // re-inserted last: the oldest entry is the first evicted
      const kept = before?.content ?? (content !== undefined && keptBytes + content.length <= maxKeptBytes ? content : undefined);
      keptBytes += kept?.length ?? 0;
      entries.set(hex, {
        files: [...new Set([...(before?.files ?? []), file])],
        dirs: [...new Set([...(before?.dirs ?? []), ...dirs])],
        ...(kept === undefined ? {} : { content: kept }),
      });
      if (entries.size > limit) drop(entries.keys().next().value as string);
    },
    get: (hex) => entries.get(hex),
    forget(hex, entry) {
      if (entries.get(hex) === entry) drop(hex);
    },
    get size() {
      return entries.size;
    },
    get keptBytes() {
      return keptBytes;
    },
  };
}
