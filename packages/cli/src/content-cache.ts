import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { computeIntegrity, verifyIntegrity } from '@entropic/client';
import type { PackageDocument } from '@entropic/types';

/** Default cache directory, shared by every project of the user. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.ENTROPIC_CACHE) return env.ENTROPIC_CACHE;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'entropic');
}

/** A package document (or, under `npm:<name>`, an npm view) with what revalidating it needs. */
export interface CachedPackage<T = PackageDocument> {
  registry: string;
  name: string;
  etag: string | undefined;
  fetchedAt: string;
  /** until when (ms since the epoch) the document is fresh: used without asking the registry (its Cache-Control max-age) */
  freshUntil?: number;
  document: T;
}

export type ContentCache = ReturnType<typeof createContentCache>;

/**
 * A content-addressed store: `content/sha512/<hex[0:2]>/<hex[2:]>`. Content is written to
 * `tmp/`, verified against its integrity, then renamed into place, so a file under `content/`
 * always matches its name. Package documents (metadata) live under `packages/`, keyed by
 * registry and name, with their ETag for revalidation.
 */
export function createContentCache(root: string) {
  const tmpDir = join(root, 'tmp');
  // Directories this process already made (256 fan-out directories serve thousands of files).
  // The cache's file operations are synchronous: the files are small and already in memory, and
  // a thread-pool round trip per call cost more CPU (and far more latency on a busy machine)
  // than the calls themselves (issue 11.4, measured with --cpu-prof).
  const madeDirs = new Set<string>();
  const ensureDir = (dir: string) => {
    if (madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  };

  function contentPath(integrity: string): string {
    const hex = Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex');
    return join(root, 'content', 'sha512', hex.slice(0, 2), hex.slice(2));
  }

  function metadataPath(registry: string, name: string): string {
    const key = createHash('sha256').update(`${registry}\n${name}`).digest('hex');
    return join(root, 'packages', key.slice(0, 2), `${key.slice(2)}.json`);
  }

  async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
    ensureDir(tmpDir);
    const temp = join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    writeFileSync(temp, data);
    try {
      ensureDir(dirname(path));
      try {
        renameSync(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // the directory went away since this process made it (a cache cleaned meanwhile)
        mkdirSync(dirname(path), { recursive: true });
        renameSync(temp, path);
      }
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  return {
    root,
    contentPath,

    async has(integrity: string): Promise<boolean> {
      try {
        return statSync(contentPath(integrity)).isFile();
      } catch {
        return false;
      }
    },

    /** The bytes, re-verified (used for small documents that are parsed and trusted). */
    async read(integrity: string): Promise<Buffer | undefined> {
      let bytes: Buffer;
      try {
        bytes = readFileSync(contentPath(integrity));
      } catch {
        return undefined;
      }
      if (computeIntegrity(bytes) !== integrity) {
        rmSync(contentPath(integrity), { force: true });
        return undefined;
      }
      return bytes;
    },

    /**
     * Verifies, then stores. Throws INTEGRITY_MISMATCH without writing anything on a mismatch.
     * `verified: true` skips hashing again bytes the caller has just verified against this very
     * integrity (the registry client does for every object it downloads).
     */
    async write(integrity: string, bytes: Uint8Array, what: string, options: { verified?: boolean } = {}): Promise<string> {
      if (!options.verified) verifyIntegrity(bytes, integrity, what);
      const path = contentPath(integrity);
      await atomicWrite(path, bytes);
      return path;
    },

    async readPackage(registry: string, name: string): Promise<CachedPackage | undefined> {
      try {
        return JSON.parse(readFileSync(metadataPath(registry, name), 'utf8')) as CachedPackage;
      } catch {
        return undefined;
      }
    },

    async writePackage(entry: CachedPackage<unknown>): Promise<void> {
      await atomicWrite(metadataPath(entry.registry, entry.name), JSON.stringify(entry));
    },
  };
}
