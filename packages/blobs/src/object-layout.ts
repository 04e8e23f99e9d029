import { dirname, join, resolve } from 'node:path';
import type { StoredEncoding } from './blob-header.ts';

/**
 * Where a filesystem blob store keeps things under its root:
 *   sha512/<hex[0..2]>/<hex[2..4]>/<hex>      raw: the bytes are the content
 *   sha512/<hex[0..2]>/<hex[2..4]>/<hex>.br   brotli: 16-byte header (see blob-header.ts) + payload
 *   tmp/<uuid>[.br]                           uploads in progress
 */
export interface ObjectLayout {
  readonly root: string;
  readonly objectsDir: string;
  readonly tmpDir: string;
}

/** File name suffix of each stored encoding; the order is the read preference. */
const SUFFIXES: Record<StoredEncoding, string> = { raw: '', brotli: '.br' };
/** Every stored encoding, in read preference order (raw first). */
export const ENCODINGS = Object.keys(SUFFIXES) as StoredEncoding[];
const OBJECT_NAME = /^([0-9a-f]{128})(\.br)?$/;
const BUCKET_NAME = /^[0-9a-f]{2}$/;

export function objectLayout(dir: string): ObjectLayout {
  const root = resolve(dir);
  return { root, objectsDir: join(root, 'sha512'), tmpDir: join(root, 'tmp') };
}

export function objectPath(layout: ObjectLayout, hex: string, encoding: StoredEncoding): string {
  return join(layout.objectsDir, hex.slice(0, 2), hex.slice(2, 4), hex + SUFFIXES[encoding]);
}

/** The directories from the leaf's parent up to the root (whose entries a new bucket adds). */
export function parentsOf(layout: ObjectLayout, leaf: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(leaf); dir.length >= layout.root.length; dir = dirname(dir)) dirs.push(dir);
  return dirs;
}

/** A fan-out directory name (`sha512/<2 hex>/<2 hex>`). */
export function isBucketName(name: string): boolean {
  return BUCKET_NAME.test(name);
}

/** The object a file in a bucket stores; undefined for a foreign file. */
export function parseObjectName(name: string): { hex: string; encoding: StoredEncoding } | undefined {
  const match = OBJECT_NAME.exec(name);
  const hex = match?.[1];
  if (hex === undefined) return undefined;
  return { hex, encoding: match?.[2] === undefined ? 'raw' : 'brotli' };
}
