// The local npm upstream of the benches that install through Entropic's `legacy` mirror
// (bench:mirror, bench:install): nginx serving packuments and tarballs as static files, and the
// packages it serves.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ReferenceServer, startStaticNginx } from './children.ts';
import { pinnedCommand, SERVER_CPU } from './cpu.ts';
import { waitForHttp } from './net.ts';
import { makeTarball } from './npm-document.ts';
import { stopper } from './pinned-verdaccio.ts';

export interface UpstreamFiles {
  /** packument file name (`name` or `@scope/name`) → body */
  packuments: Map<string, Buffer>;
  /** `<name>/-/<file>.tgz` → bytes */
  tarballs: Map<string, Buffer>;
}

/** nginx (one worker, sendfile, ETags) as the upstream: `/<name>` is the packument, `/<name>/-/<file>` a tarball. */
export async function startUpstream(dir: string, port: number, files: UpstreamFiles): Promise<ReferenceServer> {
  const root = join(dir, 'www');
  await mkdir(join(root, 'packuments'), { recursive: true });
  for (const [name, body] of files.packuments) {
    await mkdir(join(root, 'packuments', name, '..'), { recursive: true });
    await writeFile(join(root, 'packuments', `${name}.json`), body);
  }
  for (const [path, bytes] of files.tarballs) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), bytes);
  }
  return startStaticNginx(dir, {
    port,
    root,
    types: 'types { application/octet-stream tgz; application/json json; }',
    locations: `location ~ ^/([^/@]+)$ { try_files /packuments/$1.json =404; }
    location ~ ^/(@[^/]+)/([^/]+)$ { try_files /packuments/$1/$2.json =404; }`,
    probe: `/${files.packuments.keys().next().value as string}`,
  });
}

/** The files of an installed package as `npm pack` would take them: everything but nested node_modules. */
function packageFiles(dir: string, prefix = ''): { path: string; content: Buffer }[] {
  const out: { path: string; content: Buffer }[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== '.git') out.push(...packageFiles(dir, rel));
    } else if (entry.isFile()) out.push({ path: rel, content: readFileSync(join(dir, rel)) });
  }
  return out;
}

/** Where Node would find `name` from `dir`: the nearest node_modules up the tree. */
function resolveFrom(dir: string, name: string, top: string): string | undefined {
  for (let at = dir; at.startsWith(top); at = dirname(at)) {
    const candidate = join(at, 'node_modules', name);
    try {
      if (statSync(join(candidate, 'package.json')).isFile()) return candidate;
    } catch {
      // not here: one level up
    }
    if (at === top) break;
  }
  return undefined;
}

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

/**
 * A real dependency graph as the upstream serves it: `roots` and everything they depend on,
 * found as Node finds them from `repoRoot`'s node_modules (each package at the version installed
 * there, with its real files and package.json). Install scripts and peer dependencies are
 * left out, so every installer installs the same tree and runs nothing; an optional dependency
 * that is not installed here is left out too. Returns the root dependencies (`name: version`).
 */
export async function realGraph(repoRoot: string, roots: string[], baseUrl: string, out: UpstreamFiles): Promise<Record<string, string>> {
  const packuments = new Map<string, { name: string; 'dist-tags': Record<string, string>; versions: Record<string, unknown> }>();
  const seen = new Set<string>();
  const queue = roots.map((name) => resolveFrom(repoRoot, name, repoRoot) as string);
  const rootVersions: Record<string, string> = {};
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const name = manifest.name as string;
    const version = manifest.version as string;
    if (roots.includes(name) && dir === join(repoRoot, 'node_modules', name)) rootVersions[name] = version;
    const dependencies: Record<string, string> = {};
    const optionalDependencies: Record<string, string> = {};
    for (const [field, target] of [
      ['dependencies', dependencies],
      ['optionalDependencies', optionalDependencies],
    ] as const) {
      for (const [dep, range] of Object.entries((manifest[field] as Record<string, string> | undefined) ?? {})) {
        const found = resolveFrom(dir, dep, repoRoot);
        if (!found) continue; // an optional dependency for another platform
        target[dep] = range;
        queue.push(found);
      }
    }
    for (const dep of Object.keys(optionalDependencies)) delete dependencies[dep];
    const scripts = Object.fromEntries(
      Object.entries((manifest.scripts as Record<string, string> | undefined) ?? {}).filter(([event]) => !INSTALL_SCRIPTS.includes(event)),
    );
    const published = { ...manifest, dependencies, optionalDependencies, scripts, peerDependencies: undefined, devDependencies: undefined };
    const files = packageFiles(dir)
      .filter((f) => f.path !== 'package.json' && f.path !== 'binding.gyp')
      .concat({ path: 'package.json', content: Buffer.from(JSON.stringify(published, null, 2)) });
    const tarball = await makeTarball(files);
    const file = `${name.split('/').pop()}-${version}.tgz`;
    out.tarballs.set(`${name}/-/${file}`, tarball);
    const packument = packuments.get(name) ?? { name, 'dist-tags': {}, versions: {} };
    packument.versions[version] = {
      ...published,
      _id: `${name}@${version}`,
      dist: {
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
        tarball: `${baseUrl}/${name}/-/${file}`,
        fileCount: files.length,
      },
    };
    const latest = packument['dist-tags'].latest;
    if (!latest || latest.localeCompare(version, 'en', { numeric: true }) < 0) packument['dist-tags'].latest = version;
    packuments.set(name, packument);
  }
  for (const [name, packument] of packuments) out.packuments.set(name, Buffer.from(JSON.stringify(packument)));
  return rootVersions;
}
