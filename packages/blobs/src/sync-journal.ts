import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, fsyncPath } from './fsync-path.ts';
import { io, isMissing } from './store-error.ts';

/** An object made durable through the journal: its content, and the paths a checkpoint fsyncs. */
export interface JournalRecord {
  hex: string;
  content: Buffer;
  files: readonly string[];
  dirs: readonly string[];
}

export interface SyncJournal {
  /**
   * Makes the records durable with two fsyncs (one journal file and its directory), whatever
   * their number; their object files are fsynced later by a checkpoint, which then removes the
   * journal file.
   */
  write(records: readonly JournalRecord[]): Promise<void>;
  /** Runs the pending checkpoint now (close). */
  flush(): Promise<void>;
  /**
   * Replays journals whose writer is gone (another boot, or a dead process): `restore` makes each
   * verified record's object durable; the journal file is removed after. Answers how many records.
   */
  recover(restore: (hex: string, content: Buffer) => Promise<void>): Promise<number>;
}

interface Pending {
  path: string;
  files: readonly string[];
  dirs: readonly string[];
}

/** The boot this process runs in (Linux); journals of another boot belong to no live process. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown-boot';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A journal file: one JSON line `[{hex, size}, …]`, then the contents back to back. A file cut
 * short by a crash while it was written is ignored record by record (every record is re-hashed);
 * nothing committed can depend on it, since a publish commits only after the journal is durable.
 */
function encodeJournal(records: readonly JournalRecord[]): Buffer {
  const head = Buffer.from(`${JSON.stringify(records.map((r) => ({ hex: r.hex, size: r.content.length })))}\n`);
  return Buffer.concat([head, ...records.map((r) => r.content)]);
}

function decodeJournal(bytes: Buffer): { hex: string; content: Buffer }[] {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) return [];
  let entries: { hex: string; size: number }[];
  try {
    entries = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as { hex: string; size: number }[];
  } catch {
    return [];
  }
  const out: { hex: string; content: Buffer }[] = [];
  let offset = newline + 1;
  for (const { hex, size } of Array.isArray(entries) ? entries : []) {
    const content = bytes.subarray(offset, offset + size);
    offset += size;
    if (content.length === size && createHash('sha512').update(content).digest('hex') === hex) out.push({ hex, content });
  }
  return out;
}

/**
 * The filesystem store's sync journal (`journal/<boot>.<pid>.<uuid>`): a batch of small objects
 * becomes durable with one file and one directory fsync instead of one file and one directory
 * fsync per object; a checkpoint `checkpointDelayMs` later fsyncs the objects themselves (off the
 * request path, many batches at once) and removes the journals they came in.
 */
export function createSyncJournal(root: string, options: { checkpointDelayMs?: number } = {}): SyncJournal {
  const dir = join(root, 'journal');
  const delay = options.checkpointDelayMs ?? 1000;
  const owner = `${bootId()}.${process.pid}`;
  let ready: Promise<void> | undefined;
  let pending: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const ensureDir = () => {
    ready ??= io(mkdir(dir, { recursive: true }))
      .then(async (created) => {
        if (created !== undefined) await fsyncDir(root); // its entry in the root must be durable too
      })
      .catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
    return ready;
  };

  const checkpoint = async (): Promise<void> => {
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const ignoreMissing = (error: unknown) => {
      // collected by gc, or packed by repack, meanwhile: nothing left to make durable (fsyncPath
      // wraps the ENOENT in SERVICE_UNAVAILABLE, so look at its cause too)
      if (!isMissing(error) && !isMissing((error as { cause?: unknown } | null)?.cause)) throw error;
    };
    try {
      await Promise.all([...new Set(batch.flatMap((p) => p.files))].map((f) => fsyncPath(f).catch(ignoreMissing)));
      await Promise.all([...new Set(batch.flatMap((p) => p.dirs))].map((d) => fsyncDir(d).catch(ignoreMissing)));
      await Promise.all(batch.map((p) => unlink(p.path).catch(ignoreMissing)));
    } catch {
      pending.push(...batch); // tried again by the next checkpoint; a restart replays the journals
    }
  };

  const schedule = () => {
    timer ??= setTimeout(() => {
      running = running.then(checkpoint);
    }, delay).unref();
  };

  return {
    async write(records) {
      if (records.length === 0) return;
      await ensureDir();
      const path = join(dir, `${owner}.${randomUUID()}`);
      const handle = await io(open(path, 'wx', 0o644));
      try {
        await io(handle.writeFile(encodeJournal(records)));
        await io(handle.sync());
      } finally {
        await handle.close();
      }
      await fsyncDir(dir);
      pending.push({ path, files: records.flatMap((r) => r.files), dirs: records.flatMap((r) => r.dirs) });
      schedule();
    },

    async flush() {
      if (timer !== undefined) clearTimeout(timer);
      running = running.then(checkpoint);
      await running;
    },

    async recover(restore) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if (isMissing(error)) return 0;
        throw error;
      }
      const boot = bootId();
      let restored = 0;
      for (const name of names) {
        const [nameBoot, pid] = name.split('.');
        if (nameBoot === boot && (Number(pid) === process.pid || isAlive(Number(pid)))) continue; // its writer checkpoints it
        const path = join(dir, name);
        const records = decodeJournal(await readFile(path));
        for (const record of records) await restore(record.hex, record.content);
        await unlink(path).catch(() => {});
        restored += records.length;
      }
      return restored;
    },
  };
}
