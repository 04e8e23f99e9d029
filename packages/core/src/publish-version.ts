import type { Readable } from 'node:stream';
import {
  appError,
  canonicalVersionDocument,
  type DependencyMap,
  formatPackageName,
  type Host,
  type Integrity,
  LEGACY,
  parseDependencyName,
  parseRange,
  truncate,
  type Version,
  type VersionDocument,
} from '@entropic/types';
import { packageSubject, recordAudit } from './audit-log.ts';
import type { CoreDeps } from './deps.ts';
import { parseDistTag } from './dist-tags.ts';
import { collisionKey, parseFilePath, readmeRank } from './file-paths.ts';
import { searchIndexJob } from './jobs/search-index-jobs.ts';
import { authorizePackageWrite, fullName, type PackageRef } from './packages.ts';
import type { NewJob } from './ports/jobs.ts';
import type { NewNpmTarball } from './ports/npm-tarballs.ts';
import type { NewAttestation } from './ports/trusted-publishers.ts';
import { type Actor, isSystemPrincipal } from './principal.ts';

export type PublishPart = { kind: 'field'; name: string; value: string } | { kind: 'file'; filename: string; stream: Readable };

export const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
type DependencyField = (typeof DEPENDENCY_FIELDS)[number];

const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_SIGNATURES = 64;

export interface PublishResult {
  document: VersionDocument;
}

export interface PublishVersionInput {
  /** a user, or the `legacy` mirror's system principal */
  principal: Actor | undefined;
  ref: PackageRef;
  version: Version;
  parts: AsyncIterable<PublishPart>;
  /**
   * The tarball the client uploaded (`npm publish`), already in the blob store: recorded with the
   * version in the same transaction, so npm clients are served these exact bytes (the integrity
   * npm printed) and no tarball is built from the files.
   */
  npmTarball?: Omit<NewNpmTarball, 'versionId'>;
  /** Sigstore bundles (`npm publish --provenance`), already verified and in the blob store: recorded with the version */
  attestations?: readonly NewAttestation[];
  /**
   * false: no early check (authorisation, version free) before the parts are read — for callers
   * whose parts are in memory already (nothing to spare by refusing first); the authorisation then
   * runs inside the transaction. Default true.
   */
  earlyCheck?: boolean;
  /**
   * The caller's own `authorizePackageWrite` decision for this principal and ref, made just before
   * (`npm publish` authorises before it reads the tarball): used as the early check's, so the
   * publish authorises once.
   */
  authorized?: WriteDecision;
}

/** What authorising a write found: the namespace, and the package unless it is new. */
export type WriteDecision = Pick<Awaited<ReturnType<typeof authorizePackageWrite>>, 'namespace' | 'pkg'>;

/** What the body's parts amount to, every file already in the blob store (durable once its sync resolves). */
interface ReceivedParts {
  fields: Map<string, string>;
  signatures: string[];
  files: Record<string, string>;
  totalBytes: number;
  fileCount: number;
  /** the best README candidate so far (rendered by the render-readme job) */
  readme: { rank: number; path: string } | undefined;
  /** the syncs started (startSync); all must resolve before the version is committed */
  syncs: Promise<void>[];
}

/**
 * Publishes a version: streams every file through sha512 into the blob store, then records the
 * version in one transaction that commits only once every blob is durable (the sync runs while
 * the transaction does its queries). The unique (package, version) constraint decides concurrent
 * publishes; blobs of a failed publish are left unreferenced for gc.
 *
 * Authorised once (docs/decisions/publish-durability.md): before the body is read, or by the
 * caller just before (`authorized`); the transaction uses that decision. What could change
 * meanwhile is guarded where it is written: a package created concurrently is ensured (ON
 * CONFLICT), one abandoned concurrently refuses the write (`packages.touch`), and the version
 * insert's unique constraint decides between two publishes of one version.
 */
export async function publishVersion(deps: CoreDeps, input: PublishVersionInput): Promise<PublishResult> {
  const { principal, ref, version } = input;
  const name = fullName(ref);
  // Fail before reading the body when the answer is already known.
  let decision = input.authorized;
  if (!decision && input.earlyCheck !== false) {
    decision = await authorizePackageWrite(deps.repos, principal, ref, deps.host, { publish: true });
    if (decision.pkg && (await deps.repos.versions.findState(decision.pkg.id, version))) throw versionExists(name, version);
  }

  const received: ReceivedParts = {
    fields: new Map(),
    signatures: [],
    files: {},
    totalBytes: 0,
    fileCount: 0,
    readme: undefined,
    syncs: [],
  };
  try {
    await receiveParts(deps, input.parts, received);
    if (received.fileCount === 0) throw appError('INVALID_MULTIPART', 'A version needs at least one file.');
    const document = await recordVersion(deps, input, received, decision);
    // the run-time dependencies: their cached pages list this version's package as a dependent
    const dependsOn = Object.keys(document.dependencies).map((dependency) => parseDependencyName(dependency, deps.host));
    await deps.events.emit({ type: 'version-published', ref, version, dependsOn });
    return { document };
  } finally {
    // nothing of a refused or failed publish is still being written when it answers
    await Promise.allSettled(received.syncs);
  }
}

/** Stores the derived files and the canonical document, then records the version once every blob is durable. */
async function recordVersion(
  deps: CoreDeps,
  input: PublishVersionInput,
  received: ReceivedParts,
  decision: WriteDecision | undefined,
): Promise<VersionDocument> {
  const { principal, ref, version } = input;
  const manifest = parseManifestFields(deps, received.fields);
  // Derived files (./readme.html) are made by the render-readme job, enqueued with the version.
  const derivedFiles: Record<string, string> = {};
  const { files } = received;
  const canonical = canonicalVersionDocument({ files, ...manifest.dependencyMaps, bundledDependencies: manifest.bundledDependencies });
  const { integrity } = await deps.blobs.putBytes(canonical, { deferSync: true });
  // One sync for every blob (the filesystem store journals small ones: two fsyncs in all), run
  // while the transaction does its queries; the commit waits for it.
  const durable = [...Object.values(files), ...Object.values(derivedFiles), integrity];
  if (input.npmTarball) durable.push(input.npmTarball.integrity);
  for (const attestation of input.attestations ?? []) durable.push(attestation.bundleIntegrity);
  startSync(deps, received, durable as Integrity[]);
  const now = deps.clock.now();
  await deps.uow.transaction(async (repos) => {
    const { namespace, pkg } = decision ?? (await authorizePackageWrite(repos, principal, ref, deps.host, { publish: true }));
    const packageId = pkg ? pkg.id : (await repos.packages.ensure(namespace.id, ref.name)).id;
    const outcome = await repos.versions.insert({
      package_id: packageId,
      version,
      integrity,
      files,
      derived_files: derivedFiles,
      dependencies: manifest.dependencyMaps.dependencies,
      dev_dependencies: manifest.dependencyMaps.devDependencies,
      peer_dependencies: manifest.dependencyMaps.peerDependencies,
      optional_dependencies: manifest.dependencyMaps.optionalDependencies,
      bundled_dependencies: manifest.bundledDependencies,
      signatures: received.signatures,
      total_bytes: received.totalBytes,
      file_count: received.fileCount,
      created_at: now,
      modified_at: now,
      published_by: isSystemPrincipal(principal) ? null : (principal?.trustedPublisher ?? null),
    });
    if (outcome === 'exists') throw versionExists(fullName(ref), version);
    const versionId = outcome;
    const mirrored = ref.namespace === LEGACY && ref.host === deps.host;
    // abandoned since it was authorised: nothing of this publish commits
    if (!(await repos.packages.touch(packageId, now)))
      throw appError('PACKAGE_ABANDONED', `"${fullName(ref)}" has been abandoned; publish under a new name.`);
    if (input.attestations) await repos.attestations.insert(versionId, input.attestations);
    if (input.npmTarball) await repos.npmTarballs.insert({ ...input.npmTarball, versionId });
    // The version's background work commits with it, in one insert (docs/decisions/job-queue.md):
    // its npm tarball (unless npm uploaded one, or the legacy mirror records the upstream's), its
    // README and the package's search document. A mirrored version's README is rendered when its
    // page is first shown (a cold install mirrors hundreds of versions whose pages nobody opens).
    // The README job re-indexes the package once it rendered (README text is searchable): with
    // one, the publish enqueues no search-index job of its own (one indexing, not two).
    const jobs: NewJob[] = [];
    if (!input.npmTarball && !mirrored) jobs.push({ kind: 'npm-tarball', payload: { versionId } });
    if (received.readme && !mirrored) jobs.push({ kind: 'render-readme', payload: { versionId, path: received.readme.path } });
    else jobs.push(searchIndexJob(ref));
    jobs.push(...remoteMirrorJobs(deps.host, manifest.dependencyMaps));
    await repos.jobs.enqueueAll(jobs);
    await repos.tags.set(packageId, manifest.tag, version, now);
    await recordAudit(repos, now, principal, 'publish', packageSubject(ref, { version, tag: manifest.tag, via: viaOf(input.npmTarball) }));
    // The commit follows this callback: every blob the version references is durable before it
    // (a crash before the commit leaves only unreferenced blobs).
    await Promise.all(received.syncs);
  });
  return {
    name: fullName(ref),
    version,
    integrity,
    yanked: false,
    files,
    derivedFiles,
    ...manifest.dependencyMaps,
    bundledDependencies: manifest.bundledDependencies,
    signatures: received.signatures,
    created: now.toISOString(),
    modified: now.toISOString(),
  };
}

/**
 * Self-sufficiency (issue 15.4): every remote package the version needs at run time is mirrored
 * in the background, with the publish's own transaction (docs/decisions/job-queue.md).
 */
function remoteMirrorJobs(localHost: Host, maps: Record<DependencyField, DependencyMap>): NewJob[] {
  const jobs: NewJob[] = [];
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'] as const) {
    for (const [name, range] of Object.entries(maps[field])) {
      const spec = parseDependencyName(name, localHost);
      if (spec.host === localHost) continue;
      jobs.push({
        kind: 'mirror-remote',
        payload: { ref: { namespace: spec.namespace, host: spec.host, name: spec.name }, range, depth: 0 },
      });
    }
  }
  return jobs;
}

/** Starts making blobs put with deferSync durable, in the background; awaited before the version is committed. */
function startSync(deps: CoreDeps, received: ReceivedParts, integrities: Integrity[]): void {
  const pending = deps.blobs.sync(integrities);
  pending.catch(() => {}); // observed when awaited before the commit (or settled in publishVersion's finally)
  received.syncs.push(pending);
}

/** Reads every part: fields kept, files streamed into the blob store within the limits. */
async function receiveParts(deps: CoreDeps, parts: AsyncIterable<PublishPart>, received: ReceivedParts): Promise<void> {
  const seen = new Set<string>();
  for await (const part of parts) {
    if (part.kind === 'field') {
      if (Buffer.byteLength(part.value) > MAX_FIELD_BYTES)
        throw appError('INVALID_FIELD', `The field "${truncate(part.name)}" is larger than 1 MiB.`);
      if (part.name === 'signature') {
        if (received.signatures.length >= MAX_SIGNATURES)
          throw appError('INVALID_FIELD', `At most ${MAX_SIGNATURES} signatures are accepted.`);
        received.signatures.push(part.value);
      } else {
        received.fields.set(part.name, part.value);
      }
      continue;
    }
    const path = parseFilePath(part.filename);
    const key = collisionKey(path);
    if (seen.has(key)) {
      part.stream.resume();
      throw appError(
        'DUPLICATE_PATH',
        `Two files have the path "${truncate(path)}" (paths may not differ only by case or Unicode normalisation).`,
      );
    }
    seen.add(key);
    received.fileCount += 1;
    if (received.fileCount > deps.limits.maxFiles) {
      part.stream.resume();
      throw appError('TOO_MANY_FILES', `A version may have at most ${deps.limits.maxFiles} files.`);
    }
    await storeFile(deps, received, path, part.stream);
  }
}

/** One file into the blob store, remembered when it is the best README candidate so far. */
async function storeFile(deps: CoreDeps, received: ReceivedParts, path: string, stream: Readable): Promise<void> {
  const remaining = deps.limits.maxVersionBytes - received.totalBytes;
  const maxBytes = Math.min(deps.limits.maxFileBytes, remaining);
  let stored: { integrity: Integrity; size: number };
  try {
    stored = await deps.blobs.put(stream, { maxBytes, deferSync: true });
  } catch (error) {
    const e = error as { code?: string };
    if (e.code === 'FILE_TOO_LARGE' && maxBytes < deps.limits.maxFileBytes) {
      throw appError('VERSION_TOO_LARGE', `A version may hold at most ${deps.limits.maxVersionBytes} bytes.`);
    }
    if (e.code === 'FILE_TOO_LARGE')
      throw appError('FILE_TOO_LARGE', `"${truncate(path)}" is larger than ${deps.limits.maxFileBytes} bytes.`);
    throw error;
  }
  received.totalBytes += stored.size;
  received.files[path] = stored.integrity;
  const rank = readmeRank(path);
  if (rank !== undefined && (!received.readme || rank < received.readme.rank)) received.readme = { rank, path };
}

/** The dependency maps, bundled dependencies and tag the fields give, within the limits. */
function parseManifestFields(deps: CoreDeps, fields: Map<string, string>) {
  const dependencyMaps = {} as Record<DependencyField, DependencyMap>;
  let dependencyCount = 0;
  for (const field of DEPENDENCY_FIELDS) {
    dependencyMaps[field] = parseDependencyField(deps, field, fields.get(field));
    dependencyCount += Object.keys(dependencyMaps[field]).length;
  }
  if (dependencyCount > deps.limits.maxDependencies) {
    throw appError('TOO_MANY_DEPENDENCIES', `A version may have at most ${deps.limits.maxDependencies} dependencies.`);
  }
  const bundledDependencies = parseBundled(deps, fields.get('bundledDependencies'), dependencyMaps.dependencies);
  const tag = parseDistTag(fields.get('tag') ?? 'latest');
  return { dependencyMaps, bundledDependencies, tag };
}

/** How the version came (the audit log's `via`): `npm publish`, the legacy mirror, or the Entropic API. */
function viaOf(npmTarball: PublishVersionInput['npmTarball']): 'npm' | 'mirror' | 'entropic' {
  if (!npmTarball) return 'entropic';
  return npmTarball.source === 'upstream' ? 'mirror' : 'npm';
}

function versionExists(name: string, version: string) {
  return appError(
    'VERSION_EXISTS',
    `Cannot publish over "${name}@${version}": that version was published before (versions are never reusable, also after a yank).`,
    {
      hint: 'Bump the version and publish again.',
    },
  );
}

function parseJsonField(field: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw appError('INVALID_FIELD', `The field "${field}" must be JSON.`);
  }
}

function parseDependencyField(deps: CoreDeps, field: string, raw: string | undefined): DependencyMap {
  if (raw === undefined || raw === '') return {};
  const value = parseJsonField(field, raw);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw appError('INVALID_FIELD', `The field "${field}" must be a JSON object of name → range.`);
  const out: DependencyMap = {};
  for (const [rawName, range] of Object.entries(value as Record<string, unknown>)) {
    const canonical = formatPackageName(parseDependencyName(rawName, deps.host));
    if (canonical in out) throw appError('INVALID_DEPENDENCY', `"${truncate(rawName)}" is listed twice in "${field}".`);
    out[canonical] = parseRange(range, field, rawName);
  }
  return out;
}

function parseBundled(deps: CoreDeps, raw: string | undefined, dependencies: DependencyMap): DependencyMap {
  if (raw === undefined || raw === '') return {};
  const value = parseJsonField('bundledDependencies', raw);
  if (Array.isArray(value)) {
    const out: DependencyMap = {};
    for (const entry of value) {
      if (typeof entry !== 'string') throw appError('INVALID_DEPENDENCY', 'bundledDependencies must list package names.');
      const canonical = formatPackageName(parseDependencyName(entry, deps.host));
      out[canonical] = dependencies[canonical] ?? '*';
    }
    return out;
  }
  return parseDependencyField(deps, 'bundledDependencies', raw);
}
