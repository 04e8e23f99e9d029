import { type CoreDeps, findPackage, type PackageRef } from '@entropic/core';
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
 * The one writer of built npm tarballs, single-flight per version. It builds a version's tarball
 * when the version is published (a `version-published` listener, so the tarball is recorded
 * before the publish answers), and at start-up for versions that have none yet (published before
 * tarballs were built on publish, or whose build failed). Reads never build: a packument leaves
 * out a version until its tarball is recorded. `legacy` versions are skipped: the mirror records
 * the upstream's own tarball for them; so are versions published with npm, whose uploaded tarball
 * is recorded with them.
 */
export class NpmTarballBuilder {
  private readonly building = new Map<number, Promise<void>>();

  constructor(
    private readonly deps: CoreDeps,
    private readonly onError: (error: unknown, what: string) => void = () => {},
  ) {}

  /** Builds on every `version-published`; answers the unsubscribe function. */
  subscribe(): () => void {
    return this.deps.events.subscribe(async (event) => {
      if (event.type !== 'version-published' || this.isLegacy(event.ref)) return;
      try {
        await this.buildVersion(event.ref, event.version);
      } catch (error) {
        this.onError(error, `${npmNameOf(event.ref, this.deps.host)}@${event.version}`);
      }
    });
  }

  /**
   * Builds the tarball of one published version (a no-op when the version does not exist, or
   * when its tarball is recorded already: `npm publish` records the uploaded one with the version).
   */
  async buildVersion(ref: PackageRef, version: string): Promise<void> {
    const pkg = await findPackage(this.deps.repos, ref, this.deps.host);
    const row = pkg ? await this.deps.repos.npmTarballs.findBuildSource(pkg.id, version) : undefined;
    if (!row || row.tarball_integrity !== null) return;
    await this.build({
      versionId: row.id,
      version: row.version,
      files: row.files,
      dependencies: row.dependencies,
      npmName: npmNameOf(ref, this.deps.host),
    });
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

  private isLegacy(ref: PackageRef): boolean {
    return ref.namespace === LEGACY && ref.host === this.deps.host;
  }
}
