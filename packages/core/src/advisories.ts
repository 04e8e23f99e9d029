import { appError, truncate } from '@entropic/types';
import semver from 'semver';
import { packageSubject, recordAudit } from './audit-log.ts';
import { authorizePackageWrite } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { fullName, getPackage } from './packages.ts';
import { ADVISORY_SEVERITIES, type AdvisoryRow, type AdvisorySeverity } from './ports/advisories.ts';
import type { PackageRef } from './ports/records.ts';
import type { Principal } from './principal.ts';

/** What a maintainer sends to publish an advisory (validated here: the API and `ds` send the same). */
export interface AdvisoryInput {
  title: unknown;
  severity: unknown;
  vulnerable_versions: unknown;
  patched_versions?: unknown;
  url?: unknown;
  cwe?: unknown;
  cvss?: unknown;
}

/** An advisory as the API and `ds` show it. */
export interface AdvisoryView {
  id: number;
  title: string;
  severity: AdvisorySeverity;
  vulnerable_versions: string;
  patched_versions: string | null;
  url: string | null;
  cwe: string[];
  cvss: { score: number; vectorString: string | null } | null;
  created: string;
}

export function advisoryView(row: AdvisoryRow): AdvisoryView {
  return {
    id: row.id,
    title: row.title,
    severity: row.severity,
    vulnerable_versions: row.vulnerableVersions,
    patched_versions: row.patchedVersions ?? null,
    url: row.url ?? null,
    cwe: row.cwe,
    cvss: row.cvss ?? null,
    created: row.createdAt.toISOString(),
  };
}

const invalid = (message: string) => appError('INVALID_ADVISORY', message);

function range(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200 || semver.validRange(value) === null) {
    throw invalid(
      `"${field}" must be a semver range such as "<1.2.3" or ">=2.0.0 <2.1.4", got ${truncate(JSON.stringify(value) ?? 'nothing')}.`,
    );
  }
  return value.trim();
}

function parseAdvisory(input: AdvisoryInput) {
  const title = typeof input.title === 'string' ? input.title.trim() : '';
  if (title === '' || title.length > 200) throw invalid('"title" must be a text of 1 to 200 characters.');
  if (typeof input.severity !== 'string' || !(ADVISORY_SEVERITIES as readonly string[]).includes(input.severity)) {
    throw invalid(`"severity" must be one of ${ADVISORY_SEVERITIES.join(', ')}.`);
  }
  const vulnerableVersions = range(input.vulnerable_versions, 'vulnerable_versions');
  const patchedVersions =
    input.patched_versions === undefined || input.patched_versions === null ? undefined : range(input.patched_versions, 'patched_versions');
  let url: string | undefined;
  if (input.url !== undefined && input.url !== null) {
    const ok = typeof input.url === 'string' && input.url.length <= 500 && /^https?:\/\/[^\s]+$/.test(input.url) && URL.canParse(input.url);
    if (!ok) throw invalid('"url" must be an http(s) URL of at most 500 characters.');
    url = input.url as string;
  }
  const cwe = input.cwe ?? [];
  if (!Array.isArray(cwe) || cwe.length > 20 || !cwe.every((c) => typeof c === 'string' && /^CWE-\d{1,5}$/.test(c))) {
    throw invalid('"cwe" must be a list of at most 20 weakness ids such as "CWE-79".');
  }
  let cvss: AdvisoryRow['cvss'];
  if (input.cvss !== undefined && input.cvss !== null) {
    const c = input.cvss as { score?: unknown; vectorString?: unknown };
    const scoreOk = typeof c.score === 'number' && c.score >= 0 && c.score <= 10;
    const vectorOk =
      c.vectorString === undefined || c.vectorString === null || (typeof c.vectorString === 'string' && c.vectorString.length <= 200);
    if (typeof c !== 'object' || !scoreOk || !vectorOk) throw invalid('"cvss" must be {"score": 0-10, "vectorString": "CVSS:3.1/…"}.');
    cvss = { score: c.score as number, vectorString: (c.vectorString as string | undefined) ?? null };
  }
  return { title, severity: input.severity as AdvisorySeverity, vulnerableVersions, patchedVersions, url, cwe: cwe as string[], cvss };
}

/** A maintainer publishes an advisory for one of their packages (a write: a second factor may be asked). */
export async function addAdvisory(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: PackageRef; advisory: AdvisoryInput },
): Promise<AdvisoryView> {
  const parsed = parseAdvisory(input.advisory);
  const { ref } = input;
  const row = await deps.uow.transaction(async (repos) => {
    const { pkg, principal } = await authorizePackageWrite(repos, input.principal, ref, deps.host, {});
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    const now = deps.clock.now();
    const inserted = await repos.advisories.insert({
      ...parsed,
      packageId: pkg.id,
      createdAt: now,
      createdBy: 'userId' in principal ? principal.userId : undefined,
    });
    await recordAudit(
      repos,
      now,
      principal,
      'advisory-published',
      packageSubject(ref, { id: inserted.id, severity: inserted.severity, vulnerable_versions: inserted.vulnerableVersions }),
    );
    return inserted;
  });
  await deps.events.emit({ type: 'package-changed', ref });
  return advisoryView(row);
}

/** A package's advisories, newest first (a read: the caller checked the reader may see the package). */
export async function listAdvisories(deps: CoreDeps, input: { ref: PackageRef }): Promise<AdvisoryView[]> {
  const pkg = await getPackage(deps.repos, input.ref, deps.host);
  return (await deps.repos.advisories.list(pkg.id)).map(advisoryView);
}

/** A maintainer withdraws an advisory of their package. */
export async function removeAdvisory(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: PackageRef; id: number },
): Promise<void> {
  const { ref } = input;
  await deps.uow.transaction(async (repos) => {
    const { pkg, principal } = await authorizePackageWrite(repos, input.principal, ref, deps.host);
    if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
    if (!(await repos.advisories.remove(pkg.id, input.id))) {
      throw appError('ADVISORY_NOT_FOUND', `"${fullName(ref)}" has no advisory ${input.id}.`);
    }
    await recordAudit(repos, deps.clock.now(), principal, 'advisory-removed', packageSubject(ref, { id: input.id }));
  });
  await deps.events.emit({ type: 'package-changed', ref });
}

/** npm's bulk answer for one advisory: `{id, url, title, severity, vulnerable_versions, cwe, cvss}`. */
export interface NpmBulkAdvisory {
  id: number;
  url: string;
  title: string;
  severity: AdvisorySeverity;
  vulnerable_versions: string;
  cwe: string[];
  cvss: { score: number; vectorString: string | null };
}

/**
 * The advisories of local packages that affect any of the versions asked, in the npm bulk
 * endpoint's shape (`npm audit`). `packages`: npm name → package id and the versions installed;
 * `defaultUrl`: where an advisory without its own URL points (the package page).
 */
export async function bulkLocalAdvisories(
  deps: CoreDeps,
  packages: ReadonlyMap<string, { packageId: number; versions: string[]; defaultUrl: string }>,
): Promise<Record<string, NpmBulkAdvisory[]>> {
  const byId = await deps.repos.advisories.listForPackages([...packages.values()].map((p) => p.packageId));
  const out: Record<string, NpmBulkAdvisory[]> = {};
  for (const [npmName, { packageId, versions, defaultUrl }] of packages) {
    const hits = (byId.get(packageId) ?? []).filter((a) =>
      versions.some((v) => semver.valid(v) !== null && semver.satisfies(v, a.vulnerableVersions, { includePrerelease: true })),
    );
    if (hits.length === 0) continue;
    out[npmName] = hits.map((a) => ({
      id: a.id,
      url: a.url ?? `${defaultUrl}#advisory-${a.id}`,
      title: a.title,
      severity: a.severity,
      vulnerable_versions: a.vulnerableVersions,
      cwe: a.cwe,
      cvss: a.cvss ?? { score: 0, vectorString: null },
    }));
  }
  return out;
}
