import type { PackageDocument } from '@entropic/types';
import semver from 'semver';
import { cliError } from './cli-error.ts';
import { isTag, type PackageSpec } from './parse-package-spec.ts';

/** Highest non-yanked version satisfying the range, or the version a tag points at. */
export function pickVersion(doc: PackageDocument, spec: PackageSpec): string {
  const versions = Object.keys(doc.versions);
  if (isTag(spec.range)) {
    const tagged = doc.tags[spec.range];
    if (tagged && doc.versions[tagged]) return tagged;
    if (spec.range === 'latest') {
      const highest = semver.maxSatisfying(versions, '*');
      if (highest) return highest;
    }
    throw cliError(
      'UNKNOWN_TAG',
      `${spec.canonical} has no tag "${spec.range}"${versions.length === 0 ? ' and no installable versions' : ''}.`,
      `Tags: ${Object.keys(doc.tags).join(', ') || 'none'}.`,
    );
  }
  const picked = semver.maxSatisfying(versions, spec.range);
  if (!picked) {
    throw cliError(
      'NO_MATCHING_VERSION',
      `No version of ${spec.canonical} satisfies "${spec.range}".`,
      versions.length > 0 ? `Available: ${semver.rsort(versions).slice(0, 8).join(', ')}.` : 'It has no installable versions.',
    );
  }
  return picked;
}
