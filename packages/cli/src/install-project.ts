import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientError } from '@entropic/client';
import { truncate } from '@entropic/types';
import semver from 'semver';
import type { CliContext } from './cli-context.ts';
import { cliError } from './cli-error.ts';
import { findScriptedPackages, isTrusted, runDependencyScripts, type ScriptedPackage } from './dependency-scripts.ts';
import { installScripts, ROOT_INSTALL_EVENTS, runProjectScripts, type ScriptContext } from './lifecycle-scripts.ts';
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
import { describePlatform, type PlatformFields, platformFields, platformFits } from './package-platform.ts';
import { createPackageSource, type PackageSource } from './package-source.ts';
import { installName, isTag, type PackageSpec, parsePackageSpec, specFromCanonical } from './parse-package-spec.ts';
import { placePackages } from './place-packages.ts';
import { emptyManifest, findProjectManifest, type ProjectManifest, saveDependencies } from './project-manifest.ts';
import { type DependencyRequest, type LockedVersions, resolvePackageGraph } from './resolve-package-graph.ts';
import { safePackagePath } from './safe-package-path.ts';

export interface InstallOptions {
  specs: string[];
  frozenLockfile: boolean;
  offline: boolean;
  preferOffline: boolean;
  saveDev: boolean;
  /** refuse, rather than warn about, a version whose `engines.node` does not fit this Node */
  engineStrict?: boolean;
  /** run no lifecycle script at all: neither the project's nor any dependency's */
  ignoreScripts?: boolean;
  /** packages of other hosts straight from their origin, not through the registry (`--origin`) */
  fromOrigin?: boolean;
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
  /** optional dependencies left out because their `os`/`cpu`/`libc` do not fit this machine */
  skipped: Array<{ path: string; name: string; version: string; platform: string }>;
  scripts: {
    /** the project's own lifecycle events that ran */
    project: string[];
    /** dependencies whose install scripts ran (allowed by trustedDependencies) */
    ran: Array<{ path: string; name: string; version: string; events: string[] }>;
    /** dependencies with install scripts the project does not allow: they did not run */
    blocked: ScriptedPackage[];
    ignored: boolean;
  };
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
    // named on the command line: the registry's newest answer, not a fresh cached copy
    const { version } = await source.pick(spec, true);
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

/** The name a manifest (and trustedDependencies) uses for an installed package. */
function displayName(canonical: string, host: string): string {
  try {
    return manifestKey(specFromCanonical(canonical, '*'), host);
  } catch {
    return canonical;
  }
}

/** Whether a locked or resolved package is left out here: optional, and made for another platform. */
function skippedHere(optional: boolean | undefined, platform: PlatformFields | undefined): boolean {
  return optional === true && platform !== undefined && !platformFits(platform);
}

/** The package.json of a version document, parsed (for its platform fields), or {} when it has none. */
async function readPackageJson(source: PackageSource, document: InstallUnit['document'], what: string): Promise<Record<string, unknown>> {
  const key = Object.keys(document.files).find((k) => {
    try {
      return safePackagePath(k, what) === 'package.json';
    } catch {
      return false;
    }
  });
  if (!key) return {};
  try {
    const text = await source.withObject(document.files[key] as string, `${what}/package.json`, (path) => readFile(path, 'utf8'));
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch (error) {
    if (error instanceof SyntaxError) return {};
    throw error;
  }
}

interface Planned {
  next: PackageLockfile;
  units: InstallUnit[];
  skipped: InstallResult['skipped'];
}

/** The tree from an unchanged lockfile: optional packages for another platform left out without a fetch. */
async function planFromLock(
  lock: PackageLockfile,
  host: string,
  source: PackageSource,
  prefetchFiles: (canonical: string, version: string, integrity: string, files: Record<string, string>) => void,
): Promise<Planned> {
  const skipped: InstallResult['skipped'] = [];
  const kept = Object.entries(lock.packages).filter(([path, entry]) => {
    const platform = platformFields(entry as unknown as Record<string, unknown>);
    if (!skippedHere(entry.optional, platform)) return true;
    skipped.push({ path, name: displayName(entry.name, host), version: entry.version, platform: describePlatform(platform ?? {}) });
    return false;
  });
  const units = await Promise.all(
    kept.map(async ([path, entry]) => {
      const document = await source.getDocument(entry.integrity, `${entry.name}@${entry.version}`);
      prefetchFiles(entry.name, entry.version, entry.integrity, document.files);
      return {
        path,
        installName: installName(specFromCanonical(entry.name, entry.version).ref),
        canonical: entry.name,
        version: entry.version,
        integrity: entry.integrity,
        document,
      };
    }),
  );
  return { next: lock, units, skipped };
}

/** Resolves the graph and lays it out; optional packages for another platform are locked but neither fetched nor linked. */
async function planFromRegistry(
  ctx: CliContext,
  source: PackageSource,
  input: { root: RootRequests; host: string; lock: PackageLockfile | undefined; added: InstallResult['added'] },
  prefetchFiles: (canonical: string, version: string, integrity: string, files: Record<string, string>) => void,
  deprecated: InstallResult['deprecated'],
): Promise<Planned> {
  const { root, host, lock, added } = input;
  const graph = await resolvePackageGraph(
    source,
    rootDependencyRequests(root),
    (node) => {
      if (!skippedHere(true, node.platform)) prefetchFiles(node.spec.canonical, node.version, node.integrity, node.document.files);
    },
    lock && lock.host === host ? lockedVersions(lock, new Set(added.map((a) => a.name))) : undefined,
    async (node) => platformFields(await readPackageJson(source, node.document, node.id)),
  );
  for (const node of graph.nodes.values()) {
    if (node.deprecated === undefined) continue;
    deprecated.push({ name: node.spec.canonical, version: node.version, message: node.deprecated });
    ctx.info(`warning: ${node.spec.canonical}@${node.version} is deprecated: ${printable(node.deprecated)}`);
  }
  const packages: Record<string, LockedPackage> = {};
  const units: InstallUnit[] = [];
  const skipped: InstallResult['skipped'] = [];
  for (const { path, id } of placePackages(graph)) {
    const node = graph.nodes.get(id) as NonNullable<ReturnType<typeof graph.nodes.get>>;
    const entry: LockedPackage = { name: node.spec.canonical, version: node.version, integrity: node.integrity };
    if (node.optional) entry.optional = true;
    if (node.platform) Object.assign(entry, node.platform);
    packages[path] = entry;
    if (skippedHere(node.optional, node.platform)) {
      skipped.push({
        path,
        name: displayName(node.spec.canonical, host),
        version: node.version,
        platform: describePlatform(node.platform ?? {}),
      });
      continue;
    }
    units.push({
      path,
      installName: installName(node.spec.ref),
      canonical: node.spec.canonical,
      version: node.version,
      integrity: node.integrity,
      document: node.document,
    });
  }
  return { next: { version: LOCKFILE_VERSION, host, root, packages }, units, skipped };
}

/** The project's own scripts as npm sees them: Package.toml's table stands in for package.json. */
function projectScripts(manifest: ProjectManifest): Parameters<typeof runProjectScripts>[1] {
  return {
    dir: manifest.dir,
    pkg: manifest.raw,
    scripts: manifest.scripts,
    hasBindingGyp: existsSync(join(manifest.dir, 'binding.gyp')),
  };
}

/** Where the project's own script output goes: stderr when stdout carries --json. */
function scriptOutput(ctx: CliContext): { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } {
  return { stdout: ctx.json ? ctx.io.stderr : ctx.io.stdout, stderr: ctx.io.stderr };
}

interface LinkInput {
  manifest: ProjectManifest;
  host: string;
  units: InstallUnit[];
  source: PackageSource;
  lockHash: string;
  upToDate: boolean;
  ignoreScripts: boolean;
  scripts: InstallResult['scripts'];
  prefetch: Promise<unknown>[];
}

/**
 * Writes node_modules (unless up to date), then runs the allowed dependencies' install scripts
 * and the project's own; a failing script puts the previous node_modules back.
 */
async function linkAndRunScripts(ctx: CliContext, input: LinkInput): Promise<{ files: number; bins: number }> {
  const { manifest, host, units, source, lockHash, upToDate, ignoreScripts, scripts, prefetch } = input;
  const dir = manifest.dir;
  const scriptCtx: ScriptContext = { env: ctx.io.env, initCwd: ctx.io.cwd };
  const runRootScripts = async () => {
    if (ignoreScripts) return;
    ctx.progress.done();
    scripts.project = await runProjectScripts(scriptCtx, projectScripts(manifest), ROOT_INSTALL_EVENTS, scriptOutput(ctx), 'the project');
  };
  if (!upToDate) {
    await Promise.all(prefetch);
    ctx.progress.phase('link', units.length);
    const trusted = (unit: InstallUnit) =>
      !ignoreScripts && isTrusted(manifest.trustedDependencies, displayName(unit.canonical, host), unit.version, unit.integrity);
    return linkNodeModules(dir, units, source, lockHash, {
      onPackage: () => ctx.progress.tick(),
      // A package whose scripts run gets copies: what its scripts write must not reach the shared cache.
      copies: (unit, m) => trusted(unit) && installScripts(m.pkg, m.hasBindingGyp).length > 0,
      afterSwap: async (manifests) => {
        const found = findScriptedPackages({ units, manifests, nameOf: (u) => displayName(u.canonical, host), allowed: trusted });
        scripts.blocked = ignoreScripts ? [] : found.blocked;
        ctx.progress.done();
        await runDependencyScripts(
          {
            ctx: scriptCtx,
            projectDir: dir,
            units,
            manifests,
            nameOf: (u) => displayName(u.canonical, host),
            allowed: trusted,
            report: (text) => ctx.io.stderr.write(text),
            started: (line) => ctx.debug(`running ${line}`),
          },
          found.allowed,
        );
        scripts.ran = found.allowed.map((p) => ({ path: p.path, name: p.name, version: p.version, events: p.scripts.map(([e]) => e) }));
        await runRootScripts();
      },
      state: () => ({ blocked: scripts.blocked }),
    });
  }
  await runRootScripts();
  return { files: 0, bins: 0 };
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
    fromOrigin: options.fromOrigin === true,
    engines: { nodeVersion: process.versions.node, strict: options.engineStrict === true, warn: (w) => warn(ctx, warnings, w) },
  });

  const added = options.specs.length > 0 ? await addSpecs(ctx, source, manifest, options.specs, host, options.saveDev) : [];
  const root = canonicalRequests(manifest, host);

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
  if (!reuse && options.frozenLockfile) {
    throw cliError(
      'LOCKFILE_OUTDATED',
      lock
        ? 'Package.lock does not match the manifest and --frozen-lockfile forbids changing it.'
        : 'There is no Package.lock and --frozen-lockfile forbids writing one.',
      'Run `ds install` without --frozen-lockfile and commit Package.lock.',
    );
  }
  if (reuse) ctx.debug(`${dir}/Package.lock matches the manifest; reusing it`);
  const { next, units, skipped } = reuse
    ? await planFromLock(lock, host, source, prefetchFiles)
    : await planFromRegistry(ctx, source, { root, host, lock, added }, prefetchFiles, deprecated);
  const lockText = serializeLockfile(next);
  const ignoreScripts = options.ignoreScripts === true;
  // What the tree was built for: the lockfile, and which scripts ran on it.
  const scriptsKey = ignoreScripts ? 'ignore-scripts' : JSON.stringify([...manifest.trustedDependencies].sort());
  const lockHash = createHash('sha256').update(lockText).update(`\0${scriptsKey}`).digest('hex');
  const state = reuse ? await nodeModulesMatches(dir, lockHash) : undefined;
  const upToDate = state !== undefined;
  const scripts: InstallResult['scripts'] = {
    project: [],
    ran: [],
    blocked: Array.isArray(state?.blocked) ? (state.blocked as ScriptedPackage[]) : [],
    ignored: ignoreScripts,
  };
  const linked = await linkAndRunScripts(ctx, { manifest, host, units, source, lockHash, upToDate, ignoreScripts, scripts, prefetch });
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
    skipped,
    scripts,
    files: linked.files,
    bins: linked.bins,
    durationMs: Math.round(performance.now() - started),
  };
}
