import {
  appError,
  canonicalVersionDocument,
  type DependencyMap,
  formatPackageName,
  type HostSignature,
  hostKeyId,
  type Integrity,
  isAppError,
  isIntegrity,
  type PackageDocument,
  type PublicHostKey,
  packageStatement,
  parseVersion,
  sha512Integrity,
  truncate,
  verifyStatement,
} from '@entropic/types';
import semver from 'semver';
import type { CoreDeps } from './deps.ts';
import { parseFilePath } from './file-paths.ts';
import type { PeerKey } from './ports/federation.ts';
import type { PeerClient } from './ports/peers.ts';
import type { PackageRef, PackageRow } from './ports/records.ts';

/** What remote reads need besides the core ports: the peer client and how long a package document stays fresh. */
export interface FederationDeps extends CoreDeps {
  peers: PeerClient;
  /** seconds a remote package document is reused before its origin is asked again (0: every read) */
  refreshSeconds: number;
  /** largest document (version document) taken from a peer */
  maxDocumentBytes: number;
}

/** Remote packages (issue 15.3): reads of `ns@otherhost/name` served from a verified local copy. */
export interface Federation {
  /** Brings the local copy of the package document up to date (within the refresh time); answers its local row. */
  preparePackage(ref: PackageRef): Promise<PackageRow>;
  /** The origin's package document as verified, with the origin's own signatures. */
  packageDocument(ref: PackageRef): Promise<PackageDocument>;
  /** Mirrors the version (its document and files, by hash) unless it is here already. */
  prepareVersion(ref: PackageRef, version: string): Promise<void>;
  /** Asks the origin now (whatever the refresh time), verifies and stores its answer: tags, yanks, new versions. */
  refresh(ref: PackageRef): Promise<void>;
}

const TRANSPORT_CODES = new Set(['PEER_UNREACHABLE', 'PEER_TIMEOUT']);

export function createFederation(deps: FederationDeps): Federation {
  const syncedAt = new Map<string, number>();
  const inFlight = new Map<string, Promise<unknown>>();
  /** one fetch per key at a time in this process; others wait for it */
  const once = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const running = inFlight.get(key);
    if (running) return running as Promise<T>;
    const started = work().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };

  const local = (ref: PackageRef) => deps.repos.packages.find(ref.namespace, ref.host, ref.name);

  const refuse = (
    host: string,
    code: 'PEER_BAD_SIGNATURE' | 'PEER_HASH_MISMATCH' | 'PEER_REPLACED_VERSION' | 'PEER_BAD_RESPONSE',
    reason: string,
  ) => {
    deps.peers.logRefusal(host, code, reason);
    return appError(code, `The registry ${host.slice(0, 80)} was refused: ${reason}`, { details: { peer: host } });
  };

  async function sync(ref: PackageRef): Promise<PackageRow> {
    const name = formatPackageName(ref);
    const raw = await deps.peers.getJson(
      ref.host,
      `/packages/package/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`,
    );
    if (raw === undefined) throw appError('PACKAGE_NOT_FOUND', `The package "${truncate(name)}" does not exist on ${ref.host}.`);
    const doc = parseRemotePackageDocument(raw, name, (reason) => refuse(ref.host, 'PEER_BAD_RESPONSE', reason));
    const modified = new Date(doc.modified);
    const keys = await peerKeys(deps, ref.host);
    if (!verifyStatement(packageStatement(doc), doc.hostSignatures, keys, modified)) {
      throw refuse(ref.host, 'PEER_BAD_SIGNATURE', `the statement of ${truncate(name)} is not signed by a key pinned for ${ref.host}`);
    }
    const now = deps.clock.now();
    const outcome = await deps.uow.transaction(async (repos) => {
      const namespaceId = await repos.federation.ensureRemoteNamespace(ref.namespace, ref.host);
      const { id } = await repos.packages.ensure(namespaceId, ref.name);
      const seen = await repos.federation.rememberIntegrities(id, doc.versions, now);
      const replaced = Object.entries(doc.versions).filter(([version, integrity]) => seen[version] !== integrity);
      if (replaced.length > 0) {
        const [version, integrity] = replaced[0] as [string, string];
        return { replaced: { version, integrity, first: seen[version] as string } };
      }
      const stored = await repos.federation.findRemotePackage(id);
      // an older statement replayed (or a peer going back in time) never replaces a newer one
      if (stored && stored.modified.getTime() >= modified.getTime()) {
        await repos.federation.markFetched(id, now);
        return { changed: false, id };
      }
      await repos.federation.saveRemotePackage(id, JSON.stringify(doc), modified, now);
      // versions gone from the statement are yanked there: yank the local copy (a yank is final)
      for (const { version } of await repos.versions.listPublished(id)) {
        if (version in doc.versions) continue;
        const state = await repos.versions.findState(id, version);
        if (state && !state.yanked) await repos.versions.yank(state.id, now);
      }
      await repos.packages.update(id, { modifiedAt: modified, yanked: doc.yanked });
      return { changed: true, id };
    });
    if ('replaced' in outcome && outcome.replaced) {
      const { version, integrity, first } = outcome.replaced;
      throw refuse(
        ref.host,
        'PEER_REPLACED_VERSION',
        `${truncate(name)}@${truncate(version)} was first seen with ${first}, now signed as ${integrity}`,
      );
    }
    if (outcome.changed) await deps.events.emit({ type: 'package-changed', ref });
    syncedAt.set(name, Date.now());
    const row = await local(ref);
    if (!row) throw new Error(`remote package ${name} not stored`);
    return row;
  }

  async function preparePackage(ref: PackageRef): Promise<PackageRow> {
    const name = formatPackageName(ref);
    const row = await local(ref);
    if (!deps.peers.isConfigured(ref.host)) {
      // a host configuration no longer names keeps what was mirrored from it, and is never contacted
      if (row && (await deps.repos.federation.findRemotePackage(row.id))) return row;
      throw appError('PEER_NOT_CONFIGURED', `This registry does not federate with "${truncate(ref.host)}" (FEDERATION_HOSTS).`);
    }
    const last = syncedAt.get(name);
    if (row && last !== undefined && Date.now() - last < deps.refreshSeconds * 1000) return row;
    try {
      return await once(`p:${name}`, () => sync(ref));
    } catch (error) {
      // the origin is down or slow: the local copy is served as it is (self-sufficiency)
      if (row && isAppError(error) && TRANSPORT_CODES.has(error.code) && (await deps.repos.federation.findRemotePackage(row.id)))
        return row;
      throw error;
    }
  }

  async function packageDocument(ref: PackageRef): Promise<PackageDocument> {
    const row = await preparePackage(ref);
    const stored = await deps.repos.federation.findRemotePackage(row.id);
    if (!stored) throw appError('PACKAGE_NOT_FOUND', `The package "${truncate(formatPackageName(ref))}" does not exist.`);
    return JSON.parse(stored.document) as PackageDocument;
  }

  async function prepareVersion(ref: PackageRef, version: string): Promise<void> {
    let row = await preparePackage(ref);
    if (await deps.repos.versions.findState(row.id, version)) return; // by hash: a mirrored version never changes
    let integrity = await deps.repos.federation.findIntegrity(row.id, version);
    if (integrity === undefined && deps.peers.isConfigured(ref.host)) {
      row = await once(`p:${formatPackageName(ref)}`, () => sync(ref)); // published since the last look
      integrity = await deps.repos.federation.findIntegrity(row.id, version);
    }
    const stored = await deps.repos.federation.findRemotePackage(row.id);
    const listed = stored ? (JSON.parse(stored.document) as PackageDocument).versions[version] : undefined;
    if (integrity === undefined || listed === undefined || !isIntegrity(integrity)) {
      throw appError('VERSION_NOT_FOUND', `The version "${truncate(formatPackageName(ref))}@${truncate(version)}" does not exist.`);
    }
    const target = row;
    const key = integrity;
    await once(`v:${target.id}:${version}`, () => mirrorVersion(deps, ref, target, version, key));
  }

  async function refresh(ref: PackageRef): Promise<void> {
    await once(`p:${formatPackageName(ref)}`, () => sync(ref));
  }

  return { preparePackage, packageDocument, prepareVersion, refresh };
}

/** Fetches the version document and the files this registry does not hold, by hash; stores them once all are checked. */
async function mirrorVersion(deps: FederationDeps, ref: PackageRef, row: PackageRow, version: string, integrity: Integrity): Promise<void> {
  const refuse = (code: RefusalCode, reason: string) => refusal(deps, ref.host, code, reason);
  const name = `${formatPackageName(ref)}@${version}`;
  const bytes = await collect(await deps.peers.openObject(ref.host, integrity, deps.maxDocumentBytes));
  if (sha512Integrity(bytes) !== integrity)
    throw refuse('PEER_HASH_MISMATCH', `the version document of ${truncate(name)} does not match ${integrity}`);
  const canonical = parseCanonicalVersion(bytes, deps.limits.maxFiles, (reason) =>
    refuse('PEER_BAD_RESPONSE', `${truncate(name)}: ${reason}`),
  );
  let totalBytes = 0;
  const fileIntegrities = [...new Set(Object.values(canonical.files))] as Integrity[];
  for (const fileIntegrity of fileIntegrities) {
    const have = await deps.blobs.stat(fileIntegrity);
    if (have) {
      totalBytes += have.size; // content addressing: a file this registry holds is not fetched again
      continue;
    }
    const maxBytes = Math.min(deps.limits.maxFileBytes, deps.limits.maxVersionBytes - totalBytes);
    const body = await deps.peers.openObject(ref.host, fileIntegrity, maxBytes);
    try {
      const stored = await deps.blobs.put(body, { expected: fileIntegrity, maxBytes, deferSync: true });
      totalBytes += stored.size;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'INTEGRITY_MISMATCH') throw refuse('PEER_HASH_MISMATCH', `a file of ${truncate(name)} does not match ${fileIntegrity}`);
      if (code === 'FILE_TOO_LARGE') {
        deps.peers.logRefusal(ref.host, 'PEER_TOO_LARGE', `a file of ${truncate(name)} is over ${maxBytes} bytes`);
        throw appError('PEER_TOO_LARGE', `The registry ${ref.host} sent a file of ${truncate(name)} over ${maxBytes} bytes.`);
      }
      throw error;
    }
  }
  await deps.blobs.putBytes(bytes, { expected: integrity, deferSync: true });
  await deps.blobs.sync([...fileIntegrities, integrity]);
  const now = deps.clock.now();
  await deps.uow.transaction(async (repos) => {
    const outcome = await repos.versions.insert({
      package_id: row.id,
      version,
      integrity,
      files: canonical.files,
      derived_files: {},
      dependencies: canonical.dependencies,
      dev_dependencies: canonical.devDependencies,
      peer_dependencies: canonical.peerDependencies,
      optional_dependencies: canonical.optionalDependencies,
      bundled_dependencies: canonical.bundledDependencies,
      signatures: [],
      total_bytes: totalBytes,
      file_count: Object.keys(canonical.files).length,
      created_at: now,
      modified_at: now,
    });
    if (outcome === 'exists') return;
  });
  await deps.events.emit({ type: 'package-changed', ref });
}

type RefusalCode = 'PEER_BAD_SIGNATURE' | 'PEER_HASH_MISMATCH' | 'PEER_REPLACED_VERSION' | 'PEER_BAD_RESPONSE';

/** A refusal of what a peer sent: logged with the peer and the reason, answered with its code. */
function refusal(deps: FederationDeps, host: string, code: RefusalCode, reason: string) {
  deps.peers.logRefusal(host, code, reason);
  return appError(code, `The registry ${host.slice(0, 80)} was refused: ${reason}`, { details: { peer: host } });
}

/**
 * The keys a statement of `host` must be signed with: the ones pinned for it. Without key ids in
 * FEDERATION_HOSTS, every key its `GET /-/v1/host` lists at first contact is pinned (trust on
 * first use) and no key is added later; with key ids, only those are taken from it.
 */
async function peerKeys(deps: FederationDeps, host: PackageRef['host']): Promise<PublicHostKey[]> {
  const configured = deps.peers.pinnedKeyIds(host);
  let pinned = await deps.repos.federation.listPeerKeys(host);
  const missing = configured.length > 0 ? configured.some((id) => !pinned.some((key) => key.keyId === id)) : pinned.length === 0;
  if (missing) {
    const offered = parseHostKeys(await deps.peers.getJson(host, '/-/v1/host'), host, (reason) => {
      deps.peers.logRefusal(host, 'PEER_BAD_RESPONSE', reason);
      return appError('PEER_BAD_RESPONSE', `The registry ${host.slice(0, 80)} was refused: ${reason}`);
    });
    const accepted = configured.length > 0 ? offered.filter((key) => configured.includes(key.keyId)) : offered;
    await deps.repos.federation.pinPeerKeys(host, accepted, deps.clock.now());
    pinned = await deps.repos.federation.listPeerKeys(host);
  }
  return pinned.filter((key) => configured.length === 0 || configured.includes(key.keyId)).map(peerKeyDocument);
}

/** A pinned key of a peer in the shape `GET /-/v1/host` lists keys (statements are checked against it). */
export function peerKeyDocument(key: PeerKey): PublicHostKey {
  return {
    keyid: key.keyId,
    keytype: 'ecdsa-sha2-nistp256',
    scheme: 'ecdsa-sha2-nistp256',
    key: key.publicKey,
    notBefore: (key.notBefore ?? new Date(0)).toISOString(),
    expires: key.expires ? key.expires.toISOString() : null,
  };
}

function parseHostKeys(raw: unknown, host: string, fail: (reason: string) => Error): PeerKey[] {
  const doc = raw as { host?: unknown; keys?: unknown } | undefined;
  if (!doc || typeof doc !== 'object') throw fail('its host document is missing');
  if (doc.host !== host) throw fail(`its host document names ${truncate(String(doc.host))}, not ${host}`);
  if (!Array.isArray(doc.keys) || doc.keys.length > 100) throw fail('its host document has no list of keys');
  const keys: PeerKey[] = [];
  for (const entry of doc.keys as Array<Record<string, unknown>>) {
    if (!entry || typeof entry.keyid !== 'string' || typeof entry.key !== 'string' || entry.keytype !== 'ecdsa-sha2-nistp256') continue;
    // a key whose id does not match its bytes is not taken
    if (hostKeyId(Buffer.from(entry.key, 'base64')) !== entry.keyid) throw fail(`its key ${truncate(entry.keyid)} does not match its id`);
    const date = (value: unknown) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : null);
    keys.push({ keyId: entry.keyid, publicKey: entry.key, notBefore: date(entry.notBefore), expires: date(entry.expires) });
  }
  if (keys.length === 0) throw fail('its host document lists no ECDSA P-256 key');
  return keys;
}

function parseRemotePackageDocument(raw: unknown, name: string, fail: (reason: string) => Error): PackageDocument {
  const doc = raw as Partial<PackageDocument> | undefined;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw fail('its package document is not an object');
  if (doc.name !== name) throw fail(`it answered for ${truncate(String(doc.name))} when asked for ${truncate(name)}`);
  if (
    typeof doc.owner !== 'string' ||
    typeof doc.yanked !== 'boolean' ||
    typeof doc.modified !== 'string' ||
    Number.isNaN(Date.parse(doc.modified))
  ) {
    throw fail(`the package document of ${truncate(name)} is malformed`);
  }
  const versions = doc.versions;
  const tags = doc.tags;
  if (!versions || typeof versions !== 'object' || !tags || typeof tags !== 'object')
    throw fail(`the package document of ${truncate(name)} is malformed`);
  for (const [version, integrity] of Object.entries(versions)) {
    try {
      parseVersion(version);
    } catch {
      throw fail(`${truncate(name)} lists a version that is not semver`);
    }
    if (typeof integrity !== 'string' || !isIntegrity(integrity))
      throw fail(`${truncate(name)}@${truncate(version)} has an invalid integrity`);
  }
  for (const version of Object.values(tags)) {
    if (typeof version !== 'string' || !semver.valid(version)) throw fail(`a tag of ${truncate(name)} names no version`);
  }
  const signatures = Array.isArray(doc.hostSignatures)
    ? (doc.hostSignatures as HostSignature[]).filter((s) => s && typeof s.keyid === 'string' && typeof s.sig === 'string').slice(0, 16)
    : [];
  return {
    name: doc.name,
    owner: doc.owner,
    yanked: doc.yanked,
    require_tfa: false,
    created: typeof doc.created === 'string' ? doc.created : doc.modified,
    modified: doc.modified,
    versions,
    tags,
    hostSignatures: signatures,
  };
}

interface CanonicalVersion {
  files: Record<string, string>;
  dependencies: DependencyMap;
  devDependencies: DependencyMap;
  peerDependencies: DependencyMap;
  optionalDependencies: DependencyMap;
  bundledDependencies: DependencyMap;
}

/** The canonical version document: JSON that is exactly `canonicalVersionDocument` of itself, with safe file paths. */
function parseCanonicalVersion(bytes: Buffer, maxFiles: number, fail: (reason: string) => Error): CanonicalVersion {
  let parsed: CanonicalVersion;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as CanonicalVersion;
  } catch {
    throw fail('its version document is not JSON');
  }
  const maps = ['files', 'dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies', 'bundledDependencies'] as const;
  for (const key of maps) {
    const value = parsed?.[key];
    if (!value || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
      throw fail(`its version document has no ${key} map`);
    }
  }
  if (canonicalVersionDocument(parsed) !== bytes.toString('utf8')) throw fail('its version document is not canonical');
  const files = Object.entries(parsed.files);
  if (files.length === 0 || files.length > maxFiles) throw fail('its version document has no files, or too many');
  for (const [path, integrity] of files) {
    if (!isIntegrity(integrity)) throw fail('a file has an invalid integrity');
    let safe = false;
    try {
      safe = path.startsWith('./') && parseFilePath(encodeURIComponent(path.slice(2))) === path;
    } catch {
      safe = false;
    }
    if (!safe) throw fail(`the file path ${truncate(JSON.stringify(path))} is not allowed`);
  }
  return parsed;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** how deep the background mirror follows remote dependencies of remote dependencies */
export const MAX_MIRROR_DEPTH = 8;
/** the newest versions satisfying one range that the background mirror fetches */
export const MAX_MIRRORED_PER_RANGE = 10;

export interface MirrorRemoteInput {
  ref: { namespace: string; host: string; name: string };
  range: string;
  depth: number;
}

/**
 * Self-sufficiency (issue 15.4, the `mirror-remote` job): mirrors the newest versions of a remote
 * package that satisfy `range` (at most MAX_MIRRORED_PER_RANGE), then enqueues their own remote
 * dependencies, to MAX_MIRROR_DEPTH. A host not in FEDERATION_HOSTS is skipped (nothing to retry).
 */
export async function mirrorRemoteDependency(federation: Federation, deps: CoreDeps, input: MirrorRemoteInput): Promise<string[]> {
  const ref = input.ref as PackageRef;
  if (ref.host === deps.host) return [];
  let doc: PackageDocument;
  try {
    doc = await federation.packageDocument(ref);
  } catch (error) {
    if (isAppError(error) && (error.code === 'PEER_NOT_CONFIGURED' || error.code === 'PACKAGE_NOT_FOUND')) return [];
    throw error;
  }
  const tagged = doc.tags[input.range];
  const matching = (
    tagged !== undefined && tagged in doc.versions
      ? [tagged]
      : Object.keys(doc.versions).filter((version) => semver.satisfies(version, input.range, { includePrerelease: false }))
  )
    .sort(semver.rcompare)
    .slice(0, MAX_MIRRORED_PER_RANGE);
  for (const version of matching) {
    await federation.prepareVersion(ref, version);
    if (input.depth + 1 >= MAX_MIRROR_DEPTH) continue;
    const row = await deps.repos.packages.find(ref.namespace, ref.host, ref.name);
    const stored = row ? await deps.repos.versions.find(row.id, version) : undefined;
    if (!stored) continue;
    for (const map of [stored.dependencies, stored.optional_dependencies, stored.peer_dependencies]) {
      for (const [name, range] of Object.entries(map)) {
        const match = /^([a-z0-9-]+)@([^/]+)\/(.+)$/.exec(name);
        if (!match || match[2] === deps.host) continue;
        await deps.repos.jobs.enqueue({
          kind: 'mirror-remote',
          payload: {
            ref: { namespace: match[1] as string, host: match[2] as string, name: decodeURIComponent(match[3] as string) },
            range,
            depth: input.depth + 1,
          },
        });
      }
    }
  }
  return matching;
}

export interface RefreshReport {
  host: string;
  refreshed: number;
  refused: number;
  unreachable: boolean;
}

/**
 * The scheduled refresh (issue 15.4, the `federation-refresh` job): for each host, asks its origin
 * again for at most `perOrigin` of its packages mirrored here, the ones asked longest ago first, so
 * that tags, yanks and abandonment there show here without a read. A refused answer is logged by
 * the federation (with the peer and the reason) and leaves the local copy as it was; an origin that
 * cannot be reached ends that host's run (its other packages wait for the next one).
 */
export async function refreshRemotePackages(
  federation: Federation,
  deps: CoreDeps,
  input: { hosts: readonly string[]; perOrigin: number },
): Promise<RefreshReport[]> {
  const reports: RefreshReport[] = [];
  for (const host of input.hosts) {
    const report: RefreshReport = { host, refreshed: 0, refused: 0, unreachable: false };
    reports.push(report);
    for (const { namespace, name } of await deps.repos.federation.listStaleRemotePackages(host, input.perOrigin)) {
      try {
        await federation.refresh({ namespace, host, name } as PackageRef);
        report.refreshed += 1;
      } catch (error) {
        if (isAppError(error) && TRANSPORT_CODES.has(error.code)) {
          report.unreachable = true;
          break;
        }
        if (!isAppError(error)) throw error;
        report.refused += 1;
      }
    }
  }
  return reports;
}
