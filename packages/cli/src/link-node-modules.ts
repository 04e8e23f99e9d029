import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, copyFileSync, linkSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { createLimiter } from './create-limiter.ts';
import type { CanonicalDocument, PackageSource } from './package-source.ts';
import { safePackagePath } from './safe-package-path.ts';

export interface InstallUnit {
  /** `node_modules/…` from the project root */
  path: string;
  /** the name Node requires it by */
  installName: string;
  canonical: string;
  version: string;
  /** of the canonical version document */
  integrity: string;
  document: CanonicalDocument;
}

/** A linked package's own package.json (what its scripts and platform fields are read from). */
export interface LinkedManifest {
  pkg: Record<string, unknown>;
  hasBindingGyp: boolean;
}

export interface LinkResult {
  packages: number;
  files: number;
  bins: number;
}

export interface LinkOptions {
  /** after each package is in the staging tree */
  onPackage?: () => void;
  /** true: the package's files are copied, not hard-linked (its scripts may write to them; the cache must not change) */
  copies?: (unit: InstallUnit, manifest: LinkedManifest) => boolean;
  /**
   * Runs once the new tree is in place (the old one kept aside): when it throws, the new tree is
   * removed and the old one put back, so a failed script leaves the previous node_modules.
   */
  afterSwap?: (manifests: Map<string, LinkedManifest>) => Promise<void>;
  /** more to record in the state file (what ran, what was blocked) once afterSwap succeeded */
  state?: () => Record<string, unknown>;
}

const STATE_FILE = '.ds-state.json';

/** Like Promise.all, but waits for every task to finish before failing, so no write outlives the cleanup. */
async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Whether node_modules was written from exactly this lockfile content (so nothing needs doing). */
export async function nodeModulesMatches(projectDir: string, lockHash: string): Promise<Record<string, unknown> | undefined> {
  try {
    const state = JSON.parse(await readFile(join(projectDir, 'node_modules', STATE_FILE), 'utf8')) as Record<string, unknown>;
    return state.lockHash === lockHash ? state : undefined;
  } catch {
    return undefined;
  }
}

function binEntries(pkg: Record<string, unknown>, installName: string): Array<[string, string]> {
  const bin = pkg.bin;
  if (typeof bin === 'string') return [[installName.split('/').pop() as string, bin]];
  if (bin && typeof bin === 'object' && !Array.isArray(bin)) {
    return Object.entries(bin).filter((e): e is [string, string] => typeof e[1] === 'string');
  }
  return [];
}

/**
 * Whether a file in a `bin/` directory is an executable by its first bytes (ELF, Mach-O, `#!`).
 * Version documents carry no file modes, so a native binary that a package runs without naming
 * it in `bin` (esbuild's @esbuild/<platform>/bin/esbuild) is recognised this way and made executable.
 */
function looksExecutable(rel: string, path: string): boolean {
  if (!/(^|\/)bin\/[^/]+$/.test(rel)) return false;
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    readSync(fd, head, 0, 4, 0);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const magic = head.readUInt32BE(0);
  return (
    head.subarray(0, 2).toString('latin1') === '#!' ||
    magic === 0x7f454c46 ||
    magic === 0xfeedface ||
    magic === 0xfeedfacf ||
    magic === 0xcefaedfe ||
    magic === 0xcffaedfe ||
    magic === 0xcafebabe
  );
}

function isSafeBinName(name: string): boolean {
  return name.length > 0 && name.length < 128 && !name.includes('/') && !name.includes('\\') && name !== '.' && name !== '..';
}

/**
 * Writes node_modules from verified cache content: every file is hard-linked (or copied
 * across devices) from the content-addressed cache into a staging directory, bins are linked,
 * and the staging tree replaces node_modules in one rename. A failure leaves the old
 * node_modules untouched.
 */
export async function linkNodeModules(
  projectDir: string,
  units: InstallUnit[],
  source: PackageSource,
  lockHash: string,
  options: LinkOptions = {},
): Promise<LinkResult> {
  const staging = join(projectDir, `.ds-staging-${randomBytes(6).toString('hex')}`);
  const limit = createLimiter(32);
  let canLink = true;
  let files = 0;
  let bins = 0;
  const manifests = new Map<string, LinkedManifest>();
  // Synchronous file operations: one link or copy per file, where a thread-pool round trip
  // each cost more than the call (issue 11.4, measured with --cpu-prof).
  const madeDirs = new Set<string>();
  const ensureDir = (dir: string): void => {
    if (madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  };
  const place = async (from: string, to: string) => {
    if (canLink) {
      try {
        linkSync(from, to);
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw error;
        canLink = false;
      }
    }
    copyFileSync(from, to);
  };

  try {
    await mkdir(staging, { recursive: true });
    await settleAll(
      units.map(async (unit) => {
        const what = `${unit.canonical}@${unit.version}`;
        const dir = join(staging, ...unit.path.split('/'));
        const entries = Object.entries(unit.document.files).map(([key, integrity]) => ({ rel: safePackagePath(key, what), integrity }));
        let manifest: Record<string, unknown> | undefined;
        const binTargets = new Set<string>();
        const pkgJson = entries.find((e) => e.rel === 'package.json');
        if (pkgJson) {
          try {
            manifest = JSON.parse(
              await source.withObject(pkgJson.integrity, `${what}/package.json`, async (path) => readFileSync(path, 'utf8')),
            ) as Record<string, unknown>;
          } catch {
            manifest = undefined;
          }
        }
        const bins_ = binEntries(manifest ?? {}, unit.installName)
          .filter(([name]) => isSafeBinName(name))
          .map(([name, target]) => [name, posix.normalize(target.replace(/^\.\//, ''))] as const)
          .filter(([, target]) => !target.startsWith('..') && !posix.isAbsolute(target) && entries.some((e) => e.rel === target));
        for (const [, target] of bins_) binTargets.add(target);
        const linked: LinkedManifest = { pkg: manifest ?? {}, hasBindingGyp: entries.some((e) => e.rel === 'binding.gyp') };
        manifests.set(unit.path, linked);
        const copyAll = options.copies?.(unit, linked) === true;

        await settleAll(
          entries.map((entry) =>
            limit(async () => {
              const to = join(dir, ...entry.rel.split('/'));
              ensureDir(dirname(to));
              if (copyAll) {
                await source.withObject(entry.integrity, `${what}/${entry.rel}`, async (from) =>
                  copyFileSync(from, to, constants.COPYFILE_FICLONE),
                );
                if (binTargets.has(entry.rel) || looksExecutable(entry.rel, to)) chmodSync(to, 0o755);
              } else if (binTargets.has(entry.rel)) {
                // A copy, so the executable bit does not reach the shared cache.
                await source.withObject(entry.integrity, `${what}/${entry.rel}`, async (from) => copyFileSync(from, to));
                chmodSync(to, 0o755);
              } else if (/(^|\/)bin\/[^/]+$/.test(entry.rel)) {
                await source.withObject(entry.integrity, `${what}/${entry.rel}`, async (from) => {
                  if (!looksExecutable(entry.rel, from)) return place(from, to);
                  copyFileSync(from, to);
                  chmodSync(to, 0o755);
                });
              } else await source.withObject(entry.integrity, `${what}/${entry.rel}`, (from) => place(from, to));
              files++;
            }),
          ),
        );
        if (!pkgJson) {
          ensureDir(dir);
          await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: unit.installName, version: unit.version }, null, 2)}\n`);
        }
        const binDir = join(dir, unit.installName.includes('/') ? '../..' : '..', '.bin');
        for (const [name, target] of bins_) {
          ensureDir(binDir);
          const linkPath = join(binDir, name);
          await rm(linkPath, { force: true });
          await symlink(relative(binDir, join(dir, ...target.split('/'))), linkPath);
          bins++;
        }
        options.onPackage?.();
      }),
    );
    await mkdir(join(staging, 'node_modules'), { recursive: true });
    const target = join(projectDir, 'node_modules');
    const old = join(projectDir, `.ds-old-${randomBytes(6).toString('hex')}`);
    let moved = false;
    try {
      await rename(target, old);
      moved = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await rename(join(staging, 'node_modules'), target);
    try {
      await options.afterSwap?.(manifests);
    } catch (error) {
      // Back to the previous tree: the new one goes to the staging directory (removed below).
      await rename(target, join(staging, 'failed'));
      if (moved) await rename(old, target);
      throw error;
    }
    // Written last: a tree whose scripts did not all succeed is never taken as up to date.
    await writeFile(join(target, STATE_FILE), JSON.stringify({ lockHash, ...options.state?.() }));
    if (moved) await rm(old, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { packages: units.length, files, bins };
}
