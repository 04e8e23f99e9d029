import type { CoreDeps, PackageRef } from '@entropic/core';
import { type DependencyMap, type Integrity, LEGACY, npmNameOf } from '@entropic/types';
import { type Json, pickManifest, translateDependencies } from './npm-packument.ts';
import { buildTarball } from './npm-tarball.ts';

/** What building a version's npm tarball needs. */
export interface NpmTarballBuildSource {
  versionId: number;
  version: string;
  files: Record<string, string>;
  dependencies: DependencyMap;
  npmName: string;
}

const BACKFILL_PAGE = 100;

/**
 * Builds a version's npm tarball from its stored files (deterministically, see buildTarball),
 * stores it as a blob and records it with the package.json fields clients read.
 */
export async function buildNpmTarball(deps: CoreDeps, source: NpmTarballBuildSource): Promise<void> {
  const packageJsonIntegrity = source.files['./package/package.json'];
  let manifest: Json = {};
  let extra: { path: string; content: Buffer } | undefined;
  if (packageJsonIntegrity) {
    const bytes = await deps.blobs.getBytes(packageJsonIntegrity as Integrity);
    try {
      manifest = pickManifest(JSON.parse(bytes?.toString('utf8') ?? ''), './package/binding.gyp' in source.files);
    } catch {
      manifest = {};
    }
  } else {
    // A version published without a package.json (ds publish) still installs with npm.
    const packageJson = {
      name: source.npmName,
      version: source.version,
      dependencies: translateDependencies(source.dependencies, deps.host),
    };
    extra = { path: './package/package.json', content: Buffer.from(`${JSON.stringify(packageJson, null, 2)}\n`) };
  }
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
    await this.build({
      versionId: row.id,
      version: row.version,
      files: row.files,
      dependencies: row.dependencies,
      npmName: npmNameOf(ref, this.deps.host),
    });
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
          await this.build({ versionId: row.id, version: row.version, files: row.files, dependencies: row.dependencies, npmName });
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
