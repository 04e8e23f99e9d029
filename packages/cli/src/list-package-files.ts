import { stat } from 'node:fs/promises';
import { extname, join, posix } from 'node:path';
import type { ProjectManifest } from './project-manifest.ts';

export interface PackageFile {
  /** posix path relative to the package directory */
  path: string;
  size: number;
}

/** Never published, whatever `files` says: our own lockfile and local config. */
const NEVER = new Set(['Package.lock', '.entropicrc']);

/**
 * npm-packlist applies its package-root rules only when it reads a package.json; a
 * Package.toml-only project gets the same ones here.
 */
const ROOT_NEVER = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock']);

function excludedWithoutPackageJson(path: string): boolean {
  const segments = path.split('/');
  if (segments.some((s) => s === 'node_modules' || s === '.git' || s === '.npmrc')) return true;
  return segments.length === 1 && ROOT_NEVER.has(path);
}

/**
 * npm's packing rules (npm-packlist): `files`, `.npmignore` or else `.gitignore`, the
 * always-included (package.json, README, LICENSE…) and never-included (.git, node_modules,
 * lockfiles…) files. Sorted by extension, then name, then directory, so similar files sit
 * together in the compressed stream.
 */
export async function listPackageFiles(manifest: ProjectManifest): Promise<PackageFile[]> {
  // npm-packlist wants an Arborist node; only these fields are read for a project root without
  // bundled dependencies.
  const tree = { path: manifest.dir, package: manifest.kind === 'json' ? manifest.raw : {}, isProjectRoot: true, edgesOut: new Map() };
  // Loaded on demand: only publish needs it, and it is a large part of startup.
  const { default: packlist } = await import('npm-packlist');
  const paths: string[] = await packlist(tree, { path: manifest.dir });
  const files: PackageFile[] = [];
  for (const path of paths) {
    const normalized = path.split('\\').join('/');
    if (NEVER.has(normalized)) continue;
    if (manifest.kind === 'toml' && excludedWithoutPackageJson(normalized)) continue;
    const info = await stat(join(manifest.dir, normalized));
    if (info.isFile()) files.push({ path: normalized, size: info.size });
  }
  if (manifest.kind === 'toml' && !files.some((f) => f.path === 'Package.toml')) {
    files.push({ path: 'Package.toml', size: (await stat(manifest.path)).size });
  }
  return files.sort((a, b) => compareKeys(sortKey(a.path), sortKey(b.path)));
}

function sortKey(path: string): string[] {
  return [extname(path), posix.basename(path), posix.dirname(path)];
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
