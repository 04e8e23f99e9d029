import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { applyDelta, createDelta } from 'fossil-delta';
import { corruptObject } from '../store-error.ts';
import type { PackCodec, PackEntry } from './pack-index.ts';

/**
 * Segment layout (docs/decisions/packed-storage.md), version 3:
 *   "ENTPACK3" | u32 BE table length | table: brotli of the entries | units back to back
 * A unit is brotli of one or more objects' encoded bytes (a solid block: small objects compressed
 * together share their context); an entry names its unit and, in a block, its slice of the unit's
 * decoded bytes. The table comes first so that a segment cut short keeps the objects before the
 * cut, and the index log names only the segment and its table's length (the table is read from
 * the segment). Version 2 ("ENTPACK2", one unit per object, a JSON table) and version 1
 * ("ENTPACK1" | payloads | trailer JSON | u32 BE trailer length | "ENTPACKI", entries in their index
 * log lines) stay readable.
 */
export const SEGMENT_MAGIC = Buffer.from('ENTPACK3');
const SEGMENT_MAGIC_V2 = Buffer.from('ENTPACK2');
const SEGMENT_MAGIC_V1 = Buffer.from('ENTPACK1');
/** The table starts here: after the magic and its length. */
export const TABLE_OFFSET = SEGMENT_MAGIC.byteLength + 4;
/** The first byte of a version 3 table's decoded bytes (a version 2 table is JSON: "["). */
const TABLE_V3 = 3;
const ADDRESS_BYTES = 64;

/** True for the first bytes of a segment of any version (not an object's content: a repack skips it). */
export function isSegment(head: Buffer): boolean {
  const magic = head.subarray(0, SEGMENT_MAGIC.byteLength);
  return magic.equals(SEGMENT_MAGIC) || magic.equals(SEGMENT_MAGIC_V2) || magic.equals(SEGMENT_MAGIC_V1);
}

/** True for the first bytes of a segment whose entries are in a table at its start (version 2 or 3). */
export function hasTable(head: Buffer): boolean {
  const magic = head.subarray(0, SEGMENT_MAGIC.byteLength);
  return magic.equals(SEGMENT_MAGIC) || magic.equals(SEGMENT_MAGIC_V2);
}

/** An object placed in a unit of a segment being written. */
export interface PendingEntry {
  hex: string;
  size: number;
  codec: PackCodec;
  base?: string;
  depth: number;
  /** codec tgz: the recipe's parts */
  parts?: string[];
  /** when it was first packed (kept by compaction); now when absent */
  packedAt?: number;
  /** its encoded bytes are this slice of the unit's decoded bytes (absent: all of them) */
  slice?: [start: number, length: number];
}

/** A unit: its bytes (brotli of its members' encoded bytes, back to back) and its members. */
export interface PendingUnit {
  bytes: Buffer;
  entries: PendingEntry[];
}

/** A row of a version 3 table (the address is in the table's address block, in row order). */
type TableRowV3 = [
  unit: number,
  size: number,
  codec: PackCodec,
  /** '' none, a number: the row of that base in this segment, a string: its hex */
  base: string | number,
  depth: number,
  /** ms after the table's `t` */
  packedAt: number,
  parts?: Array<string | number> | 0,
  start?: number,
  length?: number,
];

type TableRowV2 = [
  hex: string,
  offset: number,
  length: number,
  size: number,
  codec: PackCodec,
  base: string,
  depth: number,
  packedAt: number,
  parts?: string[],
];

/** The segment's bytes, its entries' positions in it, and its table's length (for the index log line). */
export function buildSegment(
  units: PendingUnit[],
  packedAt: number,
): { bytes: Buffer; entries: Omit<PackEntry, 'segment'>[]; tableLength: number } {
  const entries = units.flatMap((unit) => unit.entries);
  const rowOf = new Map(entries.map((entry, i) => [entry.hex, i]));
  const ref = (hex: string) => rowOf.get(hex) ?? hex;
  const rows: TableRowV3[] = [];
  for (const [u, unit] of units.entries()) {
    for (const { size, codec, base, depth, packedAt: at, parts, slice } of unit.entries) {
      const row: TableRowV3 = [u, size, codec, base === undefined ? '' : ref(base), depth, (at ?? packedAt) - packedAt];
      if (parts !== undefined || slice !== undefined) row.push(parts === undefined ? 0 : parts.map(ref));
      if (slice !== undefined) row.push(...slice);
      rows.push(row);
    }
  }
  const json = Buffer.from(JSON.stringify({ t: packedAt, u: units.map((unit) => unit.bytes.byteLength), r: rows }));
  const head = Buffer.alloc(5);
  head.writeUInt8(TABLE_V3, 0);
  head.writeUInt32BE(entries.length, 1);
  const addresses = Buffer.concat(entries.map((entry) => Buffer.from(entry.hex, 'hex')));
  const table = brotliCompressSync(Buffer.concat([head, addresses, json]), BROTLI_PARAMS);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(table.byteLength);
  const bytes = Buffer.concat([SEGMENT_MAGIC, length, table, ...units.map((unit) => unit.bytes)]);
  return { bytes, entries: parseSegmentTable(table), tableLength: table.byteLength };
}

const CODECS = new Set<string>(['br', 'dbr', 'tgz']);

function notTable(): never {
  throw new Error('not a segment table');
}

/** The entries of a version 2 or 3 segment from its table's bytes; throws on a damaged table. */
export function parseSegmentTable(table: Buffer): Omit<PackEntry, 'segment'>[] {
  const dataStart = TABLE_OFFSET + table.byteLength;
  const decoded = brotliDecompressSync(table);
  if (decoded[0] !== TABLE_V3) return parseTableV2(decoded, dataStart);
  const count = decoded.readUInt32BE(1);
  const jsonAt = 5 + count * ADDRESS_BYTES;
  if (decoded.byteLength < jsonAt) notTable();
  const hexOf = (row: number) => decoded.subarray(5 + row * ADDRESS_BYTES, 5 + (row + 1) * ADDRESS_BYTES).toString('hex');
  const { t, u, r } = JSON.parse(decoded.subarray(jsonAt).toString('utf8')) as { t: number; u: number[]; r: TableRowV3[] };
  if (!Number.isSafeInteger(t) || !Array.isArray(u) || !Array.isArray(r) || r.length !== count) notTable();
  const offsets: number[] = [];
  let at = dataStart;
  for (const length of u) {
    if (!Number.isSafeInteger(length)) notTable();
    offsets.push(at);
    at += length;
  }
  const deref = (ref: unknown): string => {
    if (typeof ref === 'number' && Number.isSafeInteger(ref) && ref >= 0 && ref < count) return hexOf(ref);
    if (typeof ref === 'string') return ref;
    return notTable();
  };
  const entries = r.map(([unit, size, codec, base, depth, packedAt, parts, start, length], row) => {
    const offset = offsets[unit];
    if (offset === undefined || !Number.isSafeInteger(size) || !CODECS.has(codec) || !Number.isSafeInteger(depth)) notTable();
    if (codec === 'tgz' && !Array.isArray(parts)) notTable();
    const slice: [number, number] | undefined = start === undefined ? undefined : [start, length ?? notTable()];
    return {
      hex: hexOf(row),
      offset,
      length: u[unit] as number,
      size,
      codec,
      ...(base === '' ? {} : { base: deref(base) }),
      depth,
      packedAt: t + packedAt,
      ...(Array.isArray(parts) ? { parts: parts.map(deref) } : {}),
      ...(slice === undefined ? {} : { slice }),
    };
  });
  return withShares(entries);
}

/** Each block member's share of its block's stored bytes, in proportion to its encoded bytes. */
function withShares(entries: Omit<PackEntry, 'segment'>[]): Omit<PackEntry, 'segment'>[] {
  const decoded = new Map<number, number>();
  for (const { offset, slice } of entries) if (slice) decoded.set(offset, (decoded.get(offset) ?? 0) + slice[1]);
  return entries.map((entry) =>
    entry.slice === undefined
      ? entry
      : { ...entry, stored: Math.round((entry.length * entry.slice[1]) / (decoded.get(entry.offset) || 1)) },
  );
}

function parseTableV2(decoded: Buffer, dataStart: number): Omit<PackEntry, 'segment'>[] {
  const rows = JSON.parse(decoded.toString('utf8')) as TableRowV2[];
  if (!Array.isArray(rows)) notTable();
  return rows.map(([hex, offset, length, size, codec, base, depth, at, parts]) => {
    if (typeof hex !== 'string' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || !CODECS.has(codec)) notTable();
    if (codec === 'tgz' && !(Array.isArray(parts) && parts.every((part) => typeof part === 'string'))) notTable();
    return {
      hex,
      offset: dataStart + offset,
      length,
      size,
      codec,
      ...(base ? { base } : {}),
      depth,
      packedAt: at,
      ...(parts ? { parts } : {}),
    };
  });
}

const BROTLI_PARAMS = {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 11,
    [constants.BROTLI_PARAM_LGWIN]: 22,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_GENERIC,
  },
};

const compress = promisify(brotliCompress);

function brotliOf(bytes: Buffer, quality: number): Promise<Buffer> {
  return compress(bytes, {
    params: { ...BROTLI_PARAMS.params, [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength },
  });
}

/**
 * Objects whose encoded bytes are up to BLOCK_MEMBER_BYTES are compressed together, in packing
 * order (a version's files and documents after the previous version's), in solid blocks of up to
 * BLOCK_BYTES decoded: a read decodes at most one block per delta applied. On the bench's release
 * histories this stores about a third less than brotli of each object alone.
 */
export const BLOCK_BYTES = 512 * 1024;
const BLOCK_MEMBER_BYTES = 128 * 1024;
/** What a reader accepts as a block's decoded size (blocks written with a larger BLOCK_BYTES stay readable). */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

/** An object encoded for a segment, before it is placed in a unit. */
export interface EncodedObject extends Omit<PendingEntry, 'slice'> {
  /** the encoded bytes: the content (br), a fossil delta (dbr) or a recipe (tgz) */
  encoded: Buffer;
  /** brotli of `encoded` alone, when computed (used as its unit when it is packed alone) */
  alone?: Buffer;
}

/**
 * The smaller of brotli alone and, with a base, brotli of the fossil delta from it (compared at
 * quality 9; the stored unit is compressed at 11). Brotli runs on libuv's thread pool, not on the
 * event loop: a repack beside a serving process does not stall its requests for a batch.
 */
export async function encodeObject(
  hex: string,
  content: Buffer,
  base?: { hex: string; content: Buffer; depth: number },
): Promise<EncodedObject> {
  const whole = await brotliOf(content, 9);
  if (base !== undefined) {
    const delta = Buffer.from(createDelta(base.content, content));
    const alone = await brotliOf(delta, 9);
    if (alone.byteLength < whole.byteLength) {
      return { hex, size: content.byteLength, codec: 'dbr', base: base.hex, depth: base.depth + 1, encoded: delta, alone };
    }
  }
  return { hex, size: content.byteLength, codec: 'br', depth: 0, encoded: content, alone: whole };
}

/** Places encoded objects in units: solid blocks of small ones, in order, and larger ones alone. */
export async function unitsOf(objects: EncodedObject[]): Promise<PendingUnit[]> {
  const units: PendingUnit[] = [];
  let block: EncodedObject[] = [];
  let blockBytes = 0;
  const close = async () => {
    if (block.length === 0) return;
    const members = block;
    block = [];
    blockBytes = 0;
    let start = 0;
    const entries = members.map(({ encoded, alone: _alone, ...entry }) => {
      const slice: [number, number] = [start, encoded.byteLength];
      start += encoded.byteLength;
      return members.length === 1 ? entry : { ...entry, slice };
    });
    units.push({ bytes: await brotliOf(Buffer.concat(members.map((member) => member.encoded)), 11), entries });
  };
  for (const object of objects) {
    if (object.encoded.byteLength > BLOCK_MEMBER_BYTES) {
      const { encoded, alone, ...entry } = object;
      units.push({ bytes: alone ?? (await brotliOf(encoded, encoded.byteLength <= BLOCK_BYTES ? 11 : 9)), entries: [entry] });
      continue;
    }
    if (blockBytes + object.encoded.byteLength > BLOCK_BYTES) await close();
    block.push(object);
    blockBytes += object.encoded.byteLength;
  }
  await close();
  return units;
}

/** The encoded bytes of an entry from its unit's bytes (decoded: a block's decoded bytes may be given). */
export function encodedOf(entry: PackEntry, unit: Buffer, decoded = false): Buffer {
  try {
    const bytes = decoded ? unit : brotliDecompressSync(unit);
    if (entry.slice === undefined) return bytes;
    const [start, length] = entry.slice;
    if (start + length > bytes.byteLength) throw corruptObject();
    return bytes.subarray(start, start + length);
  } catch {
    throw corruptObject();
  }
}

/** A block's decoded bytes (at most MAX_BLOCK_BYTES: a damaged block does not inflate without bound); corrupt when it does not decode. */
export function decodeBlock(unit: Buffer): Buffer {
  try {
    return brotliDecompressSync(unit, { maxOutputLength: MAX_BLOCK_BYTES });
  } catch {
    throw corruptObject();
  }
}

/** The content from its encoded bytes (and the base's content for a delta), checked against its address. */
export function decodeObject(entry: PackEntry, encoded: Buffer, base: Buffer | undefined): Buffer {
  let content: Buffer;
  try {
    if (entry.codec === 'br') content = encoded;
    else if (base !== undefined) content = Buffer.from(applyDelta(base, encoded, { verifyChecksum: true }));
    else throw corruptObject();
  } catch {
    throw corruptObject();
  }
  if (content.byteLength !== entry.size || createHash('sha512').update(content).digest('hex') !== entry.hex) throw corruptObject();
  return content;
}
