import { createHash } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { applyDelta, createDelta } from 'fossil-delta';
import { corruptObject } from '../store-error.ts';
import type { PackCodec, PackEntry } from './pack-index.ts';

/**
 * Segment layout (docs/decisions/packed-storage.md):
 *   "ENTPACK1" | payloads back to back | trailer JSON of the entries | u32 BE trailer length | "ENTPACKI"
 */
export const SEGMENT_MAGIC = Buffer.from('ENTPACK1');
const TRAILER_MAGIC = Buffer.from('ENTPACKI');

/** An encoded object waiting to be written into a segment. */
export interface PendingEntry {
  hex: string;
  size: number;
  codec: PackCodec;
  base?: string;
  depth: number;
  payload: Buffer;
}

/** The segment's bytes and its entries' positions in it. */
export function buildSegment(pending: PendingEntry[], packedAt: number): { bytes: Buffer; entries: Omit<PackEntry, 'segment'>[] } {
  const entries: Omit<PackEntry, 'segment'>[] = [];
  let offset = SEGMENT_MAGIC.byteLength;
  for (const { payload, ...rest } of pending) {
    entries.push({ ...rest, offset, length: payload.byteLength, packedAt });
    offset += payload.byteLength;
  }
  const trailer = Buffer.from(JSON.stringify(entries));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(trailer.byteLength);
  const bytes = Buffer.concat([SEGMENT_MAGIC, ...pending.map((entry) => entry.payload), trailer, length, TRAILER_MAGIC]);
  return { bytes, entries };
}

const BROTLI_PARAMS = {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 9,
    [constants.BROTLI_PARAM_LGWIN]: 22,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_GENERIC,
  },
};

/** The smaller of brotli alone and, with a base, brotli of the fossil delta from it. */
export function encodeObject(hex: string, content: Buffer, base?: { hex: string; content: Buffer; depth: number }): PendingEntry {
  const whole = brotliCompressSync(content, {
    ...BROTLI_PARAMS,
    params: { ...BROTLI_PARAMS.params, [constants.BROTLI_PARAM_SIZE_HINT]: content.byteLength },
  });
  if (base !== undefined) {
    const delta = brotliCompressSync(Buffer.from(createDelta(base.content, content)), BROTLI_PARAMS);
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
