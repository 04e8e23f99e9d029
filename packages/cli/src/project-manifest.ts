import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { cliError } from './cli-error.ts';

export const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
export type DependencyField = (typeof DEPENDENCY_FIELDS)[number];

/** A project's manifest: `Package.toml` (preferred) or `package.json`. */
export interface ProjectManifest {
  kind: 'toml' | 'json';
  path: string;
  dir: string;
  name: string | undefined;
  version: string | undefined;
  description: string | undefined;
  license: string | undefined;
  private: boolean;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  bundledDependencies: string[];
  /** dependencies whose install scripts may run: names, `name@<range>` or `name@<integrity>` */
  trustedDependencies: string[];
  /** `scripts` (a table in Package.toml, an object in package.json) */
  scripts: Record<string, string>;
  /** The whole parsed document (for npm-packlist's `files`, `main`, `bin` and for writing back). */
  raw: Record<string, unknown>;
}

export const MANIFEST_FILES = ['Package.toml', 'package.json'] as const;

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Walks up from `start`, returning the first directory's manifest (`Package.toml` wins over `package.json`). */
export async function findProjectManifest(start: string): Promise<ProjectManifest | undefined> {
  let dir = start;
  for (;;) {
    for (const file of MANIFEST_FILES) {
      const path = join(dir, file);
      const text = await readIfExists(path);
      if (text !== undefined) return parseProjectManifest(text, path);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export async function getProjectManifest(start: string): Promise<ProjectManifest> {
  const manifest = await findProjectManifest(start);
  if (!manifest) {
    throw cliError(
      'MANIFEST_NOT_FOUND',
      `Could not find Package.toml or package.json in ${start} or any parent directory.`,
      'Create a Package.toml (see `ds publish --help`).',
    );
  }
  return manifest;
}

function stringField(raw: Record<string, unknown>, field: string, path: string): string | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw cliError('INVALID_MANIFEST', `"${field}" in ${path} must be a string.`, `Fix ${path}.`);
  return value;
}

function stringList(raw: Record<string, unknown>, field: string, path: string): string[] {
  const value = raw[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    throw cliError('INVALID_MANIFEST', `"${field}" in ${path} must be a list of package names.`, `Fix ${path}.`);
  }
  return value as string[];
}

function scriptTable(raw: Record<string, unknown>, path: string): Record<string, string> {
  const value = raw.scripts;
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw cliError('INVALID_MANIFEST', `"scripts" in ${path} must be a table of name = "command".`, `Fix ${path}.`);
  }
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function dependencyTable(raw: Record<string, unknown>, field: string, path: string): Record<string, string> {
  const value = raw[field];
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw cliError('INVALID_MANIFEST', `"${field}" in ${path} must be a table of name = "range".`, `Fix ${path}.`);
  }
  const out: Record<string, string> = {};
  for (const [name, range] of Object.entries(value)) {
    if (typeof range !== 'string')
      throw cliError('INVALID_MANIFEST', `"${field}.${name}" in ${path} must be a string range.`, `Fix ${path}.`);
    out[name] = range;
  }
  return out;
}

export function parseProjectManifest(text: string, path: string): ProjectManifest {
  const kind = basename(path) === 'Package.toml' ? 'toml' : 'json';
  let raw: unknown;
  try {
    raw = kind === 'toml' ? parse(text) : JSON.parse(text);
  } catch (error) {
    throw cliError(
      'INVALID_MANIFEST',
      `${path} is not valid ${kind === 'toml' ? 'TOML' : 'JSON'}: ${(error as Error).message.split('\n')[0]}`,
      `Fix ${path}.`,
      error,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw cliError('INVALID_MANIFEST', `${path} must hold a table/object.`, `Fix ${path}.`);
  const doc = raw as Record<string, unknown>;
  const bundledRaw = doc.bundledDependencies ?? doc.bundleDependencies;
  let bundledDependencies: string[] = [];
  if (Array.isArray(bundledRaw)) bundledDependencies = bundledRaw.filter((x): x is string => typeof x === 'string');
  else if (bundledRaw && typeof bundledRaw === 'object') bundledDependencies = Object.keys(bundledRaw);
  if (doc.private !== undefined && typeof doc.private !== 'boolean')
    throw cliError('INVALID_MANIFEST', `"private" in ${path} must be true or false.`, `Fix ${path}.`);
  return {
    kind,
    path,
    dir: dirname(path),
    name: stringField(doc, 'name', path),
    version: stringField(doc, 'version', path),
    description: stringField(doc, 'description', path),
    license: stringField(doc, 'license', path),
    private: doc.private === true,
    dependencies: dependencyTable(doc, 'dependencies', path),
    devDependencies: dependencyTable(doc, 'devDependencies', path),
    peerDependencies: dependencyTable(doc, 'peerDependencies', path),
    optionalDependencies: dependencyTable(doc, 'optionalDependencies', path),
    bundledDependencies,
    trustedDependencies: stringList(doc, 'trustedDependencies', path),
    scripts: scriptTable(doc, path),
    raw: doc,
  };
}

/** Writes a dependency table back (after `ds install <spec>`), keeping every other field. */
export async function saveDependencies(
  manifest: ProjectManifest,
  field: DependencyField,
  dependencies: Record<string, string>,
): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  await saveField(manifest, field, sorted);
}

/** Writes one top-level field back, keeping every other. */
export async function saveField(manifest: ProjectManifest, field: string, value: unknown): Promise<void> {
  const doc = { ...manifest.raw, [field]: value };
  manifest.raw = doc;
  const text = manifest.kind === 'toml' ? `${stringify(doc)}\n` : `${JSON.stringify(doc, null, 2)}\n`;
  const temp = `${manifest.path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, manifest.path);
}

/** A new, empty `Package.toml` in `dir` (for `ds install <spec>` outside any project). */
export function emptyManifest(dir: string): ProjectManifest {
  return {
    kind: 'toml',
    path: join(dir, 'Package.toml'),
    dir,
    name: undefined,
    version: undefined,
    description: undefined,
    license: undefined,
    private: false,
    dependencies: {},
    devDependencies: {},
    peerDependencies: {},
    optionalDependencies: {},
    bundledDependencies: [],
    trustedDependencies: [],
    scripts: {},
    raw: {},
  };
}
