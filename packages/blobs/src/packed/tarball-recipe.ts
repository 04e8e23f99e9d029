import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { crc32, gunzip } from 'node:zlib';
import { Deflate as Deflate3 } from 'pako-3';

/**
 * Gzipped tar archives (npm tarballs) stored as a recipe (docs/decisions/packed-storage.md,
 * "Tarballs as recipes"): the archive's files are objects of their own (the same files a version
 * stores), so a tarball is kept as its tar headers and padding (the skeleton), the addresses of its
 * files, and how to compress it again. A recipe is made only when compressing the rebuilt tar with
 * a pinned JavaScript deflate reproduces every byte of the original; reads rebuild it with the same
 * deflate and check its hash. The two pinned pako versions reproduce what most npm clients wrote:
 * pako 3 matches the zlib of current Node (npm 7+ on Node 18+, and Entropic's own built tarballs),
 * pako 2 matches the zlib of older Node releases. Their output never depends on the Node version.
 */

const require = createRequire(import.meta.url);
const { Deflate: Deflate2 } = require('pako-2') as { Deflate: typeof Deflate3 };

const DEFLATERS = { p3: Deflate3, p2: Deflate2 } as const;
export type Deflater = keyof typeof DEFLATERS;
/** What repack tries, most likely first. */
const TRIALS: Array<{ lib: Deflater; level: number }> = [
  { lib: 'p3', level: 9 },
  { lib: 'p2', level: 9 },
  { lib: 'p2', level: 6 },
  { lib: 'p3', level: 6 },
];
const INPUT_CHUNK = 64 * 1024;
const BLOCK = 512;

const gunzipAsync = promisify(gunzip);

/** Put the file's content (part `part` of the entry's parts, `size` bytes) at `at` of the skeleton. */
type Insert = [at: number, part: number, size: number];

interface RecipeHead {
  /** the gzip header's 10 bytes, hex */
  h: string;
  lib: Deflater;
  level: number;
  ins: Insert[];
}

export interface Recipe {
  /** the files, in the order the recipe's inserts name them (part i = parts[i]) */
  parts: Array<{ hex: string; content: Buffer }>;
  /** what is stored (compressed in the segment): the head's length, the head and the skeleton */
  encoded: Buffer;
}

/** True when the bytes may be a gzip member with no optional header fields (what npm clients write). */
export function looksLikeTarball(head: Buffer): boolean {
  return head.byteLength > 18 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08 && head[3] === 0x00;
}

/**
 * The recipe of a gzipped tar, or undefined when it is not one a pinned deflate reproduces exactly
 * (then it is stored like any other object). Files of `minPartBytes` or more become parts.
 */
export async function makeRecipe(tgz: Buffer, minPartBytes = 64): Promise<Recipe | undefined> {
  if (!looksLikeTarball(tgz)) return undefined;
  let tar: Buffer;
  try {
    tar = await gunzipAsync(tgz);
  } catch {
    return undefined;
  }
  if (tar.byteLength !== tgz.readUInt32LE(tgz.byteLength - 4)) return undefined; // more than one member, or trailing bytes
  const split = splitTar(tar, minPartBytes);
  if (split === undefined) return undefined;
  const expected = tgz.subarray(10, tgz.byteLength - 8);
  const trial = TRIALS.find(({ lib, level }) => reproduces(DEFLATERS[lib], level, tar, expected));
  if (trial === undefined) return undefined;
  const head: RecipeHead = { h: tgz.subarray(0, 10).toString('hex'), lib: trial.lib, level: trial.level, ins: split.inserts };
  const json = Buffer.from(JSON.stringify(head));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.byteLength);
  return { parts: split.parts, encoded: Buffer.concat([length, json, split.skeleton]) };
}

/**
 * The tarball's bytes from its recipe and its parts' contents (asked for one at a time, in order),
 * as they are compressed; the caller checks the hash of the whole.
 */
export async function* renderRecipe(decoded: Buffer, part: (index: number) => Promise<Buffer>): AsyncGenerator<Buffer> {
  const jsonLength = decoded.readUInt32BE(0);
  const head = JSON.parse(decoded.subarray(4, 4 + jsonLength).toString('utf8')) as RecipeHead;
  const skeleton = decoded.subarray(4 + jsonLength);
  const Deflate = DEFLATERS[head.lib];
  if (Deflate === undefined || !Array.isArray(head.ins)) throw new Error('not a tarball recipe');
  const deflate = new Deflate({ level: head.level, raw: true });
  let out: Buffer[] = [];
  deflate.onData = (chunk: Uint8Array) => {
    out.push(Buffer.from(chunk));
  };
  let crc = 0;
  let size = 0;
  const feed = (bytes: Buffer, last: boolean): Buffer[] => {
    for (let at = 0; at < bytes.byteLength || (last && at === 0); at += INPUT_CHUNK) {
      const chunk = bytes.subarray(at, at + INPUT_CHUNK);
      const final = last && at + INPUT_CHUNK >= bytes.byteLength;
      if (!deflate.push(chunk, final)) throw new Error('deflate failed');
      if (final) break;
    }
    crc = crc32(bytes, crc);
    size += bytes.byteLength;
    const ready = out;
    out = [];
    return ready;
  };
  yield Buffer.from(head.h, 'hex');
  let position = 0;
  for (const [at, index, length] of head.ins) {
    yield* feed(skeleton.subarray(position, at), false);
    const content = await part(index);
    if (content.byteLength !== length) throw new Error('a part of the recipe has the wrong size');
    yield* feed(content, false);
    position = at;
    await new Promise<void>((resolve) => setImmediate(resolve)); // let requests in between files
  }
  yield* feed(skeleton.subarray(position), true);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  yield trailer;
}

/** The tar with the contents of its regular files taken out (the skeleton), where they go, and the files. */
function splitTar(tar: Buffer, minPartBytes: number): { skeleton: Buffer; inserts: Insert[]; parts: Recipe['parts'] } | undefined {
  const pieces: Buffer[] = [];
  const inserts: Insert[] = [];
  const parts: Recipe['parts'] = [];
  const partIndex = new Map<string, number>();
  let skeletonLength = 0;
  let copiedTo = 0;
  let offset = 0;
  while (offset + BLOCK <= tar.byteLength) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break; // the end of the archive: the rest is padding
    const size = octal(header.subarray(124, 136));
    if (size === undefined) return undefined; // base-256 sizes and broken headers: not for a recipe
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + BLOCK;
    if (start + size > tar.byteLength) return undefined;
    if ((type === '0' || type === '\0' || type === '7') && size >= minPartBytes) {
      const content = tar.subarray(start, start + size);
      pieces.push(tar.subarray(copiedTo, start));
      skeletonLength += start - copiedTo;
      const hex = createHash('sha512').update(content).digest('hex');
      let index = partIndex.get(hex);
      if (index === undefined) {
        index = parts.length;
        partIndex.set(hex, index);
        parts.push({ hex, content });
      }
      inserts.push([skeletonLength, index, size]);
      copiedTo = start + size;
    } else if (type === 'x' && /(^|\n)\d+ size=/.test(tar.subarray(start, start + size).toString('latin1'))) {
      return undefined; // a pax size overrides the header's: not for a recipe
    }
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  pieces.push(tar.subarray(copiedTo));
  return { skeleton: Buffer.concat(pieces), inserts, parts };
}

function octal(field: Buffer): number | undefined {
  if (((field[0] ?? 0) & 0x80) !== 0) return undefined;
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]*$/.test(text)) return undefined;
  return text.length === 0 ? 0 : Number.parseInt(text, 8);
}

/** True when deflating `input` gives exactly `expected`; stops at the first difference. */
function reproduces(Deflate: typeof Deflate3, level: number, input: Buffer, expected: Buffer): boolean {
  const deflate = new Deflate({ level, raw: true });
  let position = 0;
  let same = true;
  deflate.onData = (chunk: Uint8Array) => {
    if (!same) return;
    if (position + chunk.byteLength > expected.byteLength || !expected.subarray(position, position + chunk.byteLength).equals(chunk)) {
      same = false;
    }
    position += chunk.byteLength;
  };
  for (let at = 0; at < input.byteLength && same; at += INPUT_CHUNK) {
    const final = at + INPUT_CHUNK >= input.byteLength;
    if (!deflate.push(input.subarray(at, at + INPUT_CHUNK), final)) return false;
  }
  if (input.byteLength === 0 && !deflate.push(input, true)) return false;
  return same && position === expected.byteLength;
}
