import semver from 'semver';
import type { Json, Packuments } from './npm-packument.ts';

/** The release-age quarantine of one package's versions (docs/security.md). */
export interface ReleaseAgePolicy {
  /** versions younger than this are quarantined; 0: off */
  minAgeHours: number;
  now: Date;
}

/** The start of the `deprecated` text of a quarantined version (clients and tests recognise it). */
export const QUARANTINE_NOTICE = 'Quarantined by the registry';

function quarantineMessage(published: Date, until: Date, hours: number, deprecated: unknown): string {
  const own = typeof deprecated === 'string' && deprecated !== '' ? ` ${deprecated}` : '';
  return (
    `${QUARANTINE_NOTICE} until ${until.toISOString()}: published ${published.toISOString()}, ` +
    `versions are offered to ranges once ${hours} hours old. Pin the exact version to install it now.${own}`
  );
}

/**
 * Packuments in which versions younger than the policy's age are kept out of range resolution
 * while staying installable when pinned exactly. npm (npm-pick-manifest) and `ds` resolve a range
 * to the highest satisfying version that is not `deprecated`, and an exact version to that
 * version whatever it carries; so a young version stays in `versions` (an exact pin finds it; its
 * tarball is served), carries a `deprecated` notice (a range prefers every older satisfying
 * version), and no dist-tag points at it: a tag on a young version moves to the highest old-enough
 * version below it (npm's own `--before` rule), or is left out when there is none. A range only
 * young versions satisfy still resolves to one of them (npm falls back to deprecated versions).
 * `time` is left as it is (pnpm's `minimumReleaseAge` reads it). A version without a `time` entry
 * is treated as old (its age cannot be told). The input is not changed.
 */
export function quarantineYoungVersions(packuments: Packuments, policy: ReleaseAgePolicy): Packuments {
  if (policy.minAgeHours <= 0) return packuments;
  const minAgeMs = policy.minAgeHours * 3_600_000;
  const now = policy.now.getTime();
  const time = (packuments.full.time ?? {}) as Record<string, unknown>;
  const fullVersions = (packuments.full.versions ?? {}) as Record<string, Json>;
  const young = new Map<string, Date>();
  for (const version of Object.keys(fullVersions)) {
    const stamp = time[version];
    const published = typeof stamp === 'string' ? new Date(stamp) : undefined;
    if (published && !Number.isNaN(published.getTime()) && now - published.getTime() < minAgeMs) young.set(version, published);
  }
  if (young.size === 0) return packuments;

  const mark = (versions: Record<string, Json>): Json => {
    const out: Json = {};
    for (const [version, view] of Object.entries(versions)) {
      const published = young.get(version);
      out[version] = published
        ? {
            ...view,
            deprecated: quarantineMessage(published, new Date(published.getTime() + minAgeMs), policy.minAgeHours, view.deprecated),
          }
        : view;
    }
    return out;
  };
  const old = Object.keys(fullVersions).filter((v) => !young.has(v) && semver.valid(v));
  const tags: Record<string, string> = {};
  for (const [tag, version] of Object.entries((packuments.full['dist-tags'] ?? {}) as Record<string, string>)) {
    if (!young.has(version)) {
      tags[tag] = version;
      continue;
    }
    const fallback = olderTagTarget(old, version, fullVersions);
    if (fallback) tags[tag] = fallback;
  }
  const abbreviatedVersions = (packuments.abbreviated.versions ?? {}) as Record<string, Json>;
  return {
    full: { ...packuments.full, 'dist-tags': tags, versions: mark(fullVersions) },
    abbreviated: { ...packuments.abbreviated, 'dist-tags': tags, versions: mark(abbreviatedVersions) },
  };
}

/** The highest old-enough version below `tagged`: a release for a release, not deprecated when one is. */
function olderTagTarget(old: string[], tagged: string, versions: Record<string, Json>): string | undefined {
  const release = semver.prerelease(tagged) === null;
  const below = old.filter((v) => semver.lt(v, tagged) && (!release || semver.prerelease(v) === null));
  const current = below.filter((v) => !versions[v]?.deprecated);
  const pick = (list: string[]) => list.sort(semver.rcompare)[0];
  return pick(current) ?? pick(below);
}
