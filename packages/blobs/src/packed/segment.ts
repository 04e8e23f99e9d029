import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { applyDelta, createDelta } from 'fossil-delta';
import { corruptObject } from '../store-error.ts';
import type { PackCodec, PackEntry } from './pack-index.ts';

/**
 * Segment layout (docs/decisions/packed-storage.md), version 2:
 *   "ENTPACK2" | u32 BE table length | table: brotli of the entries' JSON | payloads back to back
 * The table comes first so that a segment cut short keeps the objects before the cut, and the
 * index log names only the segment and its table's length (the table is read from the segment).
 * Version 1 segments ("ENTPACK1" | payloads | trailer JSON | u32 BE trailer length | "ENTPACKI"),
 * whose entries are in their index log lines, stay readable.
 */
export const SEGMENT_MAGIC = Buffer.from('ENTPACK2');
const SEGMENT_MAGIC_V1 = Buffer.from('ENTPACK1');
/** The table starts here: after the magic and its length. */
export const TABLE_OFFSET = SEGMENT_MAGIC.byteLength + 4;

/** True for the first bytes of a segment of either version (not an object's content: a repack skips it). */
export function isSegment(head: Buffer): boolean {
  const magic = head.subarray(0, SEGMENT_MAGIC.byteLength);
  return magic.equals(SEGMENT_MAGIC) || magic.equals(SEGMENT_MAGIC_V1);
}

/** An encoded object waiting to be written into a segment. */
export interface PendingEntry {
  hex: string;
  size: number;
  codec: PackCodec;
  base?: string;
  depth: number;
  payload: Buffer;
  /** codec tgz: the recipe's parts */
  parts?: string[];
  /** when it was first packed (kept by compaction); now when absent */
  packedAt?: number;
}

type TableRow = [
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
  pending: PendingEntry[],
  packedAt: number,
): { bytes: Buffer; entries: Omit<PackEntry, 'segment'>[]; tableLength: number } {
  const rows: TableRow[] = [];
  let relative = 0;
  for (const { payload, hex, size, codec, base, depth, packedAt: at, parts } of pending) {
    const row: TableRow = [hex, relative, payload.byteLength, size, codec, base ?? '', depth, at ?? packedAt];
    if (parts !== undefined) row.push(parts);
    rows.push(row);
    relative += payload.byteLength;
  }
  const table = brotliCompressSync(Buffer.from(JSON.stringify(rows)), BROTLI_PARAMS);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(table.byteLength);
  const bytes = Buffer.concat([SEGMENT_MAGIC, length, table, ...pending.map((entry) => entry.payload)]);
  return { bytes, entries: parseSegmentTable(table), tableLength: table.byteLength };
}

const CODECS = new Set<string>(['br', 'dbr', 'tgz']);

/** The entries of a version 2 segment from its table's bytes; throws on a damaged table. */
export function parseSegmentTable(table: Buffer): Omit<PackEntry, 'segment'>[] {
  const dataStart = TABLE_OFFSET + table.byteLength;
  const rows = JSON.parse(brotliDecompressSync(table).toString('utf8')) as TableRow[];
  if (!Array.isArray(rows)) throw new Error('not a segment table');
  return rows.map(([hex, offset, length, size, codec, base, depth, at, parts]) => {
    if (typeof hex !== 'string' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || !CODECS.has(codec)) {
      throw new Error('not a segment table');
    }
    if (codec === 'tgz' && !(Array.isArray(parts) && parts.every((part) => typeof part === 'string')))
      throw new Error('not a segment table');
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
    [constants.BROTLI_PARAM_QUALITY]: 9,
    [constants.BROTLI_PARAM_LGWIN]: 22,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_GENERIC,
  },
};

const compress = promisify(brotliCompress);
/** Up to this size brotli runs at its best quality (11): about 4× the time of 9, a few percent smaller, off the request path. */
const BEST_QUALITY_BYTES = 256 * 1024;

function brotliOf(bytes: Buffer): Promise<Buffer> {
  return compress(bytes, {
    params: {
      ...BROTLI_PARAMS.params,
      [constants.BROTLI_PARAM_QUALITY]: bytes.byteLength <= BEST_QUALITY_BYTES ? 11 : 9,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
    },
  });
}

/**
 * The smaller of brotli alone and, with a base, brotli of the fossil delta from it. Brotli runs on
 * libuv's thread pool, not on the event loop: a repack beside a serving process does not stall its
 * requests for the time of a batch.
 */
export async function encodeObject(
  hex: string,
  content: Buffer,
  base?: { hex: string; content: Buffer; depth: number },
): Promise<PendingEntry> {
  const whole = await brotliOf(content);
  if (base !== undefined) {
    const delta = await brotliOf(Buffer.from(createDelta(base.content, content)));
    if (delta.byteLength < whole.byteLength) {
      return { hex, size: content.byteLength, codec: 'dbr', base: base.hex, depth: base.depth + 1, payload: delta };
    }
  }
  return { hex, size: content.byteLength, codec: 'br', depth: 0, payload: whole };
}

/** The content from a payload (and the base's content for a delta), checked against its address. */
export function decodeObject(entry: PackEntry, payload: Buffer, base: Buffer | undefined): Buffer {
  let content: Buffer;
  try {
    const decoded = brotliDecompressSync(payload);
    if (entry.codec === 'br') content = decoded;
    else if (base !== undefined) content = Buffer.from(applyDelta(base, decoded, { verifyChecksum: true }));
    else throw corruptObject();
  } catch {
    throw corruptObject();
  }
  if (content.byteLength !== entry.size || createHash('sha512').update(content).digest('hex') !== entry.hex) throw corruptObject();
  return content;
}
