import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { createBrotliDecompress } from 'node:zlib';
import { hexToIntegrity, isAppError } from '@entropic/types';
import type { BlobContent, BlobStore, ByteRange } from '../blob-store.ts';
import { resolveRange } from '../byte-range.ts';
import { corruptObject } from '../store-error.ts';
import { DecodedCache } from './decoded-cache.ts';
import type { PackEntry, PackIndex } from './pack-index.ts';
import { decodeBlock, decodeObject, encodedOf, MAX_BLOCK_BYTES } from './segment.ts';
import { renderRecipe } from './tarball-recipe.ts';

/** Objects up to this size are decoded whole (checked against their hash, then cached); larger ones stream. */
export const WHOLE_DECODE_BYTES = 1024 * 1024;

/** Reads packed objects out of their segments in the inner store. */
export class PackedReader {
  /** decoded solid blocks (a delta chain or a recipe's parts often read several members of one) */
  private readonly blocks = new DecodedCache(8 * 1024 * 1024, MAX_BLOCK_BYTES);

  constructor(
    private readonly inner: BlobStore,
    private readonly index: PackIndex,
    private readonly cache: DecodedCache,
  ) {}

  /** The encoded bytes of an entry: one ranged read of its segment. */
  async payload(entry: PackEntry): Promise<Buffer> {
    const range = { start: entry.offset, end: entry.offset + entry.length - 1 };
    const content = await this.inner.get(hexToIntegrity(entry.segment), range, { maxInlineBytes: entry.length });
    if (content === undefined) throw corruptObject(); // the segment is gone
    const bytes = content.bytes ?? Buffer.concat(await content.stream.toArray());
    if (bytes.byteLength !== entry.length) throw corruptObject(); // truncated segment
    return bytes;
  }

  /** The encoded bytes of an entry: its unit read and decoded (a solid block once, then from the block cache unless fresh). */
  async encoded(entry: PackEntry, fresh = false): Promise<Buffer> {
    if (entry.slice === undefined) return encodedOf(entry, await this.payload(entry));
    const key = `${entry.segment}:${entry.offset}`;
    let block = fresh ? undefined : this.blocks.get(key);
    if (block === undefined) {
      block = decodeBlock(await this.payload(entry));
      this.blocks.set(key, block);
    }
    return encodedOf(entry, block, true);
  }

  /** The whole content of a located object (a delta chain is at most MAX_DEPTH long), checked against its hash. */
  async contentOf(entry: PackEntry, seen = 0, fresh = false): Promise<Buffer> {
    const cached = fresh ? undefined : this.cache.get(entry.hex);
    if (cached !== undefined) return cached;
    if (seen > 64) throw corruptObject(); // a cycle in a corrupt index
    if (entry.codec === 'tgz') {
      const content = Buffer.concat(await toArray(this.rendered(entry, seen, fresh)));
      if (content.byteLength !== entry.size || createHash('sha512').update(content).digest('hex') !== entry.hex) throw corruptObject();
      this.cache.set(entry.hex, content);
      return content;
    }
    let base: Buffer | undefined;
    if (entry.codec === 'dbr') {
      const baseEntry = entry.base === undefined ? undefined : this.index.located.get(entry.base);
      if (baseEntry === undefined) throw corruptObject(); // a missing delta base
      base = await this.contentOf(baseEntry, seen + 1);
    }
    const content = decodeObject(entry, await this.encoded(entry, fresh), base);
    this.cache.set(entry.hex, content);
    return content;
  }

  /** A tarball rebuilt from its recipe as it is compressed (unchecked: the caller checks its hash); corrupt on any failure. */
  private async *rendered(entry: PackEntry, seen: number, fresh = false): AsyncGenerator<Buffer> {
    const parts = entry.parts ?? [];
    const part = async (index: number): Promise<Buffer> => {
      const located = this.index.located.get(parts[index] ?? '');
      if (located === undefined) throw corruptObject(); // a part gone from the index
      return this.contentOf(located, seen + 1);
    };
    try {
      yield* renderRecipe(await this.encoded(entry, fresh), part);
    } catch (error) {
      throw isAppError(error) && error.code !== 'INTERNAL' ? error : corruptObject();
    }
  }

  async read(entry: PackEntry, range: ByteRange | undefined, maxInline: number): Promise<BlobContent> {
    const wanted = resolveRange(range, entry.size);
    const length = wanted.end - wanted.start + 1;
    if (entry.codec === 'tgz' && entry.size > WHOLE_DECODE_BYTES) {
      // a large tarball: rebuilt as it streams, its hash checked at its end
      return { stream: Readable.from(checkedSlice(this.rendered(entry, 0), wanted, entry), { objectMode: false }), size: length };
    }
    if (entry.codec !== 'br' || entry.size <= WHOLE_DECODE_BYTES || entry.slice !== undefined) {
      const slice = (await this.contentOf(entry)).subarray(wanted.start, wanted.end + 1);
      if (slice.byteLength <= maxInline) return { bytes: slice, size: slice.byteLength };
      return { stream: Readable.from([slice], { objectMode: false }), size: slice.byteLength };
    }
    // a large brotli object: decoded as it streams, never whole in memory
    const segmentRange = { start: entry.offset, end: entry.offset + entry.length - 1 };
    const encoded = await this.inner.get(hexToIntegrity(entry.segment), segmentRange);
    if (encoded === undefined) throw corruptObject();
    const decoded = pipeline(encoded.stream, createBrotliDecompress(), () => {});
    return { stream: Readable.from(checkedSlice(decoded, wanted, entry), { objectMode: false }), size: length };
  }
}

/**
 * Bytes range.start..range.end of the decoded stream; corrupt when it is longer than the content,
 * or shorter when read to its end; a whole read is hashed and fails at its end unless it matches.
 */
async function* checkedSlice(source: AsyncIterable<Buffer>, range: ByteRange, entry: PackEntry): AsyncGenerator<Buffer> {
  const size = entry.size;
  const hash = range.start === 0 && range.end === size - 1 ? createHash('sha512') : undefined;
  let position = 0;
  try {
    for await (const chunk of source) {
      const chunkStart = position;
      position += chunk.byteLength;
      if (position > size) throw corruptObject();
      hash?.update(chunk);
      if (position > range.start && chunkStart <= range.end) {
        yield chunk.subarray(Math.max(0, range.start - chunkStart), Math.min(chunk.byteLength, range.end + 1 - chunkStart));
      }
      if (position > range.end && range.end < size - 1) return;
    }
  } catch (error) {
    throw isAppError(error) ? error : corruptObject();
  }
  if (position !== size || (hash !== undefined && hash.digest('hex') !== entry.hex)) throw corruptObject();
}

async function toArray(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return chunks;
}
