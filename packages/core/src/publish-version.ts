import { type Readable, Transform } from 'node:stream';
import { createRepositories, isUniqueViolation } from '@entropic/db';
import {
  appError,
  canonicalVersionDocument,
  type DependencyMap,
  formatPackageName,
  type Integrity,
  parseDependencyName,
  parseRange,
  truncate,
  type Version,
  type VersionDocument,
} from '@entropic/types';
import type { CoreDeps } from './deps.ts';
import { parseDistTag } from './dist-tags.ts';
import { collisionKey, parseFilePath, readmeRank } from './file-paths.ts';
import { authorizePackageWrite, ensurePackage, fullName, type PackageRef } from './packages.ts';
import type { Principal } from './principal.ts';
import { renderReadme } from './render-readme.ts';
import { getVersionDocument } from './versions.ts';

export type PublishPart = { kind: 'field'; name: string; value: string } | { kind: 'file'; filename: string; stream: Readable };

export const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
type DependencyField = (typeof DEPENDENCY_FIELDS)[number];

const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_SIGNATURES = 64;
const MAX_README_BYTES = 1024 * 1024;

export interface PublishResult {
  document: VersionDocument;
}

/**
 * Publishes a version: streams every file through sha512 into the blob store, makes them durable
 * in one batch, then records the version in one transaction. The unique (package, version) constraint decides concurrent
 * publishes; blobs of a failed publish are left unreferenced for gc.
 */
export async function publishVersion(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: PackageRef,
  version: Version,
  parts: AsyncIterable<PublishPart>,
): Promise<PublishResult> {
  const name = fullName(ref);
  // Fail before reading the body when the answer is already known.
  const pre = await authorizePackageWrite(deps.repos, principal, ref, deps.host);
  if (pre.pkg) await assertVersionFree(deps, pre.pkg.id, name, version);

  const fields = new Map<string, string>();
  const signatures: string[] = [];
  const files: Record<string, string> = {};
  const seen = new Set<string>();
  let totalBytes = 0;
  let fileCount = 0;
  let readme: { rank: number; chunks: Buffer[]; size: number } | undefined;

  for await (const part of parts) {
    if (part.kind === 'field') {
      if (Buffer.byteLength(part.value) > MAX_FIELD_BYTES)
        throw appError('INVALID_FIELD', `The field "${truncate(part.name)}" is larger than 1 MiB.`);
      if (part.name === 'signature') {
        if (signatures.length >= MAX_SIGNATURES) throw appError('INVALID_FIELD', `At most ${MAX_SIGNATURES} signatures are accepted.`);
        signatures.push(part.value);
      } else {
        fields.set(part.name, part.value);
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
    fileCount += 1;
    if (fileCount > deps.limits.maxFiles) {
      part.stream.resume();
      throw appError('TOO_MANY_FILES', `A version may have at most ${deps.limits.maxFiles} files.`);
    }
    const remaining = deps.limits.maxVersionBytes - totalBytes;
    const maxBytes = Math.min(deps.limits.maxFileBytes, remaining);
    const rank = readmeRank(path);
    let source: Readable = part.stream;
    let capture: { chunks: Buffer[]; size: number } | undefined;
    if (rank !== undefined && (!readme || rank < readme.rank)) {
      const captured = { chunks: [] as Buffer[], size: 0 };
      capture = captured;
      source = part.stream.pipe(
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            if (captured.size <= MAX_README_BYTES) captured.chunks.push(chunk);
            captured.size += chunk.length;
            done(null, chunk);
          },
        }),
      );
      part.stream.on('error', (error) => source.destroy(error));
    }
    let stored: { integrity: Integrity; size: number };
    try {
      stored = await deps.blobs.put(source, { maxBytes, deferSync: true });
    } catch (error) {
      const e = error as { code?: string };
      if (e.code === 'FILE_TOO_LARGE' && maxBytes < deps.limits.maxFileBytes) {
        throw appError('VERSION_TOO_LARGE', `A version may hold at most ${deps.limits.maxVersionBytes} bytes.`);
      }
      if (e.code === 'FILE_TOO_LARGE')
        throw appError('FILE_TOO_LARGE', `"${truncate(path)}" is larger than ${deps.limits.maxFileBytes} bytes.`);
      throw error;
    }
    totalBytes += stored.size;
    files[path] = stored.integrity;
    if (capture && rank !== undefined && capture.size <= MAX_README_BYTES) readme = { rank, ...capture };
  }

  if (fileCount === 0) throw appError('INVALID_MULTIPART', 'A version needs at least one file.');

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

  const derivedFiles: Record<string, string> = {};
  if (readme) {
    const html = renderReadme(Buffer.concat(readme.chunks).toString('utf8'));
    derivedFiles['./readme.html'] = (await deps.blobs.putBytes(html, { deferSync: true })).integrity;
  }
  const canonical = canonicalVersionDocument({ files, ...dependencyMaps, bundledDependencies });
  const { integrity } = await deps.blobs.putBytes(canonical, { deferSync: true });
  // Every blob durable before the transaction that references them: one concurrent batch of
  // fsyncs (each file, each directory once) instead of two sequential fsyncs per file.
  await deps.blobs.sync([...Object.values(files), ...Object.values(derivedFiles), integrity] as Integrity[]);

  try {
    await deps.db.transaction().execute(async (tx) => {
      const { namespace, pkg } = await authorizePackageWrite(createRepositories(tx), principal, ref, deps.host);
      const packageId = pkg ? pkg.id : (await ensurePackage(tx, namespace, ref.name)).id;
      const now = new Date();
      await tx
        .insertInto('versions')
        .values({
          package_id: packageId,
          version,
          integrity,
          files: JSON.stringify(files),
          derived_files: JSON.stringify(derivedFiles),
          dependencies: JSON.stringify(dependencyMaps.dependencies),
          dev_dependencies: JSON.stringify(dependencyMaps.devDependencies),
          peer_dependencies: JSON.stringify(dependencyMaps.peerDependencies),
          optional_dependencies: JSON.stringify(dependencyMaps.optionalDependencies),
          bundled_dependencies: JSON.stringify(bundledDependencies),
          signatures: JSON.stringify(signatures),
          total_bytes: totalBytes,
          file_count: fileCount,
          created_at: now,
          modified_at: now,
        })
        .execute();
      await tx
        .insertInto('dist_tags')
        .values({ package_id: packageId, tag, version, updated_at: now })
        .onConflict((oc) => oc.columns(['package_id', 'tag']).doUpdateSet({ version, updated_at: now }))
        .execute();
      await tx.updateTable('packages').set({ modified_at: now }).where('id', '=', packageId).execute();
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw versionExists(name, version);
    throw error;
  }
  return { document: await getVersionDocument(deps, ref, version) };
}

async function assertVersionFree(deps: CoreDeps, packageId: number, name: string, version: Version): Promise<void> {
  const existing = await deps.db
    .selectFrom('versions')
    .select('id')
    .where('package_id', '=', packageId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (existing) throw versionExists(name, version);
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
