import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha512Integrity } from '@entropic/client';
import { parse, stringify } from 'smol-toml';
import { cliError } from './cli-error.ts';

export const LOCKFILE_NAME = 'Package.lock';
export const LOCKFILE_VERSION = 1;

export interface RootRequests {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
}

export interface LockedPackage {
  /** canonical `ns@host/<encoded name>` */
  name: string;
  version: string;
  /** integrity of the canonical version document */
  integrity: string;
  /** only optional dependencies reach it: skipped where its platform does not fit */
  optional?: boolean;
  /** its platform fields (recorded for optional packages, so the lockfile installs on every platform) */
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

/** `Package.lock`: what the manifest asked for (canonicalised) and the exact tree that answered. */
export interface PackageLockfile {
  version: number;
  /** the registry host the names were canonicalised against */
  host: string;
  root: RootRequests;
  /** keyed by install path, e.g. `node_modules/@ns/a` */
  packages: Record<string, LockedPackage>;
}

function sortedObject<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function serializeLockfile(lock: PackageLockfile): string {
  const doc = {
    version: lock.version,
    host: lock.host,
    root: {
      dependencies: sortedObject(lock.root.dependencies),
      devDependencies: sortedObject(lock.root.devDependencies),
      peerDependencies: sortedObject(lock.root.peerDependencies),
      optionalDependencies: sortedObject(lock.root.optionalDependencies),
    },
    packages: sortedObject(lock.packages),
  };
  return `# Written by \`ds install\`; commit it, do not edit it.\n${stringify(doc)}\n`;
}

function bad(path: string, why: string): Error {
  return cliError('INVALID_LOCKFILE', `${path} is not a valid lockfile: ${why}.`, `Delete ${LOCKFILE_NAME} and run \`ds install\` again.`);
}

function stringMap(value: unknown, path: string, field: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(path, `"${field}" is not a table`);
  for (const v of Object.values(value)) if (typeof v !== 'string') throw bad(path, `"${field}" holds a non-string`);
  return { ...(value as Record<string, string>) };
}

function isSafeInstallPath(path: string): boolean {
  const parts = path.split('/');
  return parts[0] === 'node_modules' && parts.every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\\') && !p.includes('\0'));
}

export function parseLockfile(text: string, path: string): PackageLockfile {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw bad(path, (error as Error).message.split('\n')[0] ?? 'unparsable');
  }
  if (raw.version !== LOCKFILE_VERSION) throw bad(path, `unsupported version ${String(raw.version)}`);
  if (typeof raw.host !== 'string') throw bad(path, '"host" is missing');
  const root = (raw.root ?? {}) as Record<string, unknown>;
  const packages: Record<string, LockedPackage> = {};
  const rawPackages = (raw.packages ?? {}) as Record<string, Record<string, unknown>>;
  for (const [installPath, entry] of Object.entries(rawPackages)) {
    if (!isSafeInstallPath(installPath)) throw bad(path, `unsafe path "${installPath}"`);
    if (typeof entry?.name !== 'string' || typeof entry.version !== 'string' || !isSha512Integrity(entry.integrity)) {
      throw bad(path, `entry "${installPath}" is incomplete`);
    }
    const locked: LockedPackage = { name: entry.name, version: entry.version, integrity: entry.integrity };
    if (entry.optional === true) locked.optional = true;
    for (const field of ['os', 'cpu', 'libc'] as const) {
      const value = entry[field];
      if (value === undefined) continue;
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        throw bad(path, `entry "${installPath}" has a bad "${field}"`);
      locked[field] = value as string[];
    }
    packages[installPath] = locked;
  }
  return {
    version: LOCKFILE_VERSION,
    host: raw.host,
    root: {
      dependencies: stringMap(root.dependencies, path, 'root.dependencies'),
      devDependencies: stringMap(root.devDependencies, path, 'root.devDependencies'),
      peerDependencies: stringMap(root.peerDependencies, path, 'root.peerDependencies'),
      optionalDependencies: stringMap(root.optionalDependencies, path, 'root.optionalDependencies'),
    },
    packages,
  };
}

export async function readLockfile(dir: string): Promise<PackageLockfile | undefined> {
  const path = join(dir, LOCKFILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseLockfile(text, path);
}

export async function writeLockfile(dir: string, lock: PackageLockfile): Promise<void> {
  const path = join(dir, LOCKFILE_NAME);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, serializeLockfile(lock));
  await rename(temp, path);
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** The lockfile still answers the manifest when the requests are identical. */
export function lockfileMatches(lock: PackageLockfile, host: string, root: RootRequests): boolean {
  return (
    lock.host === host &&
    sameMap(lock.root.dependencies, root.dependencies) &&
    sameMap(lock.root.devDependencies, root.devDependencies) &&
    sameMap(lock.root.peerDependencies, root.peerDependencies) &&
    sameMap(lock.root.optionalDependencies, root.optionalDependencies)
  );
}
