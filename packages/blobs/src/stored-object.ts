import { open, stat } from 'node:fs/promises';
import { hexToIntegrity } from '@entropic/types';
import { BLOB_HEADER_SIZE, type BlobHeader, decodeBlobHeader, type StoredEncoding } from './blob-header.ts';
import type { BlobInfo } from './blob-store.ts';
import { ENCODINGS, type ObjectLayout, objectPath } from './object-layout.ts';
import { corruptObject, io, isMissing, storeError } from './store-error.ts';

/** A stored file of an object: its encoding, where it is, and what stat() reports of it. */
export interface StoredObject {
  encoding: StoredEncoding;
  path: string;
  info: BlobInfo;
}

type FileHandle = Awaited<ReturnType<typeof open>>;

/**
 * An encoded file opened with its header read; undefined when the file is missing, INTERNAL when
 * it is unreadable or its header is corrupt (the handle is closed then). The caller closes it.
 */
export async function openEncodedFile(path: string): Promise<{ handle: FileHandle; header: BlobHeader } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw storeError(error);
  }
  try {
    const bytes = Buffer.alloc(BLOB_HEADER_SIZE);
    const { bytesRead } = await io(handle.read(bytes, 0, BLOB_HEADER_SIZE, 0));
    const header = decodeBlobHeader(bytes.subarray(0, bytesRead));
    if (header === undefined) throw corruptObject();
    return { handle, header };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The header of an encoded file; undefined when the file is missing, INTERNAL when it is unreadable. */
export async function readHeader(path: string): Promise<{ header: BlobHeader; storedSize: number; mtime: Date } | undefined> {
  const opened = await openEncodedFile(path);
  if (opened === undefined) return undefined;
  try {
    const stats = await io(opened.handle.stat());
    return { header: opened.header, storedSize: stats.size, mtime: stats.mtime };
  } finally {
    await opened.handle.close();
  }
}

/** The object's file in one encoding (a stat, or a header read for encoded files); undefined when absent. */
export async function statStoredObject(layout: ObjectLayout, hex: string, encoding: StoredEncoding): Promise<StoredObject | undefined> {
  const path = objectPath(layout, hex, encoding);
  const integrity = hexToIntegrity(hex);
  if (encoding === 'raw') {
    try {
      const stats = await stat(path);
      return { encoding, path, info: { integrity, size: stats.size, storedSize: stats.size, mtime: stats.mtime } };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw storeError(error);
    }
  }
  const read = await readHeader(path);
  if (read === undefined) return undefined;
  return {
    encoding,
    path,
    info: { integrity, size: read.header.size, storedSize: read.storedSize, mtime: read.mtime },
  };
}

/** The object's file in the preferred encoding that exists; undefined when there is none. */
export async function findStoredObject(layout: ObjectLayout, hex: string): Promise<StoredObject | undefined> {
  for (const encoding of ENCODINGS) {
    const found = await statStoredObject(layout, hex, encoding);
    if (found !== undefined) return found;
  }
  return undefined;
}
