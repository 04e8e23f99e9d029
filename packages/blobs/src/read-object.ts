import { close, createReadStream, open as fsOpen, fstat, read } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createBrotliDecompress } from 'node:zlib';
import type { BlobContent, ByteRange } from './blob-store.ts';
import { resolveRange, sliceBytes } from './byte-range.ts';
import { ENCODINGS, type ObjectLayout, objectPath } from './object-layout.ts';
import { isMissing, storeError } from './store-error.ts';
import { openEncodedFile } from './stored-object.ts';

/**
 * The content of an object, or the part `range` names: inline bytes when it is at most maxInline
 * bytes (and maxInline >= 0), a stream otherwise. Prefers the raw file; undefined when no file of
 * the object exists.
 */
export async function readObject(
  layout: ObjectLayout,
  hex: string,
  range: ByteRange | undefined,
  maxInline: number,
): Promise<BlobContent | undefined> {
  const raw = await openRawObject(objectPath(layout, hex, 'raw'), range, maxInline);
  if (raw !== undefined) return raw;
  for (const encoding of ENCODINGS) {
    if (encoding === 'raw') continue;
    const decoded = await openBrotliObject(objectPath(layout, hex, encoding), range, maxInline);
    if (decoded !== undefined) return decoded;
  }
  return undefined;
}

function emptyContent(maxInline: number): BlobContent {
  return maxInline >= 0 ? { bytes: Buffer.alloc(0), size: 0 } : { stream: Readable.from([], { objectMode: false }), size: 0 };
}

/**
 * A raw object through plain descriptors (FileHandle costs ~3× the CPU per small read): one
 * open, one fstat, then one read into a buffer (small content with maxInline) or a stream that
 * owns the descriptor. undefined when there is no raw file.
 */
export async function openRawObject(path: string, range: ByteRange | undefined, maxInline: number): Promise<BlobContent | undefined> {
  const fd = await fdOpen(path);
  if (fd === undefined) return undefined;
  let owned = false;
  try {
    const wanted = resolveRange(range, await fdSize(fd));
    const length = wanted.end - wanted.start + 1;
    if (length === 0) return emptyContent(maxInline);
    if (length <= maxInline) {
      const bytes = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const read = await fdRead(fd, bytes, filled, length - filled, wanted.start + filled);
        if (read === 0) break; // shorter than it was a moment ago: answer what is there
        filled += read;
      }
      return { bytes: filled === length ? bytes : bytes.subarray(0, filled), size: filled };
    }
    owned = true; // the stream closes the descriptor at its end or when destroyed
    return { stream: createReadStream(path, { fd, start: wanted.start, end: wanted.end }), size: length };
  } finally {
    if (!owned) fdClose(fd);
  }
}

/** A brotli object (header + payload), decoded as a stream; undefined when there is no such file. */
export async function openBrotliObject(path: string, range: ByteRange | undefined, maxInline: number): Promise<BlobContent | undefined> {
  const opened = await openEncodedFile(path);
  if (opened === undefined) return undefined;
  const { handle, header } = opened;
  try {
    const wanted = resolveRange(range, header.size);
    const length = wanted.end - wanted.start + 1;
    if (length === 0) {
      await handle.close();
      return emptyContent(maxInline);
    }
    const decoded = pipeline(handle.createReadStream({ start: header.headerLength }), createBrotliDecompress(), () => {});
    return { stream: Readable.from(sliceBytes(decoded, wanted), { objectMode: false }), size: length };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function fdOpen(path: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    fsOpen(path, 'r', (error, fd) => {
      if (error === null) resolve(fd);
      else if (isMissing(error)) resolve(undefined);
      else reject(storeError(error));
    });
  });
}

function fdSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fstat(fd, (error, stats) => (error === null ? resolve(stats.size) : reject(storeError(error))));
  });
}

function fdRead(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, offset, length, position, (error, bytesRead) => (error === null ? resolve(bytesRead) : reject(storeError(error))));
  });
}

function fdClose(fd: number): void {
  close(fd, () => {});
}
