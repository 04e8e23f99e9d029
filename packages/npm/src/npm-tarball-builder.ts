import type { CoreDeps, NpmBuildSourceRow, PackageRef } from '@entropic/core';
import { type DependencyMap, type Host, type Integrity, LEGACY, npmNameOf } from '@entropic/types';
import { type Json, pickManifest, translateDependencies } from './npm-packument.ts';
import { buildTarball } from './npm-tarball.ts';

/** What building a version's npm tarball needs. */
export interface NpmTarballBuildSource {
  versionId: number;
  version: string;
  files: Record<string, string>;
  dependencies: DependencyMap;
  devDependencies: DependencyMap;
  peerDependencies: DependencyMap;
  optionalDependencies: DependencyMap;
  npmName: string;
}

const BACKFILL_PAGE = 100;
const DEPENDENCY_FIELDS = [
  ['dependencies', 'dependencies'],
  ['devDependencies', 'devDependencies'],
  ['peerDependencies', 'peerDependencies'],
  ['optionalDependencies', 'optionalDependencies'],
] as const;

/**
 * The package.json to put in the tarball in place of the stored one, or undefined when the stored
 * one already names the package and its dependencies as the packument does. A remote package's
 * package.json names them as its origin does (`@bob/util` there is `@entropic.remote/bob.…__util`
 * here), and one published with `ds` may name a dependency `ns@host/name`, which npm cannot read:
 * npm reads the installed package.json again on later installs, so it must agree with the packument.
 */
function rewrittenPackageJson(packageJson: Json, source: NpmTarballBuildSource, localHost: Host): Json | undefined {
  const out: Json = { ...packageJson };
  let changed = packageJson.name !== source.npmName;
  out.name = source.npmName;
  for (const [field, key] of DEPENDENCY_FIELDS) {
    const wanted = translateDependencies(source[key], localHost);
    const stored = packageJson[field];
    const same =
      stored !== null &&
      typeof stored === 'object' &&
      JSON.stringify(Object.keys(stored).sort()) === JSON.stringify(Object.keys(wanted).sort()) &&
      Object.entries(wanted).every(([name, range]) => (stored as Json)[name] === range);
    if (same || (stored === undefined && Object.keys(wanted).length === 0)) continue;
    changed = true;
    if (Object.keys(wanted).length === 0) delete out[field];
    else out[field] = wanted;
  }
  return changed ? out : undefined;
}

/**
 * Builds a version's npm tarball from its stored files (deterministically, see buildTarball),
 * stores it as a blob and records it with the package.json fields clients read.
 */
export async function buildNpmTarball(deps: CoreDeps, source: NpmTarballBuildSource): Promise<void> {
  const packageJsonIntegrity = source.files['./package/package.json'];
  let manifest: Json = {};
  let packageJson: Json | undefined;
  if (packageJsonIntegrity) {
    const bytes = await deps.blobs.getBytes(packageJsonIntegrity as Integrity);
    try {
      const parsed = JSON.parse(bytes?.toString('utf8') ?? '') as unknown;
      manifest = pickManifest(parsed, './package/binding.gyp' in source.files);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        packageJson = rewrittenPackageJson(parsed as Json, source, deps.host);
      }
    } catch {
      manifest = {};
    }
  } else {
    // A version published without a package.json (ds publish) still installs with npm.
    const generated = {
      name: source.npmName,
      version: source.version,
      dependencies: translateDependencies(source.dependencies, deps.host),
    };
    packageJson = rewrittenPackageJson(generated, source, deps.host) ?? generated;
  }
  const extra = packageJson
    ? { path: './package/package.json', content: Buffer.from(`${JSON.stringify(packageJson, null, 2)}\n`) }
    : undefined;
  const built = await buildTarball(deps.blobs, { files: source.files, ...(extra ? { extra } : {}) });
  await deps.repos.npmTarballs.insert({
    versionId: source.versionId,
    integrity: built.integrity,
    shasum: built.shasum,
    size: built.size,
    manifest,
    source: 'built',
  });
}

/**
 * The one writer of built npm tarballs, single-flight per version. A publish that is not an
 * `npm publish` enqueues an `npm-tarball` job in its transaction; the job (`buildById`) builds and
 * records the tarball, and announces `package-changed` so cached packuments are dropped. A read
 * that finds a version's tarball not built yet (its job still queued) builds it on the spot
 * through the same single-flight `buildById`, so a packument never leaves out a published version.
 * Versions that have none for any other reason (published before tarballs were built on publish,
 * or whose job died) are built by the `npm-tarball-backfill` job (`buildMissing`). `legacy`
 * versions are skipped: the mirror records the upstream's own tarball for them; so are versions
 * published with npm, whose uploaded tarball is recorded with them.
 */
export class NpmTarballBuilder {
  private readonly building = new Map<number, Promise<void>>();

  constructor(
    private readonly deps: CoreDeps,
    private readonly onError: (error: unknown, what: string) => void = () => {},
  ) {}

  /**
   * Builds the tarball of one version by id (a no-op when the version does not exist, is `legacy`,
   * or has its tarball recorded already); answers whether it built one.
   */
  async buildById(versionId: number): Promise<boolean> {
    const row = await this.deps.repos.npmTarballs.findBuildSourceById(versionId);
    if (!row || row.tarball_integrity !== null || (row.ns === LEGACY && row.host === null)) return false;
    const ref = { namespace: row.ns, host: row.host ?? this.deps.host, name: row.name } as PackageRef;
    await this.build(buildSource(row, npmNameOf(ref, this.deps.host)));
    await this.deps.events.emit({ type: 'package-changed', ref });
    return true;
  }

  /** Builds every missing tarball of a non-`legacy` version; answers how many were built. */
  async buildMissing(): Promise<number> {
    let built = 0;
    let afterId = 0;
    for (;;) {
      const rows = await this.deps.repos.npmTarballs.listUnbuilt(afterId, BACKFILL_PAGE);
      for (const row of rows) {
        afterId = row.id;
        if (row.ns === LEGACY && row.host === null) continue;
        const npmName = npmNameOf({ namespace: row.ns, host: row.host ?? this.deps.host, name: row.name }, this.deps.host);
        try {
          await this.build(buildSource(row, npmName));
          built += 1;
        } catch (error) {
          this.onError(error, `${npmName}@${row.version}`);
        }
      }
      if (rows.length < BACKFILL_PAGE) return built;
    }
  }

  private build(source: NpmTarballBuildSource): Promise<void> {
    let pending = this.building.get(source.versionId);
    if (!pending) {
      pending = buildNpmTarball(this.deps, source).finally(() => this.building.delete(source.versionId));
      this.building.set(source.versionId, pending);
    }
    return pending;
  }
}

function buildSource(row: NpmBuildSourceRow, npmName: string): NpmTarballBuildSource {
  return {
    versionId: row.id,
    version: row.version,
    files: row.files,
    dependencies: row.dependencies,
    devDependencies: row.dev_dependencies,
    peerDependencies: row.peer_dependencies,
    optionalDependencies: row.optional_dependencies,
    npmName,
  };
}
