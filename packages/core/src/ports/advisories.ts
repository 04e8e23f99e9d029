/** How bad an advisory is, in npm's words (npm audit's `--audit-level` uses the same). */
export type AdvisorySeverity = 'info' | 'low' | 'moderate' | 'high' | 'critical';

export const ADVISORY_SEVERITIES: readonly AdvisorySeverity[] = ['info', 'low', 'moderate', 'high', 'critical'];

/** A security advisory a maintainer published for a local package. */
export interface AdvisoryRow {
  id: number;
  packageId: number;
  title: string;
  severity: AdvisorySeverity;
  /** a semver range: the versions it affects */
  vulnerableVersions: string;
  /** a semver range: the versions that fix it; undefined when none does yet */
  patchedVersions: string | undefined;
  /** where to read more; undefined: the package page */
  url: string | undefined;
  cwe: string[];
  cvss: { score: number; vectorString: string | null } | undefined;
  createdAt: Date;
}

export type NewAdvisory = Omit<AdvisoryRow, 'id' | 'createdAt'> & { createdAt: Date; createdBy: number | undefined };

export interface AdvisoryRepository {
  /** A package's advisories, newest first. */
  list(packageId: number): Promise<AdvisoryRow[]>;
  /** The advisories of several packages at once (`npm audit` asks for many), by package id. */
  listForPackages(packageIds: readonly number[]): Promise<Map<number, AdvisoryRow[]>>;
  insert(advisory: NewAdvisory): Promise<AdvisoryRow>;
  /** Removes one advisory of the package: false when it has no advisory of that id. */
  remove(packageId: number, id: number): Promise<boolean>;
}
