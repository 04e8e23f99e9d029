import { dirname } from 'node:path';
import type { Integrity } from '@entropic/types';
import { digestHex } from './digest-hex.ts';
import { fsyncPath, touchFile } from './fsync-path.ts';
import { ENCODINGS, type ObjectLayout, objectPath, parentsOf } from './object-layout.ts';
import type { JournalRecord, SyncJournal } from './sync-journal.ts';
import type { Unsynced, UnsyncedObjects } from './unsynced-objects.ts';

/**
 * Makes the named objects durable: those whose deferSync puts kept their content go into one
 * journal file (two fsyncs in all, the objects' own fsyncs follow in a checkpoint); for the rest it
 * fsyncs what their puts left (or, when nothing is remembered, whatever is stored of them and the
 * directories up to the root), all in parallel.
 */
export async function syncObjects(
  layout: ObjectLayout,
  unsynced: UnsyncedObjects,
  journal: SyncJournal,
  integrities: Iterable<Integrity>,
): Promise<void> {
  const records: JournalRecord[] = [];
  const files = new Set<string>();
  const dirs = new Set<string>();
  const taken = new Map<string, Unsynced | undefined>();
  for (const integrity of integrities) {
    const hex = digestHex(integrity);
    if (taken.has(hex)) continue;
    const entry = unsynced.get(hex);
    taken.set(hex, entry);
    if (entry?.content !== undefined) {
      records.push({ hex, content: entry.content, files: entry.files, dirs: entry.dirs });
      continue;
    }
    if (entry !== undefined) {
      for (const file of entry.files) files.add(file);
      for (const dir of entry.dirs) dirs.add(dir);
      continue;
    }
    // Nothing remembered: durable already, or forgotten (evicted): sync whatever is stored.
    for (const encoding of ENCODINGS) {
      const path = objectPath(layout, hex, encoding);
      if (!(await touchFile(path))) continue;
      files.add(path);
      for (const dir of [dirname(path), ...parentsOf(layout, dirname(path))]) dirs.add(dir);
    }
  }
  const fsyncAll = async () => {
    if (files.size === 0) return;
    await Promise.all([...files].map((file) => fsyncPath(file)));
    if (process.platform !== 'win32') await Promise.all([...dirs].map((dir) => fsyncPath(dir)));
  };
  await Promise.all([journal.write(records), fsyncAll()]);
  for (const [hex, entry] of taken) if (entry !== undefined) unsynced.forget(hex, entry);
}
