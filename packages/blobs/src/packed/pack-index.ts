import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../fsync-path.ts';
import { storeError } from '../store-error.ts';

/**
 * How an object's payload is encoded: brotli of the content, brotli of a fossil delta from its
 * base's content, or a gzipped tar's recipe whose files are its `parts` (tarball-recipe.ts).
 */
export type PackCodec = 'br' | 'dbr' | 'tgz';

/** Where an object's encoded bytes are: `length` bytes at `offset` of segment `segment`. */
export interface PackEntry {
  hex: string;
  segment: string;
  offset: number;
  length: number;
  /** content size */
  size: number;
  codec: PackCodec;
  /** the delta base's hex (codec dbr) */
  base?: string;
  /** deltas to apply to read it (0: not a delta) */
  depth: number;
  /** codec tgz: the objects the recipe puts in the tar, in the order it names them */
  parts?: string[];
  /** when it was packed (ms): stat()'s mtime */
  packedAt: number;
}

/** `add` with `t`: a version 2 segment whose entries are in its table of `t` bytes; with `entries`: version 1. */
export type LogLine =
  | { add: string; t: number; ghosts?: string[] }
  | { add: string; entries: Omit<PackEntry, 'segment'>[]; ghosts?: string[] }
  | { del: string[] }
  /** located objects (ghosts, or deleted ones kept as bases) that are objects of the store again */
  | { live: string[] }
  | { drop: string };

/**
 * Reads a version 2 segment's entries from its table: undefined when the segment is gone or its
 * table is damaged (its objects are then missing, which fsck reports); throws when the store cannot
 * be read now (the load is retried).
 */
export type ReadSegmentTable = (segment: string, tableLength: number) => Promise<Omit<PackEntry, 'segment'>[] | undefined>;

/**
 * The pack index (docs/decisions/packed-storage.md): an append-only log `index.log` of segment
 * additions, deletions and segment drops, fsynced before anything depends on a line, replayed into
 * memory at open. `live`: objects readable by their address. `located`: every object whose bytes
 * are in a segment still held (deleted ones stay decodable as delta bases until compaction).
 */
export class PackIndex {
  readonly live = new Map<string, PackEntry>();
  readonly located = new Map<string, PackEntry>();
  /** segment hex → its total bytes */
  readonly segments = new Map<string, number>();
  private readonly path: string;
  private readOffset = 0;
  private pending = '';
  private appending: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly readTable: ReadSegmentTable,
  ) {
    this.path = join(dir, 'index.log');
  }

  private loading: Promise<void> = Promise.resolve();

  /**
   * Reads the lines appended since the last load (all of them the first time). Loads run one after
   * another (a table read makes them asynchronous), each starting after the previous one ended, so a
   * load sees every line appended before it was called.
   */
  load(): Promise<void> {
    const run = this.loading.then(() => this.loadTail());
    this.loading = run.catch(() => {});
    return run;
  }

  private async loadTail(): Promise<void> {
    let bytes: Buffer;
    try {
      const size = (await stat(this.path)).size;
      if (size === this.readOffset) return;
      const handle = await open(this.path, 'r');
      try {
        bytes = Buffer.alloc(size - this.readOffset);
        await handle.read(bytes, 0, bytes.byteLength, this.readOffset);
      } finally {
        await handle.close();
      }
      this.readOffset = size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw storeError(error);
    }
    const text = this.pending + bytes.toString('utf8');
    const lines = text.split('\n');
    this.pending = lines.pop() ?? ''; // a line still being written, or torn by a crash
    const parsed: LogLine[] = [];
    for (const line of lines) {
      if (line.length === 0) continue;
      try {
        parsed.push(JSON.parse(line) as LogLine);
      } catch {
        // a torn line followed by later appends: nothing depended on it
      }
    }
    for (let i = 0; i < parsed.length; i++) {
      try {
        await this.applyLine(parsed[i] as LogLine);
      } catch (error) {
        // the store cannot be read now: the lines from this one on are read again by the next load
        this.pending = `${parsed
          .slice(i)
          .map((line) => JSON.stringify(line))
          .join('\n')}\n${this.pending}`;
        throw storeError(error);
      }
    }
  }

  private async applyLine(line: LogLine): Promise<void> {
    if ('t' in line) {
      const entries = await this.readTable(line.add, line.t);
      this.apply({ add: line.add, entries: entries ?? [], ...(line.ghosts ? { ghosts: line.ghosts } : {}) });
      return;
    }
    this.apply(line);
  }

  /** Applies the line to memory after appending and fsyncing it. */
  async append(line: LogLine): Promise<void> {
    const run = this.appending.then(async () => {
      await mkdir(this.dir, { recursive: true });
      await this.load(); // lines of other processes first, so that ours applies after them
      const handle = await open(this.path, 'a');
      try {
        const text = `${this.pending.length > 0 ? '\n' : ''}${JSON.stringify(line)}\n`;
        await handle.write(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsyncDir(this.dir);
      await this.load();
    });
    this.appending = run.catch(() => {});
    try {
      await run;
    } catch (error) {
      throw storeError(error);
    }
  }

  private apply(line: Exclude<LogLine, { t: number }>): void {
    if ('add' in line) {
      const ghosts = new Set(line.ghosts ?? []);
      let end = 0;
      for (const fields of line.entries) {
        const entry: PackEntry = { ...fields, segment: line.add };
        this.located.set(entry.hex, entry);
        if (!ghosts.has(entry.hex)) this.live.set(entry.hex, entry);
        end = Math.max(end, entry.offset + entry.length);
      }
      this.segments.set(line.add, end);
    } else if ('del' in line) {
      for (const hex of line.del) this.live.delete(hex);
    } else if ('live' in line) {
      for (const hex of line.live) {
        const entry = this.located.get(hex);
        if (entry !== undefined) this.live.set(hex, entry);
      }
    } else if ('drop' in line) {
      this.segments.delete(line.drop);
      for (const [hex, entry] of this.located) if (entry.segment === line.drop) this.located.delete(hex);
      for (const [hex, entry] of this.live) if (entry.segment === line.drop) this.live.delete(hex);
    }
  }
}
