import type { CoreDeps, Federation, PackageRef } from '@entropic/core';
import { appError, isAppError, type PackageDocument, truncate } from '@entropic/types';
import semver from 'semver';
import { type BuildNpmTarball, listNpmVersions, type Packuments, renderPackuments, type SignNpmVersion } from './npm-packument.ts';

/**
 * How many versions of a remote package one packument read mirrors that are not here yet, newest
 * first after the tagged ones (bounded work per read; the `mirror-remote` jobs mirror what local
 * packages depend on in the background).
 */
export const MIRRORED_PER_PACKUMENT = 10;

/** the origin is down or slow: what is here is served, versions not mirrored are left out */
const TRANSPORT_CODES = new Set(['PEER_UNREACHABLE', 'PEER_TIMEOUT']);

/**
 * Packuments of a remote package (issue 15.5) under its federated npm name, from the verified
 * local copy: the origin's signed statement says which versions exist and their tags; only
 * versions mirrored here (document and files checked by hash) are listed, each with the tarball
 * this registry builds from those files and signs. A read mirrors the tagged versions and the
 * newest others that are not here yet (MIRRORED_PER_PACKUMENT); a verification failure is
 * answered with its code, an unreachable origin leaves them out.
 */
export async function getRemotePackuments(
  deps: CoreDeps,
  federation: Federation,
  input: { ref: PackageRef; npmName: string; tarballBase: string; build: BuildNpmTarball; sign?: SignNpmVersion },
): Promise<Packuments> {
  const { ref, npmName } = input;
  const row = await federation.preparePackage(ref);
  const stored = await deps.repos.federation.findRemotePackage(row.id);
  if (!stored) throw appError('PACKAGE_NOT_FOUND', `The package "${truncate(npmName)}" does not exist.`);
  const doc = JSON.parse(stored.document) as PackageDocument;
  const here = new Set((await deps.repos.versions.listPublished(row.id)).map((v) => v.version));
  const tagged = Object.values(doc.tags).filter((version) => version in doc.versions);
  const newest = Object.keys(doc.versions).sort(semver.rcompare);
  const missing = [...new Set([...tagged, ...newest])].filter((version) => !here.has(version)).slice(0, MIRRORED_PER_PACKUMENT);
  for (const version of missing) {
    try {
      await federation.prepareVersion(ref, version);
    } catch (error) {
      if (!isAppError(error) || !TRANSPORT_CODES.has(error.code)) throw error;
    }
  }
  const versions = await listNpmVersions(deps, { packageId: row.id, build: input.build });
  if (versions.length === 0) throw appError('PACKAGE_NOT_FOUND', `No version of "${truncate(npmName)}" is mirrored here yet.`);
  const listed = new Set(versions.map((record) => record.version));
  return renderPackuments({
    npmName,
    created: new Date(doc.created),
    modified: new Date(doc.modified),
    tags: Object.fromEntries(Object.entries(doc.tags).filter(([, version]) => listed.has(version))),
    versions,
    tarballBase: input.tarballBase,
    localHost: deps.host,
    ...(input.sign ? { sign: input.sign } : {}),
  });
}
