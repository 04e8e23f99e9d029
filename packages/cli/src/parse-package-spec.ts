import { formatPackageRef, type PackageRef } from '@entropic/client';
import { isValidNamespaceName, LEGACY, packageNameProblem, truncate } from '@entropic/types';
import semver from 'semver';
import { cliError } from './cli-error.ts';

export interface PackageSpec {
  ref: PackageRef;
  /** A semver range or a dist-tag; `latest` when the spec named none. */
  range: string;
  /** True when the user wrote a range or tag. */
  explicitRange: boolean;
  /** `ns@host/<encoded name>` */
  canonical: string;
}

const TAG_RE = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;
const HOST_RE = /^[a-z0-9.-]+(?::\d{1,5})?$/i;

export function isTag(range: string): boolean {
  return TAG_RE.test(range) && semver.validRange(range) === null;
}

function bad(raw: string, why: string): Error {
  return cliError(
    'INVALID_SPEC',
    `"${truncate(raw)}" is not a valid package spec: ${why}.`,
    'Use namespace/name, namespace@host/name or an npm name, optionally followed by @<range or tag>.',
  );
}

/**
 * Parses what a user types: `ns@host/name[@range]`, `ns/name[@range]` (the registry's host),
 * `name[@range]` or `@scope/name[@range]` (npm names, in the `legacy` namespace).
 */
export function parsePackageSpec(raw: string, registryHost: string): PackageSpec {
  if (raw.length === 0 || raw.length > 1024 || /\s/.test(raw)) throw bad(raw, 'it is empty or contains spaces');
  let namespace: string;
  let host = registryHost;
  let rest: string;
  if (raw.startsWith('@') || !raw.includes('/')) {
    namespace = LEGACY;
    rest = raw;
  } else {
    const slash = raw.indexOf('/');
    const segment = raw.slice(0, slash);
    rest = raw.slice(slash + 1);
    const at = segment.indexOf('@');
    namespace = at === -1 ? segment : segment.slice(0, at);
    if (at !== -1) host = segment.slice(at + 1).toLowerCase();
    if (!isValidNamespaceName(namespace)) throw bad(raw, `"${truncate(namespace)}" is not a valid namespace`);
    if (!HOST_RE.test(host)) throw bad(raw, `"${truncate(host)}" is not a valid host`);
  }
  // The range starts at the last "@" that is not the first character (a scope's "@").
  const at = rest.lastIndexOf('@');
  let name = rest;
  let range = 'latest';
  let explicitRange = false;
  if (at > 0) {
    name = rest.slice(0, at);
    range = rest.slice(at + 1);
    explicitRange = true;
    if (range.length === 0) throw bad(raw, 'the range after "@" is empty');
    if (semver.validRange(range) === null && !isTag(range)) throw bad(raw, `"${truncate(range)}" is neither a semver range nor a tag`);
  }
  const problem = packageNameProblem(name, namespace);
  if (problem) throw bad(raw, `the name is not valid (${problem})`);
  const ref: PackageRef = { namespace, host, name };
  return { ref, range, explicitRange, canonical: formatPackageRef(ref) };
}

/** A canonical dependency key from a version document, `ns@host/<encoded>`, as a spec. */
export function specFromCanonical(canonical: string, range: string): PackageSpec {
  const match = /^([a-z0-9-]+)@([^/]+)\/(.+)$/.exec(canonical);
  if (!match) throw cliError('INVALID_SPEC', `The registry sent an invalid dependency name "${truncate(canonical)}".`);
  let name: string;
  try {
    name = decodeURIComponent(match[3] as string);
  } catch (error) {
    throw cliError('INVALID_SPEC', `The registry sent an invalid dependency name "${truncate(canonical)}".`, undefined, error);
  }
  const ref: PackageRef = { namespace: match[1] as string, host: match[2] as string, name };
  return { ref, range, explicitRange: true, canonical: formatPackageRef(ref) };
}

/** Where a package lives under node_modules: `@ns/pkg`, or its npm name when in `legacy`. */
export function installName(ref: PackageRef): string {
  return ref.namespace === LEGACY ? ref.name : `@${ref.namespace}/${ref.name}`;
}
