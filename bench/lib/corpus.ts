import { createCipheriv, createHash } from 'node:crypto';
import type { PublishFile } from './multipart.ts';

/** A small, fast, seeded PRNG (mulberry32): the corpus is the same on every run. */
export function prng(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'const let function return export import from default async await if else for while of in new this ' +
  'value result options config module require promise resolve reject error message name version files ' +
  'package registry object buffer stream request response header status cache token digest integrity ' +
  'undefined null true false length index count offset limit start end key map set push slice'
).split(' ');
const PUNCT = [' ', ' ', ' ', ' = ', '(', ')', '.', ', ', ';\n', ' {\n  ', '\n}\n', ' => ', ': ', "'", '[', ']'];

/** Source-like text of exactly `size` bytes, deterministic for `seed`. */
export function sourceText(seed: string, size: number): Buffer {
  const random = prng(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const word = WORDS[Math.floor(random() * WORDS.length)] as string;
    const punct = PUNCT[Math.floor(random() * PUNCT.length)] as string;
    const number = random() < 0.1 ? String(Math.floor(random() * 10_000)) : '';
    const piece = word + number + punct;
    parts.push(piece);
    length += piece.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

/** Incompressible bytes of exactly `size`, deterministic for `seed` (AES-CTR keystream: fast). */
export function binaryBytes(seed: string, size: number): Buffer {
  const digest = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-128-ctr', digest.subarray(0, 16), digest.subarray(16, 32));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]).subarray(0, size);
}

export interface CorpusVersion {
  version: string;
  files: PublishFile[];
  dependencies: Record<string, string>;
}

export interface CorpusPackage {
  name: string;
  versions: CorpusVersion[];
}

export interface Corpus {
  namespace: string;
  packages: CorpusPackage[];
  /** the package that holds the 10 KB, 5 MB and 50 MB objects */
  objects: { name: string; version: string; files: PublishFile[] };
  totalVersions: number;
  totalBytes: number;
}

export const OBJECT_FILES = { small: 'small.bin', medium: 'medium.bin', large: 'large.bin' } as const;

/**
 * 20 packages: five with 30–40 versions, the rest with 1–8; every version has 2–12 files
 * totalling 10–200 KB of source-like text, and a few dependencies. `quick` caps versions at 6.
 */
export function generateCorpus(namespace: string, options: { quick: boolean }): Corpus {
  const random = prng('entropic-bench-corpus-v1');
  const packages: CorpusPackage[] = [];
  let totalBytes = 0;
  let totalVersions = 0;
  const bigCounts = [30, 33, 36, 38, 40];
  for (let p = 0; p < 20; p++) {
    const name = `pkg-${String(p).padStart(2, '0')}`;
    let count = p < bigCounts.length ? (bigCounts[p] as number) : 1 + Math.floor(random() * 8);
    if (options.quick) count = Math.min(count, 6);
    const versions: CorpusVersion[] = [];
    for (let v = 0; v < count; v++) {
      const version = `1.${Math.floor(v / 10)}.${v % 10}`;
      const total = 10 * 1024 + Math.floor(random() * 190 * 1024);
      const fileCount = 2 + Math.floor(random() * 11);
      const files: PublishFile[] = [];
      let left = total;
      for (let f = 0; f < fileCount; f++) {
        const size = f === fileCount - 1 ? left : Math.max(1, Math.floor(total / fileCount));
        left -= size;
        const path = f === 0 ? 'package.json' : f === 1 ? 'README.md' : `lib/file-${f}.js`;
        files.push({ path, content: sourceText(`${name}@${version}/${path}`, size) });
      }
      const dependencies: Record<string, string> = { [`${namespace}/pkg-${String((p + 1) % 20).padStart(2, '0')}`]: '^1.0.0' };
      if (p % 3 === 0) dependencies['left-pad'] = '^1.3.0';
      versions.push({ version, files, dependencies });
      totalBytes += total;
      totalVersions++;
    }
    packages.push({ name, versions });
  }
  const objectFiles: PublishFile[] = [
    { path: OBJECT_FILES.small, content: binaryBytes('object-10k', 10 * 1024) },
    { path: OBJECT_FILES.medium, content: binaryBytes('object-5m', 5 * 1024 * 1024) },
    { path: OBJECT_FILES.large, content: binaryBytes('object-50m', 50 * 1024 * 1024) },
  ];
  return {
    namespace,
    packages,
    objects: { name: 'objects', version: '1.0.0', files: objectFiles },
    totalVersions: totalVersions + 1,
    totalBytes: totalBytes + objectFiles.reduce((sum, f) => sum + f.content.length, 0),
  };
}
