import { createHash } from 'node:crypto';
import type { ClientError } from '@entropic/client';
import { truncate } from '@entropic/types';
import semver from 'semver';
import type { CliContext } from './cli-context.ts';
import { cliError } from './cli-error.ts';
import { type InstallUnit, linkNodeModules, nodeModulesMatches } from './link-node-modules.ts';
import {
  LOCKFILE_VERSION,
  type LockedPackage,
  lockfileMatches,
  type PackageLockfile,
  type RootRequests,
  readLockfile,
  serializeLockfile,
  writeLockfile,
} from './package-lockfile.ts';
import { createPackageSource, type PackageSource } from './package-source.ts';
import { installName, isTag, type PackageSpec, parsePackageSpec, specFromCanonical } from './parse-package-spec.ts';
import { placePackages } from './place-packages.ts';
import { emptyManifest, findProjectManifest, type ProjectManifest, saveDependencies } from './project-manifest.ts';
import { type DependencyRequest, type LockedVersions, resolvePackageGraph } from './resolve-package-graph.ts';

export interface InstallOptions {
  specs: string[];
  frozenLockfile: boolean;
  offline: boolean;
  preferOffline: boolean;
  saveDev: boolean;
  /** refuse, rather than warn about, a version whose `engines.node` does not fit this Node */
  engineStrict?: boolean;
}

export interface InstallWarning {
  code: string;
  message: string;
  hint?: string;
}

export interface InstallResult {
  projectDir: string;
  lockfile: 'reused' | 'written';
  upToDate: boolean;
  added: Array<{ name: string; version: string; spec: string }>;
  packages: Array<{ path: string; name: string; version: string }>;
  /** installed versions their maintainers deprecated (known when resolved against the registry) */
  deprecated: Array<{ name: string; version: string; message: string }>;
  downloaded: number;
  downloadedBytes: number;
  files: number;
  bins: number;
  durationMs: number;
  /** e.g. UNSUPPORTED_ENGINE: installed although its `engines.node` does not fit this Node */
  warnings: InstallWarning[];
}

/** A registry-supplied text as one terminal line: control characters (escape sequences, newlines) become spaces. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is replaced
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 300);
}

/** A manifest key as written back: `ns/name` on this host, `ns@host/name` elsewhere, npm names bare. */
function manifestKey(spec: PackageSpec, host: string): string {
  if (spec.ref.namespace === 'legacy' && spec.ref.host === host) return spec.ref.name;
  return spec.ref.host === host ? `${spec.ref.namespace}/${spec.ref.name}` : `${spec.ref.namespace}@${spec.ref.host}/${spec.ref.name}`;
}

function canonicalRequests(manifest: ProjectManifest, host: string): RootRequests {
  const canon = (map: Record<string, string>, field: string) => {
    const out: Record<string, string> = {};
    for (const [key, range] of Object.entries(map)) {
      let spec: PackageSpec;
      try {
        spec = parsePackageSpec(key, host);
      } catch (error) {
        throw cliError(
          'INVALID_MANIFEST',
          `${manifest.path}: "${field}.${truncate(key)}" is not a valid package name.`,
          `Fix ${manifest.path}.`,
          error,
        );
      }
      if (semver.validRange(range) === null && !isTag(range)) {
        throw cliError(
          'INVALID_MANIFEST',
          `${manifest.path}: "${field}.${truncate(key)}" has an invalid range "${truncate(range)}".`,
          `Fix ${manifest.path}.`,
        );
      }
      out[spec.canonical] = range;
    }
    return out;
  };
  return {
    dependencies: canon(manifest.dependencies, 'dependencies'),
    devDependencies: canon(manifest.devDependencies, 'devDependencies'),
    peerDependencies: canon(manifest.peerDependencies, 'peerDependencies'),
    optionalDependencies: canon(manifest.optionalDependencies, 'optionalDependencies'),
  };
}

function rootDependencyRequests(root: RootRequests): DependencyRequest[] {
  const requests = new Map<string, DependencyRequest>();
  const add = (map: Record<string, string>, optional: boolean) => {
    for (const [name, range] of Object.entries(map))
      if (!requests.has(name)) requests.set(name, { spec: specFromCanonical(name, range), optional });
  };
  add(root.dependencies, false);
  add(root.devDependencies, false);
  add(root.peerDependencies, false);
  add(root.optionalDependencies, true);
  return [...requests.values()];
}

async function addSpecs(ctx: CliContext, source: PackageSource, manifest: ProjectManifest, specs: string[], host: string, dev: boolean) {
  const added: InstallResult['added'] = [];
  const field = dev ? 'devDependencies' : 'dependencies';
  const next = { ...manifest[field] };
  for (const raw of specs) {
    const spec = parsePackageSpec(raw, host);
    const { version } = await source.pick(spec);
    const range = spec.explicitRange && !isTag(spec.range) ? spec.range : semver.prerelease(version) ? version : `^${version}`;
    const key = manifestKey(spec, host);
    // Drop an existing entry under another spelling of the same package.
    for (const existing of Object.keys(next)) {
      try {
        if (parsePackageSpec(existing, host).canonical === spec.canonical) delete next[existing];
      } catch {
        // an invalid key is reported when the manifest is read
      }
    }
    next[key] = range;
    added.push({ name: spec.canonical, version, spec: `${key}@${range}` });
  }
  manifest[field] = next;
  ctx.debug(`saving ${field} to ${manifest.path}`);
  await saveDependencies(manifest, field, next);
  return added;
}

/**
 * What the old lockfile answered for an edge, as npm keeps its tree: Node's resolution from where
 * the depending package was installed (walking up the node_modules directories), else the
 * highest locked version of the package that satisfies the range (the holder is new). Packages
 * named on the command line are left out: they update, as with npm.
 */
function lockedVersions(lock: PackageLockfile, update: Set<string>): LockedVersions {
  const pathsOf = new Map<string, string[]>();
  const byName = new Map<string, LockedPackage[]>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const id = `${entry.name}@${entry.version}`;
    pathsOf.set(id, [...(pathsOf.get(id) ?? []), path]);
    byName.set(entry.name, [...(byName.get(entry.name) ?? []), entry]);
  }
  const satisfies = (entry: LockedPackage | undefined, spec: PackageSpec) =>
    entry !== undefined && entry.name === spec.canonical && semver.satisfies(entry.version, spec.range);
  return (holder, spec) => {
    if (update.has(spec.canonical)) return undefined;
    const name = installName(spec.ref);
    for (const start of holder === null ? [''] : (pathsOf.get(holder) ?? [])) {
      for (let dir = start; ; ) {
        const entry = lock.packages[dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`];
        if (entry) {
          if (satisfies(entry, spec)) return { version: entry.version, integrity: entry.integrity };
          break; // Node would stop here too
        }
        if (dir === '') break;
        const up = dir.lastIndexOf('/node_modules/');
        dir = up === -1 ? '' : dir.slice(0, up);
      }
    }
    let best: LockedPackage | undefined;
    for (const entry of byName.get(spec.canonical) ?? []) {
      if (satisfies(entry, spec) && (!best || semver.gt(entry.version, best.version))) best = entry;
    }
    return best && { version: best.version, integrity: best.integrity };
  };
}

/** Prints a warning once (stderr, silenced by --json) and keeps it for the result. */
function warn(ctx: CliContext, warnings: Map<string, InstallWarning>, warning: ClientError): void {
  if (warnings.has(warning.message)) return;
  warnings.set(warning.message, { code: warning.code, message: warning.message, ...(warning.hint ? { hint: warning.hint } : {}) });
  ctx.info(`ds: warning ${warning.code}: ${warning.message}${warning.hint ? `\nhint: ${warning.hint}` : ''}`);
}

/** Versions whose documents came from the registry count as its downloads; a failed report only warns in debug output. */
async function reportDownloads(ctx: CliContext, fetched: Array<{ package: string; version: string }>): Promise<void> {
  if (fetched.length === 0) return;
  try {
    await ctx.client().reportDownloads(fetched);
  } catch (error) {
    ctx.debug(`download report not sent: ${(error as Error).message}`);
  }
}

export async function installProject(ctx: CliContext, options: InstallOptions): Promise<InstallResult> {
  const started = performance.now();
  const found = await findProjectManifest(ctx.io.cwd);
  if (!found && options.specs.length === 0) {
    throw cliError(
      'MANIFEST_NOT_FOUND',
      `Could not find Package.toml or package.json in ${ctx.io.cwd} or a parent directory.`,
      'Run `ds install <package>` to start one, or create a Package.toml.',
    );
  }
  if (options.frozenLockfile && options.specs.length > 0) {
    throw cliError(
      'USAGE',
      '--frozen-lockfile cannot be combined with packages to add.',
      'Run `ds install <package>` without --frozen-lockfile.',
    );
  }
  const manifest = found ?? emptyManifest(ctx.io.cwd);
  const dir = manifest.dir;
  const lock = await readLockfile(dir);
  const host = options.offline && lock ? lock.host : await ctx.registryHost();
  const warnings = new Map<string, InstallWarning>();
  const source = createPackageSource(ctx, {
    offline: options.offline,
    preferOffline: options.preferOffline,
    engines: { nodeVersion: process.versions.node, strict: options.engineStrict === true, warn: (w) => warn(ctx, warnings, w) },
  });

  const added = options.specs.length > 0 ? await addSpecs(ctx, source, manifest, options.specs, host, options.saveDev) : [];
  const root = canonicalRequests(manifest, host);

  let next: PackageLockfile;
  let units: InstallUnit[];
  const deprecated: InstallResult['deprecated'] = [];
  const prefetch: Promise<unknown>[] = [];
  const fetched: Array<{ package: string; version: string }> = [];
  const prefetchFiles = (canonical: string, version: string, integrity: string, files: Record<string, string>) => {
    // A version document from the cache means its files are most likely there too: they are
    // linked optimistically (no stat each), and fetched only if one is missing.
    if (source.documentWasCached(integrity)) return;
    fetched.push({ package: canonical, version });
    ctx.progress.grow(Object.keys(files).length);
    for (const [key, fileIntegrity] of Object.entries(files)) {
      const pending = source.ensureObject(fileIntegrity, `${canonical}@${version}/${key.slice(2)}`).then(() => ctx.progress.tick());
      pending.catch(() => {});
      prefetch.push(pending);
    }
  };
  ctx.progress.phase('fetch', 0);
  // Packages named on the command line are resolved again (they update, as with npm), even when
  // the manifest already asked for them that way.
  const reuse = lock !== undefined && added.length === 0 && lockfileMatches(lock, host, root);
  if (reuse) {
    next = lock;
    ctx.debug(`${dir}/Package.lock matches the manifest; reusing it`);
    units = await Promise.all(
      Object.entries(lock.packages).map(async ([path, entry]) => {
        const document = await source.getDocument(entry.integrity, `${entry.name}@${entry.version}`);
        prefetchFiles(entry.name, entry.version, entry.integrity, document.files);
        return {
          path,
          installName: installName(specFromCanonical(entry.name, entry.version).ref),
          canonical: entry.name,
          version: entry.version,
          document,
        };
      }),
    );
  } else {
    if (options.frozenLockfile) {
      throw cliError(
        'LOCKFILE_OUTDATED',
        lock
          ? 'Package.lock does not match the manifest and --frozen-lockfile forbids changing it.'
          : 'There is no Package.lock and --frozen-lockfile forbids writing one.',
        'Run `ds install` without --frozen-lockfile and commit Package.lock.',
      );
    }
    const graph = await resolvePackageGraph(
      source,
      rootDependencyRequests(root),
      (node) => prefetchFiles(node.spec.canonical, node.version, node.integrity, node.document.files),
      lock && lock.host === host ? lockedVersions(lock, new Set(added.map((a) => a.name))) : undefined,
    );
    for (const node of graph.nodes.values()) {
      if (node.deprecated === undefined) continue;
      deprecated.push({ name: node.spec.canonical, version: node.version, message: node.deprecated });
      ctx.info(`warning: ${node.spec.canonical}@${node.version} is deprecated: ${printable(node.deprecated)}`);
    }
    const placements = placePackages(graph);
    const packages: Record<string, LockedPackage> = {};
    units = placements.map(({ path, id }) => {
      const node = graph.nodes.get(id) as NonNullable<ReturnType<typeof graph.nodes.get>>;
      packages[path] = { name: node.spec.canonical, version: node.version, integrity: node.integrity };
      return {
        path,
        installName: installName(node.spec.ref),
        canonical: node.spec.canonical,
        version: node.version,
        document: node.document,
      };
    });
    next = { version: LOCKFILE_VERSION, host, root, packages };
  }
  const lockText = serializeLockfile(next);
  const lockHash = createHash('sha256').update(lockText).digest('hex');
  const upToDate = reuse && (await nodeModulesMatches(dir, lockHash));
  let linked = { files: 0, bins: 0 };
  if (!upToDate) {
    await Promise.all(prefetch);
    ctx.progress.phase('link', units.length);
    linked = await linkNodeModules(dir, units, source, lockHash, () => ctx.progress.tick());
  }
  if (!reuse) await writeLockfile(dir, next);
  await reportDownloads(ctx, fetched);
  ctx.progress.done();
  return {
    projectDir: dir,
    lockfile: reuse ? 'reused' : 'written',
    upToDate,
    added,
    packages: units.map((u) => ({ path: u.path, name: u.canonical, version: u.version })).sort((a, b) => (a.path < b.path ? -1 : 1)),
    deprecated: deprecated.sort((a, b) => (`${a.name}@${a.version}` < `${b.name}@${b.version}` ? -1 : 1)),
    downloaded: source.stats.downloaded,
    downloadedBytes: source.stats.downloadedBytes,
    warnings: [...warnings.values()],
    files: linked.files,
    bins: linked.bins,
    durationMs: Math.round(performance.now() - started),
  };
}
