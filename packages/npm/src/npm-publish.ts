import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  authorizePackageWrite,
  type CoreDeps,
  deprecateVersions,
  getPackage,
  type PackageRef,
  type Principal,
  type PublishPart,
  publishVersion,
  yankVersion,
} from '@entropic/core';
import {
  appError,
  formatPackageName,
  type Integrity,
  isFederatedNpmName,
  LEGACY,
  npmNameOf,
  parseVersion,
  truncate,
  type Version,
} from '@entropic/types';
import semver from 'semver';
import { resolveNpmName } from './npm-names.ts';
import { npmDeprecation, pickManifest } from './npm-packument.ts';
import { type CheckedProvenance, checkProvenance } from './npm-provenance.ts';
import { readTarball, tarballParts } from './npm-tarball.ts';

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw appError('INVALID_FIELD', `${what} must be a JSON object.`);
  return value as Json;
}

/** Refuses writes to `legacy`: it is the read-through mirror, nobody publishes into it. */
function assertPublishable(ref: PackageRef, npmName: string): void {
  if (ref.namespace === LEGACY) {
    throw appError('FORBIDDEN', `"${npmName}" is not in a namespace of this registry; its name belongs to the legacy mirror.`, {
      hint: 'Publish under your namespace as a scope: "name": "@<your namespace>/<name>".',
    });
  }
}

/** npm dependency maps → canonical Entropic names (a local namespace wins for its scope). */
export async function canonicalDependencies(
  deps: CoreDeps,
  map: unknown,
  field: string,
  options: { dropInvalid?: boolean } = {},
): Promise<Json> {
  if (map === undefined || map === null) return {};
  const out: Json = {};
  for (const [key, value] of Object.entries(object(map, `"${field}"`))) {
    // `"@ns/name": "npm:@entropic.remote/…@<range>"`, as packuments write remote dependencies, is that remote package
    const [name, range] = federatedAlias(value) ?? [key, value];
    try {
      out[formatPackageName(await resolveNpmName(deps.repos, deps.host, name))] = range;
    } catch (error) {
      if (!options.dropInvalid)
        throw appError('INVALID_DEPENDENCY', `Invalid dependency "${truncate(key)}" in "${field}".`, { cause: error });
    }
  }
  return out;
}

/** An npm alias of a federated name (`npm:@entropic.remote/…@<range>`) → [that name, the range]; undefined for anything else. */
function federatedAlias(value: unknown): [string, string] | undefined {
  if (typeof value !== 'string' || !value.startsWith('npm:')) return undefined;
  const spec = value.slice('npm:'.length);
  if (!isFederatedNpmName(spec)) return undefined;
  const at = spec.indexOf('@', 1);
  return at === -1 ? [spec, '*'] : [spec.slice(0, at), spec.slice(at + 1)];
}

export async function npmManifestFields(deps: CoreDeps, manifest: Json, options: { dropInvalid?: boolean } = {}): Promise<PublishPart[]> {
  const parts: PublishPart[] = [];
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const) {
    const map = await canonicalDependencies(deps, manifest[field], field, options);
    if (options.dropInvalid) {
      for (const [name, range] of Object.entries(map)) if (typeof range !== 'string' || semver.validRange(range) === null) delete map[name];
    }
    parts.push({ kind: 'field', name: field, value: JSON.stringify(map) });
  }
  const bundled = manifest.bundleDependencies ?? manifest.bundledDependencies;
  let names: string[] = [];
  if (bundled === true) names = Object.keys((manifest.dependencies ?? {}) as Json);
  else if (Array.isArray(bundled)) names = bundled.filter((n): n is string => typeof n === 'string');
  if (names.length > 0) {
    const canonical = await Promise.all(names.map(async (n) => formatPackageName(await resolveNpmName(deps.repos, deps.host, n))));
    parts.push({ kind: 'field', name: 'bundledDependencies', value: JSON.stringify(canonical) });
  }
  return parts;
}

function verifyDist(bytes: Buffer, dist: unknown): void {
  if (dist === null || typeof dist !== 'object') return;
  const { integrity, shasum } = dist as { integrity?: unknown; shasum?: unknown };
  if (typeof integrity === 'string') {
    for (const entry of integrity.split(/\s+/)) {
      if (!entry.startsWith('sha512-')) continue;
      const actual = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
      if (entry.split('?')[0] !== actual) throw appError('INTEGRITY_MISMATCH', 'The tarball does not match the declared dist.integrity.');
    }
  }
  if (typeof shasum === 'string' && createHash('sha1').update(bytes).digest('hex') !== shasum.toLowerCase()) {
    throw appError('INTEGRITY_MISMATCH', 'The tarball does not match the declared dist.shasum.');
  }
}

export interface PutNpmPackageInput {
  principal: Principal | undefined;
  npmName: string;
  /** the JSON document npm sent */
  body: unknown;
  /** yank the stored versions the document leaves out (`PUT /:name/-rev/:rev` of `npm unpublish <name>@<version>`) */
  removeMissing?: boolean;
}

export type NpmPutResult = { kind: 'published'; version: Version } | { kind: 'updated'; deprecated: string[]; yanked: string[] };

/**
 * `PUT /:name` from npm: a publish (one version with its base64 tarball in `_attachments`), or,
 * without attachments, an update of the packument (`npm deprecate`, `npm unpublish`).
 */
export async function putNpmPackage(deps: CoreDeps, input: PutNpmPackageInput): Promise<NpmPutResult> {
  const { principal, npmName } = input;
  const body = object(input.body, 'The body');
  const ref = await resolveNpmName(deps.repos, deps.host, npmName);
  assertPublishable(ref, npmName);
  if (body.name !== undefined && body.name !== npmName) {
    throw appError('INVALID_FIELD', `The document names "${truncate(String(body.name))}" but was sent to "${npmName}".`);
  }
  const versions = object(body.versions ?? {}, '"versions"');
  const attachments = body._attachments === undefined ? {} : object(body._attachments, '"_attachments"');
  if (Object.keys(attachments).length === 0) return updateNpmPackage(deps, principal, ref, versions, input);

  const keys = Object.keys(versions);
  // npm publish --provenance sends the Sigstore bundle beside the tarball as `<name>-<version>.sigstore`
  const bundleNames = Object.keys(attachments).filter((key) => key.endsWith('.sigstore'));
  const tarballNames = Object.keys(attachments).filter((key) => !key.endsWith('.sigstore'));
  if (keys.length !== 1 || tarballNames.length !== 1 || bundleNames.length > 1) {
    throw appError('INVALID_FIELD', 'A publish carries exactly one version and one tarball (and at most one provenance bundle).');
  }
  const version = parseVersion(keys[0] as string);
  if (bundleNames[0] !== undefined && bundleNames[0] !== `${npmName}-${version}.sigstore`) {
    throw appError('INVALID_PROVENANCE', `The provenance attachment must be named "${npmName}-${version}.sigstore".`);
  }
  const manifest = object(versions[version], `The manifest of ${version}`);
  if (manifest.name !== undefined && manifest.name !== npmName)
    throw appError('INVALID_FIELD', 'The manifest name does not match the package.');
  if (manifest.version !== undefined && manifest.version !== version)
    throw appError('INVALID_FIELD', 'The manifest version does not match.');
  const attachment = object(attachments[tarballNames[0] as string], 'The attachment');
  if (typeof attachment.data !== 'string') throw appError('INVALID_TARBALL', 'The attachment has no base64 "data".');
  const bytes = Buffer.from(attachment.data, 'base64');
  if (typeof attachment.length === 'number' && attachment.length !== bytes.length) {
    throw appError('INVALID_TARBALL', 'The attachment length does not match its data.');
  }
  verifyDist(bytes, manifest.dist);
  const distTags = body['dist-tags'] === undefined ? {} : object(body['dist-tags'], '"dist-tags"');
  const tag = Object.keys(distTags).find((t) => distTags[t] === version) ?? 'latest';

  // Authorise before reading the tarball, validate it whole before storing a byte of it.
  const authorized = await authorizePackageWrite(deps.repos, principal, ref, deps.host, { publish: true });
  const { pkg } = authorized;
  if (pkg) {
    const exists = await deps.repos.versions.findState(pkg.id, version);
    if (exists)
      throw appError('VERSION_EXISTS', `Cannot publish over "${npmName}@${version}": that version was published before.`, {
        hint: 'Bump the version and publish again.',
      });
  }
  const inspected = await inspectPublishedTarball(bytes, deps.limits);
  const provenance = bundleNames[0] === undefined ? undefined : checkBundleAttachment(attachments[bundleNames[0]], npmName, version, bytes);
  const fields = await npmManifestFields(deps, manifest);
  const limits = deps.limits;
  async function* parts(): AsyncGenerator<PublishPart> {
    yield* fields;
    yield { kind: 'field', name: 'tag', value: tag };
    // the files read while validating (a second gunzip and tar pass only for a large tarball)
    if (!inspected.files) yield* tarballParts(bytes, limits);
    else
      for (const file of inspected.files)
        yield { kind: 'file', filename: encodeURIComponent(file.path), stream: Readable.from([file.content], { objectMode: false }) };
  }
  // The exact bytes npm uploaded are what npm clients get (issue 17.11); the files are exploded too.
  const sha512 = `sha512-${createHash('sha512').update(bytes).digest('base64')}` as Integrity;
  const stored = await deps.blobs.putBytes(bytes, { expected: sha512, deferSync: true });
  const npmTarball = {
    integrity: stored.integrity,
    shasum: createHash('sha1').update(bytes).digest('hex'),
    size: bytes.length,
    manifest: inspected.manifest,
    source: 'published' as const,
  };
  const attestations = [];
  if (provenance) {
    const { integrity } = await deps.blobs.putBytes(provenance.bundle, { deferSync: true });
    attestations.push({ predicateType: provenance.predicateType, bundleIntegrity: integrity, verification: provenance.verification });
  }
  // authorised and checked above: publishVersion records the version on that decision
  await publishVersion(deps, { principal, ref, version, parts: parts(), npmTarball, attestations, authorized });
  return { kind: 'published', version };
}

/** The `.sigstore` attachment: its JSON text (libnpmpublish sends it as is, not base64), checked against the tarball. */
function checkBundleAttachment(value: unknown, npmName: string, version: string, tarball: Buffer): CheckedProvenance {
  const attachment = object(value, 'The provenance attachment');
  if (typeof attachment.data !== 'string') throw appError('INVALID_PROVENANCE', 'The provenance attachment has no "data".');
  return checkProvenance({
    bundleText: attachment.data,
    npmName,
    version,
    tarballSha512Hex: createHash('sha512').update(tarball).digest('hex'),
  });
}

/** Inflated file contents up to this many bytes are kept from the validating pass for the store. */
const KEEP_INSPECTED_BYTES = 16 * 1024 * 1024;

/**
 * Validates the whole tarball before a byte is stored (as inspectTarball does) and answers the
 * package.json fields npm clients read (pickManifest), taken from the tarball's own package.json
 * as for a built tarball, never from the manifest beside it in the request; and the files
 * themselves, when they inflate to at most KEEP_INSPECTED_BYTES (undefined: read them again).
 */
async function inspectPublishedTarball(
  bytes: Buffer,
  limits: CoreDeps['limits'],
): Promise<{ manifest: Json; files: Array<{ path: string; content: Buffer }> | undefined }> {
  let packageJson: Buffer | undefined;
  let hasBindingGyp = false;
  let files: Array<{ path: string; content: Buffer }> | undefined = [];
  let kept = 0;
  let count = 0;
  for await (const entry of readTarball(bytes, limits)) {
    count += 1;
    kept += entry.size;
    if (kept > KEEP_INSPECTED_BYTES) files = undefined;
    if (files || entry.path === 'package/package.json') {
      const content = await buffer(entry.stream);
      files?.push({ path: entry.path, content });
      if (entry.path === 'package/package.json') packageJson = content;
    } else entry.stream.resume();
    if (entry.path === 'package/binding.gyp') hasBindingGyp = true;
  }
  if (count === 0) throw appError('INVALID_TARBALL', 'The tarball holds no files.');
  try {
    return { manifest: pickManifest(JSON.parse(packageJson?.toString('utf8') ?? ''), hasBindingGyp), files };
  } catch {
    return { manifest: {}, files };
  }
}

/**
 * `npm deprecate` and `npm unpublish <pkg>@<v>` send the packument back changed. A version whose
 * `deprecated` text differs from the one served is (re)deprecated with it, or un-deprecated by
 * `''` (npm's meaning); a version without the field is left as it is. With `removeMissing`
 * (`PUT /-rev`), a version left out is yanked.
 */
async function updateNpmPackage(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: PackageRef,
  versions: Json,
  options: { removeMissing?: boolean },
): Promise<NpmPutResult> {
  const { pkg } = await authorizePackageWrite(deps.repos, principal, ref, deps.host);
  if (!pkg) await getPackage(deps.repos, ref, deps.host);
  const stored = pkg ? await deps.repos.versions.listDeprecations(pkg.id) : [];
  const messages: Record<string, string | null> = {};
  const toYank: string[] = [];
  for (const row of stored) {
    const view = versions[row.version];
    if (view === undefined) {
      if (options.removeMissing && !row.yanked) toYank.push(row.version);
      continue;
    }
    const sent = object(view, `The manifest of ${row.version}`).deprecated;
    if (sent === undefined) continue;
    if (typeof sent !== 'string') throw appError('INVALID_FIELD', `"deprecated" of ${row.version} must be a string.`);
    if (sent === npmDeprecation(row)) continue;
    if (sent === '' && row.yanked) {
      throw appError(
        'VERSION_YANKED',
        `${npmNameOf(ref, deps.host)}@${row.version} was yanked: a yank is final, npm deprecate cannot undo it.`,
        {
          hint: 'Un-deprecate a version or range that leaves the yanked version out; nothing was changed.',
        },
      );
    }
    messages[row.version] = sent === '' ? null : sent;
  }
  const deprecated = Object.keys(messages).length > 0 ? await deprecateVersions(deps, { principal, ref, messages }) : [];
  for (const version of toYank) await yankVersion(deps, { principal, ref, version: version as Version });
  return { kind: 'updated', deprecated, yanked: toYank };
}

/** `npm unpublish <name> --force`: every version is yanked (the names stay taken). */
export async function unpublishNpmPackage(deps: CoreDeps, input: { principal: Principal | undefined; npmName: string }): Promise<string[]> {
  const { principal, npmName } = input;
  const ref = await resolveNpmName(deps.repos, deps.host, npmName);
  assertPublishable(ref, npmName);
  const { pkg } = await authorizePackageWrite(deps.repos, principal, ref, deps.host);
  if (!pkg) throw appError('PACKAGE_NOT_FOUND', `The package "${npmName}" does not exist.`);
  const rows = await deps.repos.versions.listPublished(pkg.id);
  for (const row of rows) await yankVersion(deps, { principal, ref, version: row.version as Version });
  return rows.map((r) => r.version);
}
