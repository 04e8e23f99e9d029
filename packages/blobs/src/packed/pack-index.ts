import { storeError } from '../store-error.ts';
import type { LogLine, PackLease, PackLog } from './pack-log.ts';

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
  /**
   * in a solid block (segment version 3): its encoded bytes are `length` bytes at `start` of the
   * block's decoded bytes; `offset` and `length` above are the block's, shared by its members
   */
  slice?: [start: number, length: number];
  /** its share of the bytes stored (a block's bytes shared in proportion); `length` when absent */
  stored?: number;
}

/**
 * Reads a version 2 segment's entries from its table: undefined when the segment is gone or its
 * table is damaged (its objects are then missing, which fsck reports); throws when the store cannot
 * be read now (the load is retried).
 */
export type ReadSegmentTable = (segment: string, tableLength: number) => Promise<Omit<PackEntry, 'segment'>[] | undefined>;

/**
 * The pack index (docs/decisions/packed-storage.md): the lines of a `PackLog` (segment additions,
 * deletions, segment drops) replayed into memory. `live`: objects readable by their address.
 * `located`: every object whose bytes are in a segment still held (deleted ones stay decodable as
 * delta bases until compaction). `load()` reads the lines other processes appended since.
 */
export class PackIndex {
  readonly live = new Map<string, PackEntry>();
  readonly located = new Map<string, PackEntry>();
  /** segment hex → its total bytes */
  readonly segments = new Map<string, number>();
  /** how far the log has been applied (PackLog.read's cursor) */
  private cursor = 0;
  private loading: Promise<void> = Promise.resolve();

  constructor(
    readonly log: PackLog,
    private readonly readTable: ReadSegmentTable,
  ) {}

  /** How many log positions have been applied: it moves when another process changed the index. */
  get position(): number {
    return this.cursor;
  }

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
    let lines: Array<{ line: LogLine; cursor: number }>;
    try {
      lines = await this.log.read(this.cursor);
    } catch (error) {
      throw storeError(error);
    }
    for (const { line, cursor } of lines) {
      try {
        await this.applyLine(line);
      } catch (error) {
        // the store cannot be read now: the lines from this one on are read again by the next load
        throw storeError(error);
      }
      this.cursor = cursor;
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

  /** Appends the line (durably; with `fence`, only while that lease is held), then loads it and any before it. */
  async append(line: LogLine, fence?: PackLease): Promise<void> {
    await this.log.append(line, fence);
    await this.load();
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
