import type { ClientError } from '@entropic/client';
import type { PackageDocument } from '@entropic/types';
import semver from 'semver';
import { cliError } from './cli-error.ts';
import { isTag, type PackageSpec } from './parse-package-spec.ts';

/**
 * What `engines.node` asks of the Node.js that runs the install, as npm honours it: versions
 * whose engines fit are preferred; when none that the spec allows fits, npm installs anyway with
 * an EBADENGINE warning, or refuses with `engine-strict`.
 */
export interface EngineCheck {
  /** the Node.js version the installed packages will run on, e.g. `20.19.0` */
  nodeVersion: string;
  /** a version's `engines.node`, where the registry says (npm packuments carry it) */
  enginesNode(version: string): string | undefined;
  /** refuse (UNSUPPORTED_ENGINE) instead of warning when nothing fits */
  strict: boolean;
  warn(warning: ClientError): void;
}

/** Like npm-pick-manifest: no `engines.node`, or a range the Node version satisfies (prereleases included). */
function engineFits(engines: EngineCheck | undefined, version: string): boolean {
  const wanted = engines?.enginesNode(version);
  if (!engines || wanted === undefined) return true;
  return semver.satisfies(engines.nodeVersion, wanted, { includePrerelease: true });
}

/** Nothing the spec allows fits the running Node: a warning and `version` anyway, or, when strict, an error. */
function engineMismatch(engines: EngineCheck, spec: PackageSpec, version: string): string {
  const name = spec.ref.namespace === 'legacy' ? spec.ref.name : spec.canonical;
  const error = cliError(
    'UNSUPPORTED_ENGINE',
    `No version of ${name} matching "${spec.range}" supports Node ${engines.nodeVersion}: ` +
      `${name}@${version} needs node "${engines.enginesNode(version)}".`,
    engines.strict
      ? `Run on a Node.js that satisfies it, or ask for an older ${name} (\`ds install ${name}@<range>\`).`
      : `Installing ${name}@${version} anyway, as npm does; --engine-strict refuses instead.`,
  );
  if (engines.strict) throw error;
  engines.warn(error);
  return version;
}

/**
 * The version a spec installs: for a range, the highest non-yanked version satisfying it (one
 * that is not deprecated first, as npm); for `latest`, the tagged version; for another tag, the
 * version it points at. With `engines`, as
 * npm: a range or `latest` prefers the highest version whose `engines.node` fits the running
 * Node (`latest`'s own version first when it fits).
 */
export function pickVersion(doc: PackageDocument, spec: PackageSpec, engines?: EngineCheck): string {
  const versions = Object.keys(doc.versions);
  const fitting = engines ? versions.filter((v) => engineFits(engines, v)) : versions;
  if (isTag(spec.range)) {
    const tagged = doc.tags[spec.range] && doc.versions[doc.tags[spec.range] as string] ? doc.tags[spec.range] : undefined;
    if (tagged && engineFits(engines, tagged)) return tagged;
    if (spec.range === 'latest') {
      const highest = semver.maxSatisfying(fitting, '*');
      if (highest) return highest;
      const any = tagged ?? semver.maxSatisfying(versions, '*');
      if (any && engines) return engineMismatch(engines, spec, any);
    } else if (tagged && engines) return engineMismatch(engines, spec, tagged);
    throw cliError(
      'UNKNOWN_TAG',
      `${spec.canonical} has no tag "${spec.range}"${versions.length === 0 ? ' and no installable versions' : ''}.`,
      `Tags: ${Object.keys(doc.tags).join(', ') || 'none'}.`,
    );
  }
  // As npm: a deprecated version is still resolvable, but one that is not deprecated is preferred.
  const current = fitting.filter((v) => doc.deprecated?.[v] === undefined);
  const picked = semver.maxSatisfying(current, spec.range) ?? semver.maxSatisfying(fitting, spec.range);
  if (picked) return picked;
  const any = engines ? semver.maxSatisfying(versions, spec.range) : null;
  if (any && engines) return engineMismatch(engines, spec, any);
  throw cliError(
    'NO_MATCHING_VERSION',
    `No version of ${spec.canonical} satisfies "${spec.range}".`,
    versions.length > 0 ? `Available: ${semver.rsort(versions).slice(0, 8).join(', ')}.` : 'It has no installable versions.',
  );
}
