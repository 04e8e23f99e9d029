import { createHash } from 'node:crypto';
import { PassThrough, pipeline, Readable, Transform } from 'node:stream';
import { createGunzip, createGzip, gunzipSync } from 'node:zlib';
import type { BlobStore } from '@entropic/blobs';
import { type CoreLimits, collisionKey, type PublishPart, parseFilePath } from '@entropic/core';
import { appError, type Integrity, isAppError, truncate } from '@entropic/types';
import tar from 'tar-stream';

/** npm's own fixed mtime for packed files (1985-10-26T08:15:00Z): a tarball is a function of its files. */
const FIXED_MTIME = new Date('1985-10-26T08:15:00.000Z');
const GZIP_OS_UNIX = 3;

export interface BuiltTarball {
  integrity: Integrity;
  shasum: string;
  size: number;
}

export interface TarballSource {
  /** stored path (`./package/…`) → integrity */
  files: Record<string, string>;
  /** a file to add, or to put in place of the stored one at that path (a generated or rewritten package.json) */
  extra?: { path: string; content: Buffer };
}

/**
 * Builds the npm tarball of a version from its stored files, deterministically: paths in code
 * unit order, regular files 0644, uid/gid 0, no user names, a fixed mtime, gzip level 9 with no
 * timestamp and a fixed OS byte. Streams blob → tar → gzip → blob store.
 */
export async function buildTarball(blobs: BlobStore, source: TarballSource): Promise<BuiltTarball> {
  const { extra } = source;
  const entries: Array<{ path: string; integrity?: string; content?: Buffer }> = Object.entries(source.files)
    .filter(([path]) => path !== extra?.path)
    .map(([path, integrity]) => ({ path, integrity }));
  if (extra) entries.push({ path: extra.path, content: extra.content });
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const pack = tar.pack();
  const sha1 = createHash('sha1');
  let size = 0;
  let pending: Buffer | undefined = Buffer.alloc(0);
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      let out = chunk;
      if (pending) {
        // zlib writes the OS it was built on; pin it so the bytes do not depend on the platform.
        pending = Buffer.concat([pending, chunk]);
        if (pending.length < 10) return done();
        out = pending;
        out[9] = GZIP_OS_UNIX;
        pending = undefined;
      }
      sha1.update(out);
      size += out.length;
      done(null, out);
    },
  });
  const gzip = createGzip({ level: 9 });
  const output = new PassThrough();
  pipeline(pack, gzip, tap, output, () => {});
  const writing = (async () => {
    for (const entry of entries) {
      const name = entry.path.replace(/^\.\//, '');
      const header = { name, mode: 0o644, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'file' as const };
      const content = entry.content;
      if (content) {
        await new Promise<void>((resolve, reject) =>
          pack.entry({ ...header, size: content.length }, content, (e) => (e ? reject(e) : resolve())),
        );
        continue;
      }
      const found = await blobs.get(entry.integrity as Integrity);
      if (!found) throw new Error(`blob ${entry.integrity} of ${entry.path} is missing`);
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ ...header, size: found.size }, (e) => (e ? reject(e) : resolve()));
        found.stream.on('error', reject);
        found.stream.pipe(sink);
      });
    }
    pack.finalize();
  })();
  writing.catch((error) => output.destroy(error));
  const [stored] = await Promise.all([blobs.put(output), writing]);
  return { integrity: stored.integrity, shasum: sha1.digest('hex'), size };
}

export interface TarballEntry {
  /** `package/<path>`, as a publish filename before encoding */
  path: string;
  size: number;
  stream: Readable;
}

/**
 * What a tarball may hold. `publish` (an `npm publish` to Entropic) refuses links, devices and
 * other non-file entries. `mirrored` (someone else's already-published bytes, fetched from the
 * upstream) accepts what npm accepts: links, devices and FIFOs are skipped (npm's extraction
 * skips links too) and reported to `onSkipped`, a contiguous file is a file, and empty or `.`
 * path segments are dropped. Both keep every rule for what is stored: no absolute or `..`
 * paths, no duplicates, the size and count limits.
 */
export interface ReadTarballOptions {
  mode?: 'publish' | 'mirrored';
  onSkipped?: (entry: { path: string; type: string }) => void;
}

/** Entry types a mirrored tarball may hold that are skipped, never stored (npm skips links as well). */
const SKIPPED_WHEN_MIRRORED = new Set(['symlink', 'link', 'character-device', 'block-device', 'fifo']);

/**
 * Reads a gzipped npm tarball entry by entry, refusing anything unsafe before it is used: links,
 * devices and other non-file entries (skipped instead in `mirrored` mode), absolute or `..` paths,
 * duplicates (also by case or Unicode normalisation), files or totals over the limits, and
 * compression bombs (inflated bytes are counted and capped). The first path segment is
 * stripped, as npm does.
 */
export async function* readTarball(bytes: Buffer, limits: CoreLimits, options: ReadTarballOptions = {}): AsyncGenerator<TarballEntry> {
  const mirrored = options.mode === 'mirrored';
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw appError('INVALID_TARBALL', 'The tarball is not gzip-compressed.');
  const maxInflated = limits.maxVersionBytes + (limits.maxFiles + 16) * 1536 + 1024 * 1024;
  let inflated = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      inflated += chunk.length;
      if (inflated > maxInflated) {
        done(
          appError(
            'VERSION_TOO_LARGE',
            `The tarball inflates to more than ${maxInflated} bytes (a version may hold ${limits.maxVersionBytes}).`,
          ),
        );
      } else done(null, chunk);
    },
  });
  const extract = tar.extract();
  const seen = new Set<string>();
  let files = 0;
  let total = 0;
  try {
    // a small tarball (nearly all) is inflated at once: the stream would make a thread-pool round
    // trip per 16 KiB inflated, each waiting for this thread on a busy machine
    const whole = inflateSmall(bytes, maxInflated, limits.maxVersionBytes);
    if (whole) pipeline(Readable.from([whole]), extract, () => {});
    else pipeline(Readable.from([bytes]), createGunzip(), counter, extract, () => {});
    for await (const entry of extract) {
      const header = entry.header;
      const raw = header.name;
      if (header.type === 'directory') {
        entry.resume();
        continue;
      }
      const type = mirrored && header.type === 'contiguous-file' ? 'file' : header.type;
      if (mirrored && type !== 'file' && SKIPPED_WHEN_MIRRORED.has(type ?? '')) {
        entry.resume();
        options.onSkipped?.({ path: truncate(raw), type: type ?? 'unknown' });
        continue;
      }
      if (type !== 'file') {
        throw appError('INVALID_TARBALL', `The tarball entry "${truncate(raw)}" is a ${header.type}; only regular files are accepted.`);
      }
      const path = entryPath(raw, mirrored);
      const key = collisionKey(path);
      if (seen.has(key))
        throw appError('DUPLICATE_PATH', `The tarball has "${truncate(path)}" twice (also by case or Unicode normalisation).`);
      seen.add(key);
      files += 1;
      if (files > limits.maxFiles) throw appError('TOO_MANY_FILES', `A version may have at most ${limits.maxFiles} files.`);
      const size = header.size ?? 0;
      if (size > limits.maxFileBytes) throw appError('FILE_TOO_LARGE', `"${truncate(path)}" is larger than ${limits.maxFileBytes} bytes.`);
      total += size;
      if (total > limits.maxVersionBytes)
        throw appError('VERSION_TOO_LARGE', `A version may hold at most ${limits.maxVersionBytes} bytes.`);
      yield { path, size, stream: entry as unknown as Readable };
      entry.resume();
    }
  } catch (error) {
    if (isAppError(error)) throw error;
    throw appError('INVALID_TARBALL', `The tarball could not be read: ${(error as Error).message}.`, { cause: error });
  } finally {
    extract.destroy();
  }
}

/** A gzipped tarball up to this size is inflated in one synchronous call (to at most `SYNC_INFLATE_MAX_OUTPUT`). */
const SYNC_INFLATE_MAX_INPUT = 256 * 1024;
const SYNC_INFLATE_MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * The inflated bytes of a small gzipped tarball, or undefined when it is not small or inflates to
 * more than `SYNC_INFLATE_MAX_OUTPUT` (the stream, which counts against `maxInflated`, reads it
 * then). Never allocates more than the smaller bound.
 */
function inflateSmall(bytes: Buffer, maxInflated: number, maxVersionBytes: number): Buffer | undefined {
  if (bytes.length > SYNC_INFLATE_MAX_INPUT) return undefined;
  const limit = Math.min(maxInflated, SYNC_INFLATE_MAX_OUTPUT);
  try {
    return gunzipSync(bytes, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw error;
    if (limit < maxInflated) return undefined;
    throw appError('VERSION_TOO_LARGE', `The tarball inflates to more than ${maxInflated} bytes (a version may hold ${maxVersionBytes}).`);
  }
}

/**
 * `package/lib/a.js` (any first segment, leading `./` allowed) → `package/lib/a.js`, validated.
 * `lenient` (mirrored tarballs) drops empty and `.` segments (`package//lib/./a.js`) as tar does.
 */
function entryPath(raw: string, lenient: boolean): string {
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw)) throw appError('INVALID_PATH', `The tarball entry "${truncate(raw)}" is absolute.`);
  if (raw.includes('\\')) throw appError('INVALID_PATH', `The tarball entry "${truncate(raw)}" contains a backslash.`);
  const segments = raw.split('/');
  if (segments.includes('..')) throw appError('INVALID_PATH', `The tarball entry "${truncate(raw)}" has a ".." segment.`);
  while (segments[0] === '.') segments.shift();
  segments.shift();
  const kept = lenient ? segments.filter((segment) => segment !== '' && segment !== '.') : segments;
  const path = `package/${kept.join('/')}`;
  parseFilePath(encodeURIComponent(path));
  return path;
}

/** Validates the whole tarball without storing anything; resolves the number of files. */
export async function inspectTarball(bytes: Buffer, limits: CoreLimits, options: ReadTarballOptions = {}): Promise<number> {
  let count = 0;
  for await (const entry of readTarball(bytes, limits, options)) {
    count += 1;
    entry.stream.resume();
  }
  if (count === 0) throw appError('INVALID_TARBALL', 'The tarball holds no files.');
  return count;
}

/** The tarball's files as publish parts (call inspectTarball first: this is the second pass). */
export async function* tarballParts(bytes: Buffer, limits: CoreLimits, options: ReadTarballOptions = {}): AsyncGenerator<PublishPart> {
  for await (const entry of readTarball(bytes, limits, options)) {
    yield { kind: 'file', filename: encodeURIComponent(entry.path), stream: entry.stream };
  }
}
