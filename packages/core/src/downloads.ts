import { appError, formatPackageName, type Host, parseDependencyName, truncate } from '@entropic/types';
import type { CoreDeps } from './deps.ts';
import type { DownloadCounter } from './download-counter.ts';
import { storedHost } from './namespaces.ts';
import { findPackage, getReadablePackage } from './packages.ts';
import type { PackageDownloads } from './ports/downloads.ts';
import type { PackageRef } from './ports/records.ts';
import type { Principal } from './principal.ts';

const DAY_MS = 86_400_000;
/** The longest range served, as npm's downloads API (18 months). */
export const MAX_PERIOD_DAYS = 550;
const NAMED_PERIODS = { 'last-day': 1, 'last-week': 7, 'last-month': 30 } as const;

/** Days (UTC, `YYYY-MM-DD`), both included. */
export interface DownloadPeriod {
  start: string;
  end: string;
}

/** A package's downloads over a period: the total and every day of it (zeros included). */
export interface PackageDownloadRange extends DownloadPeriod {
  /** the canonical `ns@host/name` */
  package: string;
  total: number;
  days: Array<{ day: string; downloads: number }>;
  /** the package is private (its counts must not be kept by a shared cache) */
  private: boolean;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function parseDay(raw: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return undefined;
  const ms = Date.parse(`${raw}T00:00:00Z`);
  return Number.isNaN(ms) || dayOf(ms) !== raw ? undefined : ms;
}

/**
 * `last-day` (today, UTC), `last-week` (the 7 days ending today), `last-month` (30 days), or
 * `YYYY-MM-DD:YYYY-MM-DD` (at most MAX_PERIOD_DAYS days). Counts are live, so a period ends with
 * today; npm's end with the last complete day.
 */
export function parseDownloadPeriod(raw: string, now: Date): DownloadPeriod {
  const today = now.getTime() - (now.getTime() % DAY_MS);
  const days = NAMED_PERIODS[raw as keyof typeof NAMED_PERIODS];
  if (days !== undefined) return { start: dayOf(today - (days - 1) * DAY_MS), end: dayOf(today) };
  const [from, to, ...rest] = raw.split(':');
  const start = parseDay(from ?? '');
  const end = parseDay(to ?? '');
  const invalid = (why: string) =>
    appError('INVALID_PERIOD', `"${truncate(raw)}" is not a download period: ${why}.`, {
      hint: 'Use last-day, last-week, last-month or YYYY-MM-DD:YYYY-MM-DD.',
    });
  if (start === undefined || end === undefined || rest.length > 0) throw invalid('it is not a named period or two dates');
  if (start > end) throw invalid('it starts after it ends');
  if ((end - start) / DAY_MS + 1 > MAX_PERIOD_DAYS) throw invalid(`it is longer than ${MAX_PERIOD_DAYS} days`);
  return { start: dayOf(start), end: dayOf(end) };
}

/** A package's downloads per day over a period; PACKAGE_NOT_FOUND when the package is not stored here. */
export async function getPackageDownloads(
  deps: CoreDeps,
  input: { ref: PackageRef; period: string; principal?: Principal | undefined },
): Promise<PackageDownloadRange> {
  const period = parseDownloadPeriod(input.period, deps.clock.now());
  const pkg = await getReadablePackage(deps.repos, input.principal, input.ref, deps.host, deps.grants);
  const stored = { namespace: input.ref.namespace, host: storedHost(input.ref, deps.host), name: input.ref.name };
  const counted = new Map((await deps.repos.downloads.listDaily(stored, period.start, period.end)).map((d) => [d.day, d.downloads]));
  const days: PackageDownloadRange['days'] = [];
  for (let ms = Date.parse(`${period.start}T00:00:00Z`); dayOf(ms) <= period.end; ms += DAY_MS) {
    const day = dayOf(ms);
    days.push({ day, downloads: counted.get(day) ?? 0 });
  }
  const total = days.reduce((sum, d) => sum + d.downloads, 0);
  return { package: formatPackageName(input.ref), ...period, total, days, private: pkg.private };
}

/** Downloads of each version of a package over a period (versions never downloaded are absent). */
export async function listVersionDownloads(
  deps: CoreDeps,
  input: { ref: PackageRef; period: string },
): Promise<{ period: DownloadPeriod; versions: Record<string, number> }> {
  const period = parseDownloadPeriod(input.period, deps.clock.now());
  const stored = { namespace: input.ref.namespace, host: storedHost(input.ref, deps.host), name: input.ref.name };
  const rows = await deps.repos.downloads.listByVersion(stored, period.start, period.end);
  return { period, versions: Object.fromEntries(rows.map((row) => [row.version, row.downloads])) };
}

/** A listing's entry: the package's canonical name, its namespace, its name and downloads. */
export interface MostDownloaded {
  package: string;
  namespace: string;
  name: string;
  downloads: number;
}

/** The packages downloaded most over a period (the home page's list), most first. */
export async function listMostDownloaded(deps: CoreDeps, input: { period: string; limit: number }): Promise<MostDownloaded[]> {
  const period = parseDownloadPeriod(input.period, deps.clock.now());
  const rows = await deps.repos.downloads.listTop(period.start, period.end, input.limit);
  return rows.map((row) => describe(row, deps.host));
}

function describe(row: PackageDownloads, localHost: Host): MostDownloaded {
  const host = (row.host ?? localHost) as Host;
  const namespace = `${row.namespace}@${host}`;
  return { package: `${namespace}/${encodeURIComponent(row.name)}`, namespace, name: row.name, downloads: row.downloads };
}

/** The most versions one report of an install may name. */
export const MAX_REPORTED_DOWNLOADS = 1000;

/**
 * `ds install` fetches a version's document by integrity (from /objects, where no version is
 * named), so after an install it reports the versions it fetched from this registry (not those
 * from its cache): each is counted once, as a tarball GET is for npm. Only versions stored here
 * count; others (another host, unknown, malformed) are skipped, and the answer says how many counted.
 */
export async function countReportedDownloads(
  deps: CoreDeps,
  counter: DownloadCounter,
  input: { downloads: unknown },
): Promise<{ counted: number }> {
  const { downloads } = input;
  if (!Array.isArray(downloads) || downloads.length > MAX_REPORTED_DOWNLOADS) {
    throw appError('INVALID_FIELD', `"downloads" must be a list of at most ${MAX_REPORTED_DOWNLOADS} {package, version}.`);
  }
  const byPackage = new Map<string, { ref: PackageRef; versions: Set<string> }>();
  for (const entry of downloads as Array<{ package?: unknown; version?: unknown }>) {
    if (typeof entry?.package !== 'string' || typeof entry.version !== 'string') continue;
    let ref: PackageRef;
    try {
      ref = parseDependencyName(entry.package, deps.host);
    } catch {
      continue;
    }
    if (ref.host !== deps.host) continue;
    const key = formatPackageName(ref);
    const seen = byPackage.get(key) ?? { ref, versions: new Set<string>() };
    seen.versions.add(entry.version);
    byPackage.set(key, seen);
  }
  let counted = 0;
  for (const { ref, versions } of byPackage.values()) {
    const pkg = await findPackage(deps.repos, ref, deps.host);
    if (!pkg) continue;
    for (const version of versions) {
      if (!(await deps.repos.versions.findState(pkg.id, version))) continue;
      counter.count(ref, version);
      counted += 1;
    }
  }
  return { counted };
}

/** What a package page shows: downloads today, over 7 and 30 days (all ending today, UTC), and per version over 30 days. */
export interface PackageDownloadSummary {
  lastDay: number;
  lastWeek: number;
  lastMonth: number;
  /** downloads of each version over the 30 days (versions not downloaded are absent) */
  versions: Record<string, number>;
}

/** The package page's counts in two queries (no PACKAGE_NOT_FOUND: the page has found the package). */
export async function summarizePackageDownloads(deps: CoreDeps, input: { ref: PackageRef }): Promise<PackageDownloadSummary> {
  const month = parseDownloadPeriod('last-month', deps.clock.now());
  const week = parseDownloadPeriod('last-week', deps.clock.now());
  const stored = { namespace: input.ref.namespace, host: storedHost(input.ref, deps.host), name: input.ref.name };
  const [days, versions] = await Promise.all([
    deps.repos.downloads.listDaily(stored, month.start, month.end),
    deps.repos.downloads.listByVersion(stored, month.start, month.end),
  ]);
  const sum = (from: string) => days.filter((d) => d.day >= from).reduce((total, d) => total + d.downloads, 0);
  return {
    lastDay: sum(month.end),
    lastWeek: sum(week.start),
    lastMonth: sum(month.start),
    versions: Object.fromEntries(versions.map((v) => [v.version, v.downloads])),
  };
}
