import type { TrustedIdentity } from './trusted-publishers.ts';

/** built from the stored files, the verified upstream tarball (legacy), or the exact tarball `npm publish` uploaded */
export type NpmTarballSource = 'built' | 'upstream' | 'published';

/** The npm tarball recorded for a version. */
export interface NewNpmTarball {
  versionId: number;
  integrity: string;
  shasum: string;
  size: number;
  /** package.json fields npm clients need (bin, engines, scripts…), dependencies excluded */
  manifest: Record<string, unknown>;
  source: NpmTarballSource;
}

/** A version as the npm packument shows it, with its recorded tarball (the `tarball_*` fields are null when none is recorded). */
export interface NpmVersionRow {
  id: number;
  version: string;
  yanked: boolean;
  /** the maintainer's deprecation message; null: not deprecated */
  deprecated: string | null;
  created_at: Date;
  files: Record<string, string>;
  dependencies: Record<string, string>;
  dev_dependencies: Record<string, string>;
  peer_dependencies: Record<string, string>;
  optional_dependencies: Record<string, string>;
  bundled_dependencies: Record<string, string>;
  file_count: number;
  total_bytes: string | number;
  tarball_integrity: string | null;
  shasum: string | null;
  manifest: Record<string, unknown> | null;
  /** published with a trusted-publishing token: the CI identity (issue 10.2) */
  published_by: TrustedIdentity | null;
}

/** What building a version's npm tarball reads. */
export interface NpmBuildSourceRow {
  id: number;
  version: string;
  files: Record<string, string>;
  dependencies: Record<string, string>;
  dev_dependencies: Record<string, string>;
  peer_dependencies: Record<string, string>;
  optional_dependencies: Record<string, string>;
}

/** A version that has no npm tarball recorded yet, with the package it belongs to. */
export interface UnbuiltNpmVersionRow extends NpmBuildSourceRow {
  /** package name */
  name: string;
  /** namespace name */
  ns: string;
  /** stored namespace host: null for this registry's own */
  host: string | null;
}

/** The tarballs npm clients download: one per version, built from its files or mirrored from the upstream. */
export interface NpmTarballRepository {
  /** Every version of the package (yanked ones included) with its tarball if recorded, in no particular order. */
  listVersions(packageId: number): Promise<NpmVersionRow[]>;
  /** The version of a package by id, with its tarball's integrity (null when none is recorded). */
  findByPackageId(packageId: number, version: string): Promise<{ versionId: number; integrity: string | null } | undefined>;
  /** The same by the package's coordinates (`host` is the stored host: null for this registry's own). */
  findByName(
    namespace: string,
    host: string | null,
    name: string,
    version: string,
  ): Promise<{ versionId: number; integrity: string | null } | undefined>;
  /** What building the version's tarball needs, with the integrity of the one recorded (null: none yet). */
  findBuildSource(packageId: number, version: string): Promise<(NpmBuildSourceRow & { tarball_integrity: string | null }) | undefined>;
  /** The same by version id, with the package's coordinates (what the `npm-tarball` job reads). */
  findBuildSourceById(versionId: number): Promise<(UnbuiltNpmVersionRow & { tarball_integrity: string | null }) | undefined>;
  /** Records the tarball of a version; the first one recorded stays (a second insert is a no-op). */
  insert(tarball: NewNpmTarball): Promise<void>;
  /** Versions with an id above `afterId` and no tarball recorded, in id order, at most `limit`. */
  listUnbuilt(afterId: number, limit: number): Promise<UnbuiltNpmVersionRow[]>;
}
