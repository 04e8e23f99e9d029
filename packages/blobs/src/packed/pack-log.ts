import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type AppError, appError, isAppError } from '@entropic/types';
import { fsyncDir } from '../fsync-path.ts';
import { storeError } from '../store-error.ts';
import type { PackEntry } from './pack-index.ts';

/** `add` with `t`: a version 2 segment whose entries are in its table of `t` bytes; with `entries`: version 1. */
export type LogLine =
  | { add: string; t: number; ghosts?: string[] }
  | { add: string; entries: Omit<PackEntry, 'segment'>[]; ghosts?: string[] }
  | { del: string[] }
  /** located objects (ghosts, or deleted ones kept as bases) that are objects of the store again */
  | { live: string[] }
  | { drop: string };

/** A lease held by `holder` (docs/decisions/packed-storage.md, "Index: a port"). */
export interface PackLease {
  name: string;
  holder: string;
}

/**
 * Where the pack index is kept (docs/decisions/packed-storage.md, "Index: a port"): an ordered,
 * append-only log of lines that every process sharing the store reads, and leases that let
 * exactly one of them pack or compact at a time. Two implementations share one contract suite
 * (packages/blobs/test/pack-log-contract.ts): `createFilePackLog` (a local file, one node) and the
 * database's `createDatabasePackLog` (@entropic/db: every instance sharing the database and bucket).
 */
export interface PackLog {
  /** what the log is, for messages: "file /path" or "database" */
  readonly describe: string;
  /**
   * The lines appended after `cursor` (0: from the start), in the order they apply, each with the
   * cursor just after it. Reading on from a line's cursor never skips a line appended before
   * `read` was called, nor repeats one.
   */
  read(cursor: number): Promise<Array<{ line: LogLine; cursor: number }>>;
  /**
   * Appends a line, durably, after every line already appended. With `fence`, only while that lease
   * is held and unexpired: otherwise nothing is appended and it throws (code CONFLICT).
   */
  append(line: LogLine, fence?: PackLease): Promise<void>;
  /**
   * Takes the named lease for `ttlMs` when it is free, expired, or already `holder`'s (then it is
   * renewed): true when `holder` holds it now. A holder that dies stops renewing; the lease expires.
   */
  acquire(lease: PackLease, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it. */
  release(lease: PackLease): Promise<void>;
  close(): Promise<void>;
}

/** A holder name unique to this process and store: host, pid and a random part. */
export function leaseHolder(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** The error an append fenced by a lease no longer held throws. */
export function leaseLost(name: string): AppError {
  return appError('CONFLICT', `The pack lease "${name}" is no longer held: another process packs now.`);
}

/**
 * False when the holder is a process of this host that has exited (killed, crashed): its lease on a
 * local log is free at once rather than at its expiry. Other hosts' holders: assumed alive.
 */
function holderAlive(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * The pack index as a local file (one node; the embedded default): `index.log`, one JSON line per
 * change, appended and fsynced; a torn last line (a crash while it was written) is skipped. A
 * lease is a file `lease-<name>` holding its holder and expiry, taken by `link` (atomic: one of
 * several racing processes wins) and, once expired or its holder's process gone, taken over by
 * renaming it aside first.
 */
export function createFilePackLog(dir: string): PackLog {
  const path = join(dir, 'index.log');
  let appending: Promise<void> = Promise.resolve();

  async function readLease(name: string): Promise<{ holder: string; expires: number } | undefined> {
    try {
      return JSON.parse(await readFile(join(dir, `lease-${name}`), 'utf8')) as { holder: string; expires: number };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined;
      throw storeError(error);
    }
  }

  async function writeLease(lease: PackLease, ttlMs: number): Promise<boolean> {
    const leasePath = join(dir, `lease-${lease.name}`);
    const temp = join(dir, `.lease-${randomUUID()}`);
    await writeFile(temp, JSON.stringify({ holder: lease.holder, expires: Date.now() + ttlMs }));
    try {
      const current = await readLease(lease.name);
      if (current?.holder === lease.holder) {
        await rename(temp, leasePath); // a renewal: the holder replaces its own lease
        return true;
      }
      if (current !== undefined && current.expires > Date.now() && holderAlive(current.holder)) return false;
      if (current !== undefined) {
        // expired: set it aside (only one racer's rename finds it), then take it by link
        const aside = join(dir, `.expired-${randomUUID()}`);
        await rename(leasePath, aside).catch(() => {});
        await rm(aside, { force: true });
      }
      try {
        await link(temp, leasePath);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
    } finally {
      await rm(temp, { force: true });
    }
  }

  return {
    describe: `file ${path}`,

    async read(cursor) {
      let bytes: Buffer;
      try {
        const size = (await stat(path)).size;
        if (size <= cursor) return [];
        const handle = await open(path, 'r');
        try {
          bytes = Buffer.alloc(size - cursor);
          await handle.read(bytes, 0, bytes.byteLength, cursor);
        } finally {
          await handle.close();
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw storeError(error);
      }
      const lines: Array<{ line: LogLine; cursor: number }> = [];
      let start = 0;
      for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
        const text = bytes.subarray(start, end).toString('utf8');
        start = end + 1;
        if (text.length === 0) continue;
        try {
          lines.push({ line: JSON.parse(text) as LogLine, cursor: cursor + start });
        } catch {
          // a line torn by a crash, followed by later appends: nothing depended on it
        }
      }
      return lines; // bytes after the last newline: a line still being written, or torn
    },

    append(line, fence) {
      const run = appending.then(async () => {
        await mkdir(dir, { recursive: true });
        if (fence !== undefined) {
          const current = await readLease(fence.name);
          if (current?.holder !== fence.holder || current.expires <= Date.now()) throw leaseLost(fence.name);
        }
        const handle = await open(path, 'a+');
        try {
          // a torn last line (no newline) is ended first, so that this line is a line of its own
          const { size } = await handle.stat();
          const last = Buffer.alloc(1);
          if (size > 0) await handle.read(last, 0, 1, size - 1);
          await handle.write(`${size > 0 && last[0] !== 10 ? '\n' : ''}${JSON.stringify(line)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fsyncDir(dir);
      });
      appending = run.catch(() => {});
      return run.catch((error: unknown) => {
        throw isAppError(error) ? error : storeError(error);
      });
    },

    async acquire(lease, ttlMs) {
      await mkdir(dir, { recursive: true });
      try {
        return await writeLease(lease, ttlMs);
      } catch (error) {
        throw storeError(error);
      }
    },

    async release(lease) {
      const current = await readLease(lease.name);
      if (current?.holder === lease.holder) await rm(join(dir, `lease-${lease.name}`), { force: true });
    },

    async close() {
      await appending;
    },
  };
}
