import { createHash } from 'node:crypto';
import { hexToIntegrity, type Integrity, integrityToHex } from '@entropic/types';
import type { BlobStore } from '../blob-store.ts';
import type { PackEntry, PackIndex } from './pack-index.ts';
import type { PackLease } from './pack-log.ts';
import type { PackedReader } from './packed-reader.ts';
import {
  buildSegment,
  decodeBlock,
  type EncodedObject,
  encodedOf,
  encodeObject,
  hasTable,
  isSegment,
  type PendingUnit,
  parseSegmentTable,
  TABLE_OFFSET,
  unitsOf,
} from './segment.ts';
import { looksLikeTarball, makeRecipe, type Recipe } from './tarball-recipe.ts';

/** A delta chain is at most this long: a read applies at most this many deltas. */
export const MAX_DEPTH = 16;
/**
 * When the hinted base's chain is full, the object is encoded against the base's ancestor at this
 * depth or less (a delta over a few more versions' changes) instead of whole: a release history
 * becomes a tree of bounded depth rather than a chain restarted by a whole copy every MAX_DEPTH.
 */
const FALLBACK_DEPTH = MAX_DEPTH / 2;
/** Deltas only between objects (and bases) up to this size: a delta is applied in memory. */
const DELTA_MAX_BYTES = 1024 * 1024;
/** Objects larger than this stay raw (one disk block of overhead is nothing to them). */
export const PACK_MAX_OBJECT_BYTES = 4 * 1024 * 1024;
/** A segment smaller than this (or an eighth of the segment size) is merged into the next one a repack writes: fewer files, disk blocks and tables. */
const MERGE_BELOW = 1024 * 1024;
/** A tarball is kept as a recipe only when its tar is at most this large (a read rebuilds it). */
const RECIPE_MAX_TAR_BYTES = 32 * 1024 * 1024;

export interface RepackCandidate {
  integrity: Integrity;
  /** a similar object to encode it against (the same path in the previous version) */
  base?: Integrity;
}

export interface RepackOptions {
  /** only raw objects last written longer ago than this are packed (default 0): a publish in flight is not raced */
  olderThanMs?: number;
  /** objects to pack first, in this order, with their delta bases; every other raw object follows, without a base */
  candidates?: Iterable<RepackCandidate> | AsyncIterable<RepackCandidate>;
  /** stop after this many objects packed (tests; a job's slice) */
  limit?: number;
}

export interface RepackReport {
  packed: number;
  deltas: number;
  contentBytes: number;
  storedBytes: number;
  segments: number;
  /** raw copies of objects already packed (left by a repack killed before it deleted them), removed */
  rawRemoved: number;
  /** another process holds the pack lease: nothing was done */
  busy?: true;
}

/** Packs raw objects of the inner store into segments (docs/decisions/packed-storage.md, "Crash safety"). */
export class Repacker {
  private pending: EncodedObject[] = [];
  /** content of pending objects small enough to be a delta base for the next ones */
  private pendingContent = new Map<string, { content: Buffer; depth: number; base?: string }>();
  private pendingBytes = 0;
  /** objects in `pending` */
  private pendingHex = new Set<string>();
  /** recipe parts packed from a tarball's bytes that are not objects of the store (located, not live) */
  private ghosts = new Set<string>();
  private readonly done = new Set<string>();
  readonly report: RepackReport = { packed: 0, deltas: 0, contentBytes: 0, storedBytes: 0, segments: 0, rawRemoved: 0 };

  constructor(
    private readonly inner: BlobStore,
    private readonly index: PackIndex,
    private readonly reader: PackedReader,
    private readonly segmentBytes: number,
    private readonly cutoff: number,
    /** the lease every line appended is fenced by (pack-log.ts) */
    private readonly fence?: PackLease,
  ) {}

  /** Packs one raw object (with a base when given and usable); false when it is not a candidate. */
  async add(integrity: Integrity, baseIntegrity?: Integrity): Promise<boolean> {
    const hex = integrityToHex(integrity);
    if (this.done.has(hex) || this.index.segments.has(hex)) return false;
    this.done.add(hex);
    if (this.index.live.has(hex)) {
      if (await this.inner.delete(integrity)) this.report.rawRemoved += 1; // a crash left the raw copy
      return false;
    }
    if (this.index.located.has(hex)) {
      // packed already as a recipe's ghost part or a deleted base, and now put again: made live, not packed twice
      if ((await this.inner.stat(integrity)) === undefined) return false;
      await this.index.append({ live: [hex] }, this.fence);
      if (await this.inner.delete(integrity)) this.report.rawRemoved += 1;
      return false;
    }
    const info = await this.inner.stat(integrity);
    if (info === undefined || info.mtime.getTime() > this.cutoff || info.size > PACK_MAX_OBJECT_BYTES) return false;
    const content = await this.inner.getBytes(integrity);
    if (content === undefined || createHash('sha512').update(content).digest('hex') !== hex) return false; // corrupt: for fsck
    if (isSegment(content)) {
      await this.removeLeftover(integrity, content);
      return false;
    }
    const recipe = looksLikeTarball(content) ? await this.recipeOf(content) : undefined;
    const base =
      recipe !== undefined || baseIntegrity === undefined
        ? undefined
        : await this.baseFor(integrityToHex(baseIntegrity), content.byteLength);
    const entry: EncodedObject =
      recipe === undefined
        ? await encodeObject(hex, content, base)
        : { hex, size: content.byteLength, codec: 'tgz', depth: 0, parts: recipe.parts.map((part) => part.hex), encoded: recipe.encoded };
    if (recipe !== undefined) for (const part of recipe.parts) await this.addPart(part);
    this.pending.push(entry);
    this.pendingHex.add(hex);
    if (content.byteLength <= DELTA_MAX_BYTES) {
      this.pendingContent.set(hex, { content, depth: entry.depth, ...(entry.base === undefined ? {} : { base: entry.base }) });
    }
    this.pendingBytes += (entry.alone ?? entry.encoded).byteLength;
    this.report.packed += 1;
    this.report.contentBytes += content.byteLength;
    if (entry.codec === 'dbr') this.report.deltas += 1;
    if (this.pendingBytes >= this.segmentBytes || this.pendingContent.size > 4096) await this.flush();
    return true;
  }

  /**
   * A segment the index does not hold: deleted when every object in it is located in another
   * segment (one a merge or compaction dropped and was killed before deleting); otherwise left for
   * gc, which adopts it.
   */
  private async removeLeftover(integrity: Integrity, content: Buffer): Promise<void> {
    if (!hasTable(content)) return;
    let entries: Array<{ hex: string }>;
    try {
      entries = parseSegmentTable(content.subarray(TABLE_OFFSET, TABLE_OFFSET + content.readUInt32BE(TABLE_OFFSET - 4)));
    } catch {
      return;
    }
    const hex = integrityToHex(integrity);
    const elsewhere = (object: { hex: string }) => {
      const at = this.index.located.get(object.hex);
      return at !== undefined && at.segment !== hex;
    };
    if (entries.length > 0 && entries.every(elsewhere) && (await this.inner.delete(integrity))) this.report.rawRemoved += 1;
  }

  /** A tarball's recipe when one reproduces it and every file in it can be a packed object. */
  private async recipeOf(content: Buffer): Promise<Recipe | undefined> {
    if (content.byteLength > PACK_MAX_OBJECT_BYTES || content.readUInt32LE(content.byteLength - 4) > RECIPE_MAX_TAR_BYTES) return undefined;
    const recipe = await makeRecipe(content);
    if (recipe === undefined || recipe.parts.some((part) => part.content.byteLength > DELTA_MAX_BYTES)) return undefined;
    return recipe;
  }

  /**
   * Makes a recipe's part readable from the packs: it is already (or about to be, in this segment),
   * or it is packed now from the tarball's bytes: as the object it is when the store holds it raw
   * (its raw copy is deleted with the others), else as a ghost (located, kept for the recipe, not an
   * object of the store).
   */
  private async addPart(part: Recipe['parts'][number]): Promise<void> {
    if (this.pendingHex.has(part.hex) || this.index.located.has(part.hex)) return;
    const raw = (await this.inner.stat(hexToIntegrity(part.hex))) !== undefined;
    const entry = await encodeObject(part.hex, part.content);
    this.done.add(part.hex);
    this.pending.push(entry);
    this.pendingHex.add(part.hex);
    this.pendingContent.set(part.hex, { content: part.content, depth: 0 });
    this.pendingBytes += (entry.alone ?? entry.encoded).byteLength;
    if (!raw) this.ghosts.add(part.hex);
  }

  private async baseFor(hex: string, size: number): Promise<{ hex: string; content: Buffer; depth: number } | undefined> {
    if (size > DELTA_MAX_BYTES) return undefined;
    // the hinted base, or (its chain full) its nearest ancestor at FALLBACK_DEPTH or less
    let at: string | undefined = hex;
    for (let steps = 0; at !== undefined && steps <= MAX_DEPTH; steps++) {
      const pending = this.pendingContent.get(at);
      if (pending !== undefined) {
        if (pending.depth < MAX_DEPTH && (at === hex || pending.depth <= FALLBACK_DEPTH)) return { hex: at, ...pending };
        at = pending.base;
        continue;
      }
      const entry = this.index.located.get(at);
      if (entry === undefined || entry.size > DELTA_MAX_BYTES) return undefined;
      if (entry.depth < MAX_DEPTH && (at === hex || entry.depth <= FALLBACK_DEPTH)) {
        try {
          return { hex: at, content: await this.reader.contentOf(entry), depth: entry.depth };
        } catch {
          return undefined; // an unreadable base: encode without it
        }
      }
      at = entry.base;
    }
    return undefined;
  }

  /**
   * Segment durable, then its index line durable, then the raw copies deleted. Small segments
   * (earlier runs' few objects) are merged into it: their objects compressed again with the new
   * ones, then each dropped and deleted (a kill in between leaves a segment nothing locates, which
   * compaction drops).
   */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    const ghosts = [...this.ghosts];
    this.pending = [];
    this.pendingHex = new Set();
    this.ghosts = new Set();
    this.pendingContent = new Map();
    this.pendingBytes = 0;
    const merged = await this.smallSegments();
    const units = await unitsOf([...merged.flatMap((segment) => segment.objects), ...pending]);
    const { bytes, tableLength } = buildSegment(units, Date.now());
    this.report.storedBytes += units.reduce((sum, unit) => sum + unit.bytes.byteLength, 0);
    const segment = await this.inner.putBytes(bytes);
    ghosts.push(
      ...merged.flatMap((segment) => segment.objects.filter((object) => !this.index.live.has(object.hex)).map((object) => object.hex)),
    );
    await this.index.append(
      { add: integrityToHex(segment.integrity), t: tableLength, ...(ghosts.length > 0 ? { ghosts } : {}) },
      this.fence,
    );
    this.report.segments += 1;
    for (const { hex } of merged) {
      await this.index.append({ drop: hex }, this.fence);
      await this.inner.delete(hexToIntegrity(hex));
    }
    for (const entry of pending) await this.inner.delete(hexToIntegrity(entry.hex));
  }

  /** Segments under MERGE_BELOW bytes (up to a segment's worth in all), their objects decoded to their encoded bytes. */
  private async smallSegments(): Promise<Array<{ hex: string; objects: EncodedObject[] }>> {
    const below = Math.min(MERGE_BELOW, this.segmentBytes / 8);
    const small: Array<{ hex: string; objects: EncodedObject[] }> = [];
    let total = 0;
    for (const [hex, bytes] of this.index.segments) {
      if (bytes >= below || total + bytes > this.segmentBytes) continue;
      const located = [...this.index.located.values()].filter((entry) => entry.segment === hex);
      const content = await this.inner.getBytes(hexToIntegrity(hex)).catch(() => undefined);
      if (content === undefined || located.length === 0) continue; // gone, or nothing in it: for gc and fsck
      try {
        const blocks = new Map<number, Buffer>();
        const objects = located.map((entry): EncodedObject => {
          const unit = content.subarray(entry.offset, entry.offset + entry.length);
          let block = blocks.get(entry.offset);
          if (entry.slice !== undefined && block === undefined) {
            block = decodeBlock(unit);
            blocks.set(entry.offset, block);
          }
          const { hex: objectHex, size, codec, base, depth, packedAt, parts } = entry;
          return {
            hex: objectHex,
            size,
            codec,
            depth,
            packedAt,
            ...(base === undefined ? {} : { base }),
            ...(parts === undefined ? {} : { parts }),
            encoded: block === undefined ? encodedOf(entry, unit) : encodedOf(entry, block, true),
          };
        });
        small.push({ hex, objects });
        total += bytes;
      } catch {
        // a damaged segment stays as it is, for fsck
      }
    }
    return small;
  }
}

/** Bytes stored for these entries: each unit once, a block's members by their shares. */
function storedBytes(entries: PackEntry[]): number {
  const units = new Map<number, number>();
  let shares = 0;
  for (const entry of entries) {
    if (entry.slice === undefined) units.set(entry.offset, entry.length);
    else shares += entry.stored ?? entry.length;
  }
  return shares + [...units.values()].reduce((a, b) => a + b, 0);
}

/**
 * The units of a compacted segment: a unit whose members are all needed is copied as it is; the
 * needed members of a block that lost some are compressed again, together, in new blocks.
 */
async function keptUnits(content: Buffer, located: PackEntry[], kept: PackEntry[]): Promise<PendingUnit[]> {
  const byUnit = new Map<number, PackEntry[]>();
  for (const entry of kept) byUnit.set(entry.offset, [...(byUnit.get(entry.offset) ?? []), entry]);
  const pendingOf = ({ hex, size, codec, base, depth, packedAt, parts }: PackEntry) => ({
    hex,
    size,
    codec,
    depth,
    packedAt,
    ...(base === undefined ? {} : { base }),
    ...(parts === undefined ? {} : { parts }),
  });
  const units: PendingUnit[] = [];
  const survivors: EncodedObject[] = [];
  for (const [offset, members] of [...byUnit.entries()].sort(([a], [b]) => a - b)) {
    const bytes = content.subarray(offset, offset + (members[0]?.length ?? 0));
    const whole = located.filter((entry) => entry.offset === offset).length === members.length;
    let block: Buffer | undefined;
    if (!whole && members[0]?.slice !== undefined) {
      try {
        block = decodeBlock(bytes);
      } catch {
        block = undefined;
      }
    }
    if (block === undefined) {
      // all of it needed, one object, or a damaged block (copied as it is: fsck reports it)
      units.push({ bytes, entries: members.map((entry) => ({ ...pendingOf(entry), ...(entry.slice ? { slice: entry.slice } : {}) })) });
    } else {
      for (const entry of members) survivors.push({ ...pendingOf(entry), encoded: encodedOf(entry, block, true) });
    }
  }
  units.push(...(await unitsOf(survivors)));
  return units;
}

/** Rewrites segments whose needed bytes fell under half (docs/decisions/packed-storage.md, "gc inside packs"). */
export async function compactSegments(
  inner: BlobStore,
  index: PackIndex,
  fence?: PackLease,
): Promise<{ segmentsRewritten: number; freedBytes: number }> {
  await index.load();
  // live objects, and what reading them needs: delta bases and recipes' parts, transitively
  const needed = new Set<string>();
  const stack = [...index.live.keys()];
  for (let hex = stack.pop(); hex !== undefined; hex = stack.pop()) {
    if (needed.has(hex)) continue;
    needed.add(hex);
    const entry = index.located.get(hex);
    if (entry?.base !== undefined) stack.push(entry.base);
    if (entry?.parts !== undefined) stack.push(...entry.parts);
  }
  let segmentsRewritten = 0;
  let freedBytes = 0;
  for (const [segment, total] of [...index.segments]) {
    const located = [...index.located.values()].filter((entry) => entry.segment === segment);
    const kept = located.filter((entry) => needed.has(entry.hex));
    // a segment whose needed objects are at least half its units' bytes is left as it is (its table is not counted)
    if (located.length > 0 && storedBytes(kept) * 2 >= storedBytes(located)) continue;
    let newBytes = 0;
    if (kept.length > 0) {
      const content = await inner.getBytes(hexToIntegrity(segment));
      if (content === undefined) continue; // fsck reports it
      const units = await keptUnits(content, located, kept);
      const built = buildSegment(units, Date.now());
      const written = await inner.putBytes(built.bytes);
      const ghosts = kept.filter((entry) => !index.live.has(entry.hex)).map((entry) => entry.hex);
      await index.append({ add: integrityToHex(written.integrity), t: built.tableLength, ghosts }, fence);
      newBytes = built.bytes.byteLength;
    }
    await index.append({ drop: segment }, fence);
    await inner.delete(hexToIntegrity(segment));
    segmentsRewritten += 1;
    freedBytes += total - newBytes;
  }
  return { segmentsRewritten, freedBytes };
}
