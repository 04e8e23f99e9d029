import type { Readable } from 'node:stream';
import {
  type CoreDeps,
  findPackage,
  LEGACY_MIRROR_PRINCIPAL,
  type PackageRef,
  type PublishPart,
  publishVersion,
  yankVersion,
} from '@entropic/core';
import {
  appError,
  type Integrity,
  isAppError,
  isFederatedNpmName,
  LEGACY,
  parsePackageName,
  parseVersion,
  truncate,
  type Version,
} from '@entropic/types';
import { IdleQueue } from './idle-queue.ts';
import { normalizeLegacyManifest } from './normalize-legacy-manifest.ts';
import {
  abbreviateVersion,
  type Json,
  listNpmVersions,
  npmSignatureMessage,
  npmTarballUrl,
  type Packuments,
  pickManifest,
  renderNpmVersion,
  type SignNpmVersion,
} from './npm-packument.ts';
import { npmManifestFields } from './npm-publish.ts';
import { inspectTarball, type ReadTarballOptions, tarballParts } from './npm-tarball.ts';
import { awaitUpstream, UpstreamClock, type UpstreamTiming } from './upstream-clock.ts';
import { relayVerified, type TarballExpectation, type VerifiedBytes, type VerifiedRelay } from './verified-relay.ts';

export type { UpstreamTiming } from './upstream-clock.ts';

export type UpstreamPackumentResult =
  | { status: 'ok'; body: string; etag: string | undefined }
  | { status: 'not-modified' }
  | { status: 'not-found' };

/** The upstream npm registry (an adapter does the HTTP, with timeouts). Unreachable → throws. */
export interface UpstreamRegistry {
  readonly url: string;
  fetchPackument(name: string, etag: string | undefined): Promise<UpstreamPackumentResult>;
  /** Starts a tarball download: answers once the upstream's headers are in (a non-2xx answer throws). */
  openTarball(url: string, maxBytes: number): Promise<UpstreamTarball>;
  /**
   * The upstream's `POST /-/npm/v1/security/advisories/bulk` for exactly these names: npm name →
   * advisories (unreachable, a non-2xx answer or a malformed one throws UPSTREAM_UNAVAILABLE).
   */
  bulkAdvisories(query: Record<string, string[]>): Promise<Record<string, unknown[]>>;
}

export interface UpstreamTarball {
  /** the upstream's Content-Length, when it sent one */
  size: number | undefined;
  body: AsyncIterable<Uint8Array>;
}

/** A legacy tarball as the mirror hands it to the route. */
export type MirroredTarball =
  | { kind: 'stored'; integrity: string }
  /** a first fetch, relayed as it arrives (`integrity`: the upstream's sha512, when it gave one) */
  | { kind: 'relay'; integrity: string | undefined; size: number | undefined; stream: Readable }
  /** a concurrent first fetch: the verified bytes of the one upstream fetch */
  | { kind: 'bytes'; integrity: string; bytes: Buffer };

/** What the caller knows: `stored: false` when no legacy package of that name is stored here (skips the lookup). */
export interface StoredHint {
  stored?: boolean;
}

/**
 * Tarballs above this size (or of no announced size) are relayed as they arrive on a first fetch;
 * smaller ones, which come in one or two socket reads, are answered once their hash is verified
 * (a mismatch is then a clear error, not an aborted body).
 */
const RELAY_MIN_BYTES = 64 * 1024;
/** first-fetched packuments and tarballs are stored once no npm read came for this long */
const STORE_QUIET_MS = 1000;
/** how long a parsed upstream packument is reused in memory (at most the mirror's TTL) */
const PARSED_MS = 10_000;
const PARSED_MAX = 500;

interface FirstFetch {
  /** the verified bytes (undefined: the version is not upstream) */
  verified: Promise<VerifiedBytes | undefined>;
  /** stored and exploded (rejects with the reason it was not) */
  stored: Promise<void>;
  /** settled either way, the entry removed */
  done: Promise<void>;
  clock: UpstreamClock;
  /** a caller waits for the store (HEAD): it does not wait for a quiet moment */
  urgent: boolean;
}

/** A packument refresh in flight, shared by whoever needs it. */
interface Refresh {
  promise: Promise<Json | undefined>;
  clock: UpstreamClock;
}

interface OpenedTarball {
  manifest: Json;
  tag: string;
  expect: TarballExpectation;
  size: number | undefined;
  relay: VerifiedRelay;
}

export interface NpmMirrorOptions {
  ttlSeconds: number;
  /** npm names that may be mirrored; undefined: any */
  allowlist: ReadonlySet<string> | undefined;
  onError?: (error: unknown, npmName: string) => void;
  /** where the mirror reports what it did to upstream data (links skipped, removals followed, slow fetches) */
  log?: MirrorLog;
  /** seconds an upstream 404 is remembered, so a missing name is not asked again at once (0 or unset: never) */
  negativeTtlSeconds?: number;
  /** versions the upstream removed stay servable by their exact tarball URL (lockfiles); off: they 404 too */
  keepRemoved?: boolean;
  /** an upstream fetch slower than this is logged once as a warning (0 or unset: never) */
  slowFetchMs?: number;
  /**
   * Signs a version for `dist.signatures` with this host's key: this registry serves the verified
   * upstream bytes under that integrity. The upstream's own signatures name its keys, which this
   * registry's `GET /-/npm/v1/keys` does not list, so they are replaced.
   */
  sign?: SignNpmVersion;
}

/** At most this many upstream 404s are remembered (the oldest are forgotten first). */
const NEGATIVE_CACHE_MAX = 10_000;
/** At most this many versions whose upstream tarball breaks a rule for stored files are remembered. */
const REFUSED_MAX = 1000;
const REMOVED_HINT = 'The upstream registry removed it (unpublished or taken down).';

/** The part of a pino logger the mirror uses. */
export interface MirrorLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * The `legacy` read-through mirror: upstream packuments cached in the database with a TTL and
 * served stale while they revalidate; a version's tarball fetched once, checked against the
 * upstream integrity, exploded into the store as a version of `legacy@<host>/<name>` and served
 * from then on without the upstream. A change to what a legacy package reads as (a refreshed or
 * removed packument, a newly mirrored version) is announced as a `package-changed` event.
 */
export class NpmMirror {
  private readonly refreshing = new Map<string, Refresh>();
  /** npm name → until when its upstream 404 is believed (insertion order: oldest first) */
  private readonly missing = new Map<string, number>();
  /** first fetches in flight, by `name@version`: verified bytes, then stored (`done`) */
  private readonly fetching = new Map<string, FirstFetch>();
  /**
   * `name@version` → why its (verified) upstream tarball cannot be stored (a `..` path, too many
   * files…): answered at once from then on, without the upstream (until `until`).
   */
  private readonly refused = new Map<string, { error: unknown; until: number }>();
  private readonly parsed = new Map<string, { body: Json; until: number }>();
  /** names whose upstream packument is cached in the database (loadCachedNames, then kept up to date here) */
  private readonly cachedNames = new Set<string>();
  private namesLoaded = false;
  /**
   * Upstream packuments fetched for the first time and not stored yet: they are written when
   * requests leave room for it (a database write per package would otherwise compete with the
   * install that asked for them), and read from here meanwhile.
   */
  private readonly unpersisted = new Map<string, Json>();
  /** upstream packuments fetched for the first time, being stored after their answer */
  private readonly persisting = new Set<Promise<void>>();
  /**
   * exploding first-fetched tarballs into the store, once no npm read came for `STORE_QUIET_MS`
   * (an install's requests come in waves with pauses of a few hundred ms while npm works out its
   * tree: storing in those pauses made the next wave wait)
   */
  private readonly background = new IdleQueue({ quietMs: STORE_QUIET_MS, maxDelayMs: 60_000, maxQueuedBytes: 256 * 1024 * 1024 });

  constructor(
    private readonly deps: CoreDeps,
    private readonly upstream: UpstreamRegistry | undefined,
    private readonly options: NpmMirrorOptions,
  ) {}

  get enabled(): boolean {
    return this.upstream !== undefined;
  }

  /** An npm read came (answered from a cache or not): the mirror's background stores wait for quiet. */
  noteRead(): void {
    if (this.upstream) this.background.touch();
  }

  /** Whether the name may be asked of the upstream: never a name under the federated scope (no dependency confusion). */
  isAllowed(npmName: string): boolean {
    if (isFederatedNpmName(npmName)) return false;
    return this.upstream !== undefined && (this.options.allowlist === undefined || this.options.allowlist.has(npmName));
  }

  /**
   * The upstream packument (possibly stale), or undefined when the upstream does not have it.
   * `waiter` learns how much of the wait was the upstream's.
   */
  async upstreamPackument(npmName: string, waiter?: UpstreamTiming | UpstreamClock): Promise<Json | undefined> {
    if (!this.isAllowed(npmName)) return undefined;
    this.background.touch();
    const memo = this.parsed.get(npmName);
    if (memo && memo.until > Date.now()) return memo.body;
    const pending = this.unpersisted.get(npmName);
    if (pending) return pending;
    const body = await this.readUpstreamPackument(npmName, waiter);
    if (body) this.remember(npmName, body);
    return body;
  }

  /** Parsed upstream packuments, briefly: a first install asks for a package's tarballs right after its packument. */
  private remember(npmName: string, body: Json): void {
    this.parsed.delete(npmName);
    if (this.parsed.size >= PARSED_MAX) this.parsed.delete(this.parsed.keys().next().value as string);
    this.parsed.set(npmName, { body, until: Date.now() + Math.min(PARSED_MS, this.options.ttlSeconds * 1000) });
  }

  /**
   * Reads the names with a cached packument into memory (at start): from then on a first fetch
   * asks the upstream without a database lookup first. A name cached by another process since
   * is fetched again (and its cache entry replaced); if the upstream cannot be asked, the
   * database is read after all.
   */
  async loadCachedNames(): Promise<void> {
    if (!this.enabled) return;
    for (const name of await this.deps.repos.mirror.listUpstreamPackumentNames()) this.cachedNames.add(name);
    this.namesLoaded = true;
  }

  /** False only when no packument of that name is cached (in this process's knowledge). */
  private mayBeCached(npmName: string): boolean {
    return !this.namesLoaded || this.cachedNames.has(npmName);
  }

  private async readUpstreamPackument(npmName: string, waiter?: UpstreamTiming | UpstreamClock): Promise<Json | undefined> {
    const looked = this.mayBeCached(npmName);
    const row = looked ? await this.deps.repos.mirror.findUpstreamPackument(npmName) : undefined;
    if (row) {
      const age = Date.now() - new Date(row.fetched_at).getTime();
      if (age > this.options.ttlSeconds * 1000) {
        this.refresh(npmName, row.etag ?? undefined).promise.catch((error) => this.options.onError?.(error, npmName));
      }
      return JSON.parse(row.body) as Json;
    }
    if (this.isMissing(npmName)) return undefined;
    try {
      const found = await awaitUpstream(this.refresh(npmName, undefined), waiter);
      if (!found) this.rememberMissing(npmName);
      return found;
    } catch (error) {
      if (isAppError(error) && error.code !== 'UPSTREAM_UNAVAILABLE') throw error;
      // another process may have cached it since the names were read: served from there, stale
      const late = looked ? undefined : await this.deps.repos.mirror.findUpstreamPackument(npmName);
      if (late) {
        this.cachedNames.add(npmName);
        return JSON.parse(late.body) as Json;
      }
      throw appError(
        'UPSTREAM_UNAVAILABLE',
        `The upstream registry ${this.upstream?.url} could not be reached for "${npmName}", and it was never cached here.`,
        { cause: error, hint: 'Try again when the upstream is back; packages mirrored before stay available.' },
      );
    }
  }

  /** An upstream 404 remembered for a short while (a name resolved to a local namespace never gets here). */
  private isMissing(npmName: string): boolean {
    const until = this.missing.get(npmName);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.missing.delete(npmName);
    return false;
  }

  private rememberMissing(npmName: string): void {
    const ttl = this.options.negativeTtlSeconds ?? 0;
    if (ttl <= 0) return;
    this.missing.delete(npmName);
    if (this.missing.size >= NEGATIVE_CACHE_MAX) this.missing.delete(this.missing.keys().next().value as string);
    this.missing.set(npmName, Date.now() + ttl * 1000);
  }

  private refresh(npmName: string, etag: string | undefined): Refresh {
    let pending = this.refreshing.get(npmName);
    if (!pending) {
      const clock = new UpstreamClock();
      const promise = this.fetchAndStore(clock, npmName, etag).finally(() => {
        this.refreshing.delete(npmName);
        this.reportSlow(clock);
      });
      pending = { promise, clock };
      this.refreshing.set(npmName, pending);
    }
    return pending;
  }

  /** Work with the upstream is done: each of its slow fetches is reported once. */
  private reportSlow(clock: UpstreamClock): void {
    const slowMs = this.options.slowFetchMs ?? 0;
    if (slowMs <= 0) return;
    for (const report of clock.slowFetches(slowMs)) this.options.log?.warn({ ...report }, 'upstream fetch slow');
  }

  private async fetchAndStore(clock: UpstreamClock, npmName: string, etag: string | undefined): Promise<Json | undefined> {
    const upstream = this.upstream;
    if (!upstream) return undefined;
    const fetchedAt = new Date();
    const result = await clock.fetch(`${upstream.url}/${npmName}`, () => upstream.fetchPackument(npmName, etag));
    const mirror = this.deps.repos.mirror;
    if (result.status === 'not-found') {
      this.parsed.delete(npmName);
      this.unpersisted.delete(npmName);
      this.cachedNames.delete(npmName);
      if (await mirror.deleteUpstreamPackument(npmName)) {
        await this.followRemovals(npmName, undefined);
        await this.changed(npmName);
      }
      return undefined;
    }
    if (result.status === 'not-modified') {
      const body = await mirror.touchUpstreamPackument(npmName, new Date());
      return body !== undefined ? (JSON.parse(body) as Json) : this.fetchAndStore(clock, npmName, undefined);
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(result.body) as Json;
      if (parsed === null || typeof parsed !== 'object' || typeof parsed.versions !== 'object') throw new Error('no versions');
    } catch (error) {
      throw appError('UPSTREAM_UNAVAILABLE', `The upstream registry answered an invalid packument for "${npmName}".`, { cause: error });
    }
    // An upstream that ignores If-None-Match (Verdaccio 6.8.0 does) answers 200 with the ETag it
    // was sent: unchanged, as good as a 304 (nothing rewritten, no change announced).
    if (etag !== undefined && result.etag === etag && (await mirror.touchUpstreamPackument(npmName, new Date())) !== undefined)
      return parsed;
    const persist = async () => {
      await mirror.putUpstreamPackument({ name: npmName, body: result.body, etag: result.etag ?? null, fetchedAt });
      this.cachedNames.add(npmName);
      const local = await this.followRemovals(npmName, parsed.versions as Json);
      // A first fetch of a name with nothing stored here changes no view anyone cached before:
      // the views cached meanwhile were made from this very document (and stay cached).
      if (local || etag !== undefined) await this.changed(npmName);
    };
    this.remember(npmName, parsed);
    if (etag !== undefined) {
      await persist();
      return parsed;
    }
    // A first fetch answers with the parsed document, kept in memory until it is stored in a
    // quiet moment (a crash before loses only this cache entry: the next request fetches again).
    this.unpersisted.set(npmName, parsed);
    this.background.touch(); // the request is still being answered
    const stored = this.background
      .add(`packument:${npmName}`, result.body.length, persist)
      .catch((error) => this.options.onError?.(error, npmName))
      .finally(() => {
        if (this.unpersisted.get(npmName) === parsed) this.unpersisted.delete(npmName);
        this.persisting.delete(stored);
      });
    this.persisting.add(stored);
    return parsed;
  }

  /** After the commit: every cached view of the legacy package is dropped (cache subscriptions). */
  private async changed(npmName: string): Promise<void> {
    await this.deps.events.emit({ type: 'package-changed', ref: this.legacyRef(npmName) });
  }

  /**
   * The upstream removed versions (or, `upstreamVersions` undefined, the whole package): the
   * versions mirrored here that it no longer lists are yanked by the mirror, so they are no
   * longer offered; their bytes stay for exact installs only when `keepRemoved`. Logged, since
   * it usually means a takedown. Answers whether a package of that name is stored here.
   */
  private async followRemovals(npmName: string, upstreamVersions: Json | undefined): Promise<boolean> {
    const ref = this.legacyRef(npmName);
    const local = await findPackage(this.deps.repos, ref, this.deps.host);
    if (!local) return false;
    const published = await this.deps.repos.versions.listPublished(local.id);
    const removed = published.map((v) => v.version).filter((v) => !upstreamVersions || !(v in upstreamVersions));
    if (removed.length === 0) return true;
    for (const version of removed) await yankVersion(this.deps, { principal: LEGACY_MIRROR_PRINCIPAL, ref, version: version as Version });
    this.options.log?.warn(
      { name: npmName, versions: removed.slice(0, 50), count: removed.length, kept: this.options.keepRemoved === true },
      upstreamVersions ? 'legacy mirror: the upstream removed versions' : 'legacy mirror: the upstream removed the package',
    );
    return true;
  }

  private legacyRef(npmName: string): PackageRef {
    return { namespace: LEGACY, host: this.deps.host, name: parsePackageName(npmName, LEGACY) };
  }

  /** A version the upstream removed is served only when the operator keeps removed versions (exact installs, lockfiles). */
  private async servable(ref: PackageRef, npmName: string, version: string, integrity: string): Promise<string> {
    if (this.options.keepRemoved) return integrity;
    const pkg = await findPackage(this.deps.repos, ref, this.deps.host);
    const state = pkg && (await this.deps.repos.versions.findState(pkg.id, version));
    if (!state?.yanked) return integrity;
    throw appError('VERSION_NOT_FOUND', `The version "${truncate(npmName)}@${version}" is no longer available.`, { hint: REMOVED_HINT });
  }

  /**
   * Packuments of a legacy package: the upstream's, with tarballs pointing here; when the upstream
   * cannot be asked, the versions mirrored here, never those the upstream removed.
   */
  async packuments(npmName: string, tarballBase: string, timing?: UpstreamTiming, hint: StoredHint = {}): Promise<Packuments | undefined> {
    this.background.touch();
    const ref = this.legacyRef(npmName);
    // the local package and the upstream document are read at once (one round trip less on a first fetch)
    const [found, fromUpstream] = await Promise.allSettled([
      hint.stored === false ? undefined : findPackage(this.deps.repos, ref, this.deps.host),
      this.upstreamPackument(npmName, timing),
    ]);
    if (found.status === 'rejected') throw found.reason;
    const local = found.value;
    let upstream: Json | undefined;
    if (fromUpstream.status === 'fulfilled') upstream = fromUpstream.value;
    else if (!local) throw fromUpstream.reason;
    // What the upstream lists is what is offered (a version it no longer lists was removed). Only
    // when it cannot be asked are the versions mirrored here offered, never those it removed (yanked).
    const localVersions = local && !upstream ? (await listNpmVersions(this.deps, { packageId: local.id })).filter((v) => !v.yanked) : [];
    if (!upstream && localVersions.length === 0) return undefined;
    const versions: Json = {};
    const abbreviated: Json = {};
    const upstreamVersions = (upstream?.versions ?? {}) as Record<string, Json>;
    for (const [version, manifest] of Object.entries(upstreamVersions)) {
      // legacy shapes (array dependencies, string bin…) normalised, so every client reads the same graph
      const normal = normalizeLegacyManifest(npmName, manifest);
      const view = { ...normal, dist: this.mirroredDist(npmName, version, (manifest.dist ?? {}) as Json, tarballBase) };
      versions[version] = view;
      abbreviated[version] = abbreviateVersion(view);
    }
    const time: Record<string, string> = { ...((upstream?.time ?? {}) as Record<string, string>) };
    for (const record of localVersions) {
      if (record.version in versions) continue;
      const view = renderNpmVersion(
        npmName,
        record,
        npmTarballUrl(tarballBase, npmName, record.version),
        this.deps.host,
        this.options.sign,
      );
      versions[record.version] = view;
      abbreviated[record.version] = abbreviateVersion(view);
      time[record.version] ??= record.created.toISOString();
    }
    const tags = (upstream?.['dist-tags'] ?? {}) as Record<string, string>;
    if (!upstream && localVersions.length > 0) tags.latest ??= localVersions.at(-1)?.version ?? '';
    const full: Json = { ...(upstream ?? {}), _id: npmName, name: npmName, 'dist-tags': tags, versions, time };
    delete full._attachments;
    return {
      full,
      abbreviated: { name: npmName, modified: time.modified ?? new Date(0).toISOString(), 'dist-tags': tags, versions: abbreviated },
    };
  }

  /** The upstream's `dist` with the tarball here, signed by this host (a single sha512 integrity) or unsigned. */
  private mirroredDist(npmName: string, version: string, upstreamDist: Json, tarballBase: string): Json {
    const { signatures: _upstreamSignatures, ...dist } = upstreamDist;
    const integrity = dist.integrity;
    const signable = this.options.sign && typeof integrity === 'string' && /^sha512-[A-Za-z0-9+/]+=*$/.test(integrity);
    return {
      ...dist,
      tarball: npmTarballUrl(tarballBase, npmName, version),
      ...(signable ? { signatures: this.options.sign?.(npmSignatureMessage(npmName, version, integrity)) } : {}),
    };
  }

  /**
   * A legacy version's tarball: the stored one, or — the first time — the upstream's bytes
   * relayed as they arrive while they are verified (the last chunk waits for the verdict), then
   * stored and exploded into the store after the response, durably (nothing is visible until
   * the tarball row is written last). Concurrent first requests share the one upstream fetch and
   * get its verified bytes. Undefined when the version is not known here or upstream.
   */
  async tarball(
    npmName: string,
    version: string,
    options: StoredHint & { durable?: boolean; timing?: UpstreamTiming } = {},
  ): Promise<MirroredTarball | undefined> {
    this.background.touch();
    const ref = this.legacyRef(npmName);
    const found = options.stored === false ? undefined : await this.storedTarball(ref, version);
    if (found) return { kind: 'stored', integrity: await this.servable(ref, npmName, version, found) };
    if (!this.isAllowed(npmName)) return undefined;
    const key = `${npmName}@${version}`;
    this.assertNotRefused(key);
    const from = UpstreamClock.now();
    let fetch = this.fetching.get(key);
    let relay: MirroredTarball | undefined;
    if (!fetch) {
      // registered before the first await, so a concurrent request finds it
      const clock = new UpstreamClock();
      const opened = this.openUpstreamTarball(clock, npmName, parseVersion(version));
      const verified = opened.then((o) => o?.relay.verified);
      // stored when the server is quiet (or at once for a caller that waits for it): nothing is
      // visible until then, and a crash before leaves nothing behind (the next request fetches again)
      const stored = verified.then(async (bytes) => {
        const o = await opened;
        if (bytes && o) {
          const run = () => this.store(ref, npmName, version, o, bytes);
          this.background.touch(); // the request is still being answered
          await this.background.add(key, bytes.bytes.length, run, this.fetching.get(key)?.urgent === true);
        }
      });
      const done = stored
        .catch((error) => {
          // a refusal (the files break a rule) was logged as such
          if (!this.refused.has(key)) this.options.onError?.(error, npmName);
        })
        .finally(() => {
          this.fetching.delete(key);
          this.reportSlow(clock);
        });
      fetch = { verified, stored, done, clock, urgent: options.durable === true };
      this.fetching.set(key, fetch);
      let o: OpenedTarball | undefined;
      try {
        o = await opened;
      } finally {
        if (!o) clock.credit(options.timing, from);
      }
      if (!o) return undefined;
      // small tarballs (nearly all) are answered whole, so a refusal is a clear error, not an aborted body
      if (options.durable || (o.size !== undefined && o.size <= RELAY_MIN_BYTES)) o.relay.stream.destroy();
      else relay = { kind: 'relay', integrity: o.expect.sha512, size: o.size, stream: o.relay.stream };
    }
    const clock = fetch.clock;
    if (relay) {
      // the response streams the upstream's body: that time is the upstream's, until it is verified
      const credit = () => clock.credit(options.timing, from);
      fetch.verified.then(credit, credit);
      return relay;
    }
    try {
      const verified = await fetch.verified;
      if (!verified) return undefined;
      if (!options.durable) return { kind: 'bytes', integrity: verified.sha512, bytes: verified.bytes };
      fetch.urgent = true;
      this.background.expedite(key);
      await fetch.stored;
    } finally {
      clock.credit(options.timing, from);
    }
    const integrity = await this.storedTarball(ref, version);
    return integrity ? { kind: 'stored', integrity } : undefined;
  }

  /**
   * What would refuse the version refuses it before anything is written: the tarball's files are
   * read under every rule for stored files (links and special files skipped, and logged). A
   * refusal is remembered, so the next request is answered with it without the upstream.
   */
  private async inspect(npmName: string, version: string, bytes: Buffer): Promise<void> {
    const skipped: string[] = [];
    const read: ReadTarballOptions = { mode: 'mirrored', onSkipped: (entry) => skipped.push(`${entry.path} (${entry.type})`) };
    try {
      await inspectTarball(bytes, this.deps.limits, read);
    } catch (error) {
      if (isAppError(error) && error.status < 500) {
        const key = `${npmName}@${version}`;
        this.refused.delete(key);
        if (this.refused.size >= REFUSED_MAX) this.refused.delete(this.refused.keys().next().value as string);
        this.refused.set(key, { error, until: Date.now() + this.options.ttlSeconds * 1000 });
        this.options.log?.warn(
          { name: npmName, version, code: error.code, reason: error.message },
          'legacy mirror: the upstream tarball breaks a rule for stored files; not stored',
        );
      }
      throw error;
    }
    if (skipped.length > 0) {
      this.options.log?.info(
        { name: npmName, version, skipped: skipped.slice(0, 20), count: skipped.length },
        'legacy mirror: links and special files skipped',
      );
    }
  }

  /** A version whose upstream tarball was refused a moment ago is refused again, without the upstream. */
  private assertNotRefused(key: string): void {
    const refused = this.refused.get(key);
    if (!refused) return;
    if (refused.until > Date.now()) throw refused.error;
    this.refused.delete(key);
  }

  /** Waits for the tarballs being stored (at shutdown). */
  async drain(): Promise<void> {
    this.background.flush();
    await Promise.allSettled([...this.fetching.values()].map((f) => f.done));
    await Promise.allSettled([...this.persisting]);
  }

  private async storedTarball(ref: PackageRef, version: string): Promise<string | undefined> {
    const row = await this.deps.repos.npmTarballs.findByName(LEGACY, null, ref.name, version);
    return row?.integrity ?? undefined;
  }

  private async openUpstreamTarball(clock: UpstreamClock, npmName: string, version: string): Promise<OpenedTarball | undefined> {
    const packument = await this.upstreamPackument(npmName, clock);
    const upstreamManifest = (packument?.versions as Record<string, Json> | undefined)?.[version];
    if (!packument || !upstreamManifest) return undefined;
    const manifest = normalizeLegacyManifest(npmName, upstreamManifest);
    const dist = (manifest.dist ?? {}) as { tarball?: unknown; integrity?: unknown; shasum?: unknown };
    if (typeof dist.tarball !== 'string')
      throw appError('UPSTREAM_UNAVAILABLE', `The upstream gave no tarball for "${npmName}@${version}".`);
    const expect: TarballExpectation = {
      sha512: typeof dist.integrity === 'string' ? dist.integrity.split(/\s+/).find((e) => e.startsWith('sha512-')) : undefined,
      shasum: typeof dist.shasum === 'string' ? dist.shasum : undefined,
    };
    const limit = this.deps.limits.maxVersionBytes;
    let upstream: UpstreamTarball;
    const url = dist.tarball;
    const started = UpstreamClock.now();
    try {
      upstream = await (this.upstream as UpstreamRegistry).openTarball(url, limit);
    } catch (error) {
      clock.record(url, started, UpstreamClock.now());
      if (isAppError(error) && error.code !== 'UPSTREAM_UNAVAILABLE') throw error;
      throw appError('UPSTREAM_UNAVAILABLE', `The upstream tarball of "${npmName}@${version}" could not be fetched.`, { cause: error });
    }
    // the fetch lasts until the whole body is in; the response ends once its hash is verified (the
    // files are checked by the store, after the response: a first install waits for no inflating)
    let fetched = false;
    const endFetch = () => {
      if (!fetched) clock.record(url, started, UpstreamClock.now());
      fetched = true;
    };
    const relay = relayVerified(upstream.body, expect, limit, `"${npmName}@${version}"`, async () => endFetch());
    relay.verified.catch(endFetch);
    const tags = (packument['dist-tags'] ?? {}) as Record<string, string>;
    return { manifest, tag: tags.latest === version ? 'latest' : 'mirrored', expect, size: upstream.size, relay };
  }

  /**
   * Stores a verified upstream tarball and explodes it into a version, its tarball row recorded
   * in the version's transaction (one commit, made once every blob is durable: a crash leaves
   * nothing half-visible).
   */
  private async store(ref: PackageRef, npmName: string, version: string, opened: OpenedTarball, verified: VerifiedBytes): Promise<void> {
    await this.inspect(npmName, version, verified.bytes);
    // made durable with the version's files, by the one sync before the commit
    const stored = await this.deps.blobs.putBytes(verified.bytes, { expected: verified.sha512 as Integrity, deferSync: true });
    const fields = await npmManifestFields(this.deps, opened.manifest, { dropInvalid: true });
    const limits = this.deps.limits;
    async function* parts(): AsyncGenerator<PublishPart> {
      yield* fields;
      yield { kind: 'field', name: 'tag', value: opened.tag };
      yield* tarballParts(verified.bytes, limits, { mode: 'mirrored' });
    }
    const npmTarball = {
      integrity: stored.integrity,
      shasum: verified.sha1,
      size: verified.bytes.length,
      manifest: pickManifest(opened.manifest),
      source: 'upstream' as const,
    };
    try {
      // the parts are in memory: an early check would spare nothing (the transaction's check decides)
      const input = {
        principal: LEGACY_MIRROR_PRINCIPAL,
        ref,
        version: parseVersion(version),
        parts: parts(),
        npmTarball,
        earlyCheck: false,
      };
      await publishVersion(this.deps, input);
    } catch (error) {
      if (!isAppError(error) || error.code !== 'VERSION_EXISTS') throw error;
      // stored meanwhile (another process), or by an older mirror that recorded the tarball after
      // its version and was killed between the two: the tarball row, if it is missing
      const row = await this.deps.repos.npmTarballs.findByName(LEGACY, null, ref.name, version);
      if (!row) throw new Error(`the mirrored version ${npmName}@${version} is missing`);
      if (!row.integrity) {
        await this.deps.blobs.sync([stored.integrity]);
        await this.deps.repos.npmTarballs.insert({ versionId: row.versionId, ...npmTarball });
      }
    }
    await this.changed(npmName);
  }
}
