import type { BlobStore } from '@entropic/blobs';
import { appError, type Integrity } from '@entropic/types';
import { structuredPatch } from 'diff';

/** Bounds of the file browser and diffs: a hostile or huge package still makes a small, quick page. */
export const FILE_LIMITS = {
  /** a file larger than this is not shown inline (the raw link still serves it) */
  viewBytes: 512 * 1024,
  /** the bytes looked at to tell text from binary */
  sniffBytes: 8 * 1024,
  /** a changed file larger than this (either side) is listed, not diffed */
  diffFileBytes: 256 * 1024,
  /** changed files diffed inline; the rest are listed */
  diffFiles: 50,
  /** an edit script longer than this is "too many changes to show" (bounds the diff's time) */
  diffEditLength: 4000,
  /** entries listed in one directory */
  treeEntries: 2000,
};

const PREFIX = './package/';

export type FileContent = { kind: 'text'; text: string } | { kind: 'binary' } | { kind: 'too-large' };

export interface TreeEntry {
  /** the last segment */
  name: string;
  /** the path under the package root */
  path: string;
  kind: 'dir' | 'file';
  /** files: the content's integrity; directories: how many files are under it */
  integrity?: string;
  fileCount?: number;
}

/** The version's files as paths under the package root (without `./package/`). */
export function packageFiles(files: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, integrity] of Object.entries(files)) if (path.startsWith(PREFIX)) out.set(path.slice(PREFIX.length), integrity);
  return out;
}

/** What is at `path`: a file (its integrity), a directory, or nothing. */
export function locate(files: Map<string, string>, path: string): { kind: 'file'; integrity: string } | { kind: 'dir' } | undefined {
  const integrity = files.get(path);
  if (integrity) return { kind: 'file', integrity };
  if (path === '') return { kind: 'dir' };
  const dir = `${path}/`;
  for (const key of files.keys()) if (key.startsWith(dir)) return { kind: 'dir' };
  return undefined;
}

/** The entries of one directory (`''`: the root), directories first, then files, by name. */
export function listDirectory(files: Map<string, string>, dir: string): { entries: TreeEntry[]; more: number } {
  const prefix = dir === '' ? '' : `${dir}/`;
  const dirs = new Map<string, number>();
  const entries: TreeEntry[] = [];
  for (const [path, integrity] of files) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash === -1) entries.push({ name: rest, path, kind: 'file', integrity });
    else dirs.set(rest.slice(0, slash), (dirs.get(rest.slice(0, slash)) ?? 0) + 1);
  }
  const all = [
    ...[...dirs].map(([name, fileCount]): TreeEntry => ({ name, path: prefix + name, kind: 'dir', fileCount })),
    ...entries,
  ].sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'dir' ? -1 : 1));
  return { entries: all.slice(0, FILE_LIMITS.treeEntries), more: Math.max(0, all.length - FILE_LIMITS.treeEntries) };
}

/** A file's size and, when it is small enough and text (UTF-8 without NUL bytes), its text. */
export async function readFileContent(
  blobs: BlobStore,
  integrity: string,
  maxBytes: number,
): Promise<{ size: number; content: FileContent }> {
  const info = await blobs.stat(integrity as Integrity);
  if (!info) throw appError('OBJECT_NOT_FOUND', 'The file is missing from the blob store.');
  if (info.size > maxBytes) {
    const head = await readRange(blobs, integrity, Math.min(info.size, FILE_LIMITS.sniffBytes));
    return { size: info.size, content: decodeText(head) === undefined ? { kind: 'binary' } : { kind: 'too-large' } };
  }
  const bytes = (await blobs.getBytes(integrity as Integrity)) ?? Buffer.alloc(0);
  const text = decodeText(bytes);
  return { size: info.size, content: text === undefined ? { kind: 'binary' } : { kind: 'text', text } };
}

async function readRange(blobs: BlobStore, integrity: string, length: number): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const found = await blobs.get(integrity as Integrity, { start: 0, end: length - 1 });
  if (!found) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of found.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The text of the bytes, or undefined when they look binary (a NUL byte, or not UTF-8). */
function decodeText(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, FILE_LIMITS.sniffBytes).includes(0)) return undefined;
  try {
    return UTF8.decode(bytes);
  } catch {
    // a multi-byte character cut by a sniffed range is still text
    if (bytes.length === FILE_LIMITS.sniffBytes) return bytes.subarray(0, bytes.length - 4).toString('utf8');
    return undefined;
  }
}

export type FileChange =
  | { path: string; kind: 'added'; to: string }
  | { path: string; kind: 'removed'; from: string }
  | { path: string; kind: 'changed'; from: string; to: string };

/** Files whose hashes differ between two versions (content addressing: nothing else is read). */
export function changedFiles(from: Map<string, string>, to: Map<string, string>): { changes: FileChange[]; unchanged: number } {
  const changes: FileChange[] = [];
  let unchanged = 0;
  for (const [path, integrity] of to) {
    const before = from.get(path);
    if (before === undefined) changes.push({ path, kind: 'added', to: integrity });
    else if (before !== integrity) changes.push({ path, kind: 'changed', from: before, to: integrity });
    else unchanged++;
  }
  for (const [path, integrity] of from) if (!to.has(path)) changes.push({ path, kind: 'removed', from: integrity });
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes, unchanged };
}

export interface Hunk {
  oldStart: number;
  newStart: number;
  lines: string[];
}

export type FileDiff =
  | { kind: 'hunks'; hunks: Hunk[] }
  | { kind: 'binary' }
  | { kind: 'too-large' }
  | { kind: 'too-many-changes' }
  | { kind: 'not-shown' };

/** A line diff of two blobs (either may be absent: an added or removed file), bounded in size and time. */
export async function diffBlobs(blobs: BlobStore, from: string | undefined, to: string | undefined): Promise<FileDiff> {
  const read = async (integrity: string | undefined): Promise<FileContent> =>
    integrity === undefined ? { kind: 'text', text: '' } : (await readFileContent(blobs, integrity, FILE_LIMITS.diffFileBytes)).content;
  const [a, b] = await Promise.all([read(from), read(to)]);
  if (a.kind === 'binary' || b.kind === 'binary') return { kind: 'binary' };
  if (a.kind !== 'text' || b.kind !== 'text') return { kind: 'too-large' };
  const patch = structuredPatch('a', 'b', a.text, b.text, undefined, undefined, { context: 3, maxEditLength: FILE_LIMITS.diffEditLength });
  if (!patch) return { kind: 'too-many-changes' };
  return { kind: 'hunks', hunks: patch.hunks.map((h) => ({ oldStart: h.oldStart, newStart: h.newStart, lines: h.lines })) };
}
