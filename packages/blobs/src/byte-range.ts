import { appError } from '@entropic/types';
import type { ByteRange } from './blob-store.ts';
import { corruptObject } from './store-error.ts';

/**
 * The inclusive range to serve from content of `size` bytes: the whole content when no range is
 * given (end = -1 for empty content); an end past the last byte is clamped to it; a range that
 * is malformed or starts past the end → RANGE_NOT_SATISFIABLE.
 */
export function resolveRange(range: ByteRange | undefined, size: number): ByteRange {
  if (range === undefined) return { start: 0, end: size - 1 };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || start >= size) {
    throw appError('RANGE_NOT_SATISFIABLE');
  }
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Yields bytes start..end (inclusive) of a decoded content stream, then stops reading (which
 * destroys the source). Fails when the content ends before `end`.
 */
export async function* sliceBytes(source: AsyncIterable<Buffer>, range: ByteRange): AsyncGenerator<Buffer> {
  const { start, end } = range;
  if (end < start) return;
  let position = 0;
  for await (const chunk of source) {
    const chunkStart = position;
    position += chunk.byteLength;
    if (position > start) yield chunk.subarray(Math.max(0, start - chunkStart), Math.min(chunk.byteLength, end + 1 - chunkStart));
    if (position > end) return;
  }
  throw corruptObject();
}
