import { ClientError, isSha512Integrity, type NpmPackument, type RegistryClient } from '@entropic/client';
import { type CanonicalVersionInput, LEGACY, type PackageDocument } from '@entropic/types';
import type { CliContext } from './cli-context.ts';
import { cliError } from './cli-error.ts';
import { createLimiter } from './create-limiter.ts';
import { createHostTrust, type HostTrust } from './host-trust.ts';
import { createObjectBatcher } from './object-batcher.ts';
import { createPackageDocuments } from './package-documents.ts';
import type { PackageSpec } from './parse-package-spec.ts';
import { type EngineCheck, pickVersion } from './pick-version.ts';

/** The canonical version document (API.md §5): what a version's integrity hashes. */
export type CanonicalDocument = CanonicalVersionInput;

const EMPTY_INTEGRITY = 'sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==';

function isStringMap(value: unknown, check?: (v: string) => boolean): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => typeof v === 'string' && (!check || check(v)));
}

function parseCanonicalDocument(bytes: Buffer, integrity: string): CanonicalDocument {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ClientError('INVALID_RESPONSE', `The version document ${integrity.slice(0, 24)}… is not JSON.`, { cause: error });
  }
  if (!isStringMap(doc.files, isSha512Integrity)) {
    throw new ClientError('INVALID_RESPONSE', `The version document ${integrity.slice(0, 24)}… has a malformed "files" map.`);
  }
  const map = (key: string) => (isStringMap(doc[key]) ? (doc[key] as Record<string, string>) : {});
  return {
    files: doc.files,
    dependencies: map('dependencies'),
    devDependencies: map('devDependencies'),
    peerDependencies: map('peerDependencies'),
    optionalDependencies: map('optionalDependencies'),
    bundledDependencies: map('bundledDependencies'),
  };
}

export type PackageSource = ReturnType<typeof createPackageSource>;

/**
 * Where install and download get metadata and bytes: the local content-addressed cache first,
 * then the registry. A cached package document is used as it is while fresh (the Cache-Control
 * max-age it came with, as an HTTP cache does), else revalidated with its ETag; one that does not
 * satisfy a spec while fresh is revalidated before that counts. Objects come in batches
 * (`POST /objects/batch`, object-batcher.ts). Every byte that reaches the cache has been
 * verified against the integrity that names it.
 */
export function createPackageSource(
  ctx: CliContext,
  options: {
    offline: boolean;
    preferOffline?: boolean;
    concurrency?: number;
    /** honour `engines.node` of npm packages (their packuments carry it) when picking versions */
    engines?: Omit<EngineCheck, 'enginesNode'>;
    /** `--origin`: packages of other hosts from their origin (`originRouting`), checked the same way */
    fromOrigin?: boolean;
  },
) {
  const cache = ctx.cache();
  const trust = createHostTrust(ctx);
  const { clientFor, objectOrigin, rememberOrigin, rememberFiles } = originRouting(ctx, trust, options.fromOrigin === true);
  // As many requests in flight as the client keeps connections (16): the limiter, not the
  // connection pool, queues the rest, so metadata can go before waiting file downloads.
  const limit = createLimiter(options.concurrency ?? 16);
  const docs = createPackageDocuments(ctx, cache, limit, {
    ...options,
    // checked before anything of it is kept: the host's signature, and no version replaced
    checkPackage: (host, fresh, cached) => trust.checkPackage(host, fresh, cached),
  });
  const documents = new Map<string, Promise<CanonicalDocument>>();
  const objects = new Map<string, Promise<string>>();
  const mirroring = new Map<string, Promise<PackageDocument>>();
  /** version documents found in the cache (their files most likely are too) */
  const cachedDocuments = new Set<string>();
  const batcher = createObjectBatcher({
    fetchBatch: (integrities, onObject) => ctx.client().getObjects(integrities, onObject),
    fetchOne: (integrity) => ctx.client().getObject(integrity),
    limit,
    fallback: (error) => ctx.debug(`the registry has no POST /objects/batch (${error.code}); one GET per object`),
  });
  let [downloaded, downloadedBytes] = [0, 0];

  function offlineMiss(what: string): Error {
    return cliError(
      'OFFLINE_MISS',
      `${what} is not in the cache and --offline forbids downloading it.`,
      'Run the command once online, or drop --offline.',
    );
  }

  async function download(integrity: string, urgent = false): Promise<Buffer> {
    const origin = objectOrigin.get(integrity);
    // objects of the registry in batches; those of another origin (--origin) one GET each from it
    const bytes =
      origin === undefined
        ? await batcher.get(integrity, urgent)
        : await limit(async () => (await clientFor(origin)).getObject(integrity), { urgent });
    downloaded++;
    downloadedBytes += bytes.byteLength;
    return bytes;
  }

  return {
    get stats() {
      return { downloaded, downloadedBytes };
    },

    /** The package document; `revalidate` asks the registry even when the cached one is fresh. */
    async getPackage(spec: PackageSpec, revalidate = false): Promise<PackageDocument> {
      const client = await clientFor(spec.ref.host);
      return rememberOrigin(spec.ref.host, client, await docs.getPackage(spec, client, revalidate));
    },

    /**
     * The version an edge resolves to and the package document that names its integrity. A
     * `legacy` package of this registry is picked from its npm view (the upstream's versions
     * plus the mirrored ones, as npm would see them); a version not mirrored yet is mirrored
     * first (one HEAD on its tarball), then the package document is read again. `revalidate`
     * (packages named on the command line) asks the registry even when the cached document is fresh.
     */
    async pick(spec: PackageSpec, revalidate = false): Promise<{ document: PackageDocument; version: string }> {
      if (spec.ref.namespace !== LEGACY || options.offline) {
        const document = await this.getPackage(spec, revalidate);
        try {
          return { document, version: pickVersion(document, spec) };
        } catch (error) {
          // a fresh copy may predate the version or tag asked for: ask the registry before refusing
          if (!docs.packageWasFresh(spec.canonical)) throw error;
          const revalidated = await this.getPackage(spec, true);
          return { document: revalidated, version: pickVersion(revalidated, spec) };
        }
      }
      if (options.preferOffline) {
        const cached = await cache.readPackage(ctx.registry, spec.canonical);
        if (cached) {
          try {
            return { document: cached.document, version: pickVersion(cached.document, spec) };
          } catch {
            // not satisfied by what is cached: ask the registry
          }
        }
      }
      if (spec.ref.host !== (await ctx.registryHost())) {
        const document = await this.getPackage(spec, revalidate);
        return { document, version: pickVersion(document, spec) };
      }
      const getPackage = (legacy: PackageSpec, revalidate?: boolean) => this.getPackage(legacy, revalidate);
      return pickLegacy({ ctx, limit, mirroring, docs, getPackage, engines: options.engines }, spec);
    },

    /** The canonical version document named by `integrity`, verified (`version`: see `mirroredThenAgain`). */
    getDocument(integrity: string, what: string, version?: { ref: PackageSpec['ref']; version: string }): Promise<CanonicalDocument> {
      let pending = documents.get(integrity);
      if (!pending) {
        pending = (async () => {
          if (!isSha512Integrity(integrity))
            throw new ClientError('INVALID_RESPONSE', `${what} has an invalid integrity "${String(integrity).slice(0, 30)}".`);
          let bytes = await cache.read(integrity);
          if (bytes) cachedDocuments.add(integrity);
          else {
            if (options.offline) throw offlineMiss(`The version document of ${what}`);
            bytes = await download(integrity, true).catch((error: unknown) =>
              mirroredThenAgain(ctx, error, version, objectOrigin.has(integrity), () => download(integrity, true)),
            );
            await cache.write(integrity, bytes, `the version document of ${what}`, { verified: true });
          }
          return rememberFiles(integrity, parseCanonicalDocument(bytes, integrity));
        })();
        documents.set(integrity, pending);
      }
      return pending;
    },

    /** Whether this version document came from the cache rather than the registry. */
    documentWasCached(integrity: string): boolean {
      return cachedDocuments.has(integrity);
    },

    /**
     * Runs `use` on the object's cache path, optimistically (no stat first); when the object is
     * not there (ENOENT), fetches it into the cache and runs `use` again.
     */
    async withObject<T>(integrity: string, what: string, use: (path: string) => Promise<T>): Promise<T> {
      if (!objects.has(integrity)) {
        try {
          return await use(cache.contentPath(integrity));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      return use(await this.ensureObject(integrity, what));
    },

    /** Makes sure the object is in the cache; returns its path there. */
    ensureObject(integrity: string, what: string): Promise<string> {
      let pending = objects.get(integrity);
      if (!pending) {
        pending = (async () => {
          if (await cache.has(integrity)) return cache.contentPath(integrity);
          if (integrity === EMPTY_INTEGRITY) return cache.write(integrity, Buffer.alloc(0), what);
          if (options.offline) throw offlineMiss(what);
          // getObject has verified the bytes against `integrity`: no second hash
          return cache.write(integrity, await download(integrity), what, { verified: true });
        })();
        objects.set(integrity, pending);
      }
      return pending;
    },
  };
}

/**
 * `--origin`: which client serves a host's packages (its origin, at the URL the registry's host
 * document names; the registry for its own host, or without `--origin`), and which origin serves
 * an object (the version documents and files of those packages).
 */
function originRouting(ctx: CliContext, trust: HostTrust, fromOrigin: boolean) {
  const origins = new Map<string, Promise<RegistryClient>>();
  const objectOrigin = new Map<string, string>();
  const registryHost = fromOrigin ? ctx.registryHost() : undefined;
  async function clientFor(host: string | undefined): Promise<RegistryClient> {
    if (!fromOrigin || host === undefined || host === (await registryHost)) return ctx.client();
    let client = origins.get(host);
    if (!client) {
      client = trust.originUrl(host).then((url) => {
        if (url === undefined) {
          throw cliError(
            'UNKNOWN_ORIGIN',
            `--origin: ${ctx.registry} does not name ${host.slice(0, 100)} among the hosts it federates with, so ds does not know where to reach it.`,
            'Install through the registry (without --origin), or ask its operator to add the host to FEDERATION_HOSTS.',
          );
        }
        ctx.debug(`--origin: ${host} at ${url}`);
        return ctx.originClient(url);
      });
      origins.set(host, client);
    }
    return client;
  }
  /** a package document `client` served: its versions come from the same origin */
  function rememberOrigin(host: string, client: RegistryClient, doc: PackageDocument): PackageDocument {
    if (client !== ctx.client()) for (const integrity of Object.values(doc.versions)) objectOrigin.set(integrity, host);
    return doc;
  }
  /** a version document: its files come from the origin that served it */
  function rememberFiles<T extends { files: Record<string, string> }>(integrity: string, document: T): T {
    const origin = objectOrigin.get(integrity);
    if (origin !== undefined) for (const file of Object.values(document.files)) objectOrigin.set(file, origin);
    return document;
  }
  return { clientFor, objectOrigin, rememberOrigin, rememberFiles };
}

/**
 * A version document of another host that the registry does not hold yet (its mirror fetches a
 * remote version when the version is read, or in the background after a publish): read the
 * version through the registry once, which mirrors it, then fetch the document again.
 */
async function mirroredThenAgain(
  ctx: CliContext,
  error: unknown,
  version: { ref: PackageSpec['ref']; version: string } | undefined,
  fromOrigin: boolean,
  again: () => Promise<Buffer>,
): Promise<Buffer> {
  if (!version || fromOrigin || !(error instanceof ClientError) || error.status !== 404) throw error;
  if (version.ref.host === (await ctx.registryHost())) throw error;
  ctx.debug(
    `${version.ref.namespace}@${version.ref.host}/${version.ref.name}@${version.version} is not mirrored yet; reading it mirrors it`,
  );
  await ctx.client().getVersion(version.ref, version.version);
  return again();
}

type PackageDocuments = ReturnType<typeof createPackageDocuments>;

interface LegacyPick {
  ctx: CliContext;
  limit: ReturnType<typeof createLimiter>;
  /** mirror requests under way, by `canonical@version` */
  mirroring: Map<string, Promise<PackageDocument>>;
  docs: PackageDocuments;
  getPackage(spec: PackageSpec, revalidate?: boolean): Promise<PackageDocument>;
  engines: Omit<EngineCheck, 'enginesNode'> | undefined;
}

/**
 * The version of an npm view to install: the deprecated ones only when nothing else satisfies the
 * spec (as npm); with `engines`, preferring versions whose `engines.node` fits (as npm).
 */
function pickFromNpmView(npm: NpmPackument, spec: PackageSpec, engines: Omit<EngineCheck, 'enginesNode'> | undefined): string {
  const view = (skipDeprecated: boolean) =>
    ({
      tags: npm['dist-tags'],
      versions: Object.fromEntries(
        Object.entries(npm.versions)
          .filter(([, manifest]) => !skipDeprecated || !manifest?.deprecated)
          .map(([v]) => [v, '']),
      ),
    }) as unknown as PackageDocument;
  const check: EngineCheck | undefined = engines && {
    ...engines,
    enginesNode: (v) => {
      const declared = npm.versions[v]?.engines as { node?: unknown } | undefined;
      return typeof declared?.node === 'string' ? declared.node : undefined;
    },
  };
  try {
    return pickVersion(view(true), spec, check);
  } catch (error) {
    // an engine refusal stays one; otherwise every satisfying version is deprecated: pick among them
    if (error instanceof ClientError && error.code === 'UNSUPPORTED_ENGINE') throw error;
    return pickVersion(view(false), spec, check);
  }
}

/**
 * A `legacy` package of this registry, picked from its npm view; a version the registry has not
 * mirrored yet is mirrored first, then its package document read again.
 */
async function pickLegacy(
  { ctx, limit, mirroring, docs, getPackage, engines }: LegacyPick,
  spec: PackageSpec,
): Promise<{ document: PackageDocument; version: string }> {
  const npmName = spec.ref.name;
  let npm = await docs.getNpmView(npmName);
  let version: string | undefined;
  try {
    version = npm && pickFromNpmView(npm, spec, engines);
  } catch (error) {
    // a fresh copy may predate the version or tag asked for: ask the registry before refusing
    if (!docs.npmViewWasFresh(npmName)) throw error;
  }
  if (version === undefined && docs.npmViewWasFresh(npmName)) {
    npm = await docs.getNpmView(npmName, true);
    version = npm && pickFromNpmView(npm, spec, engines);
  }
  if (!npm || version === undefined) {
    throw new ClientError(
      'PACKAGE_NOT_FOUND',
      `The npm package "${npmName}" is not on ${ctx.registry} (its legacy mirror does not have it).`,
      {
        status: 404,
        hint: 'Check the name; the registry may not mirror this package (LEGACY_UPSTREAM or its allowlist).',
      },
    );
  }
  const read = (revalidate: boolean) =>
    getPackage(spec, revalidate).catch((error: unknown) => {
      if (error instanceof ClientError && error.status === 404) return undefined;
      throw error;
    });
  let document = await read(false);
  // a fresh copy may predate a version mirrored since: ask the registry before mirroring it again
  if (document && !document.versions[version] && docs.packageWasFresh(spec.canonical)) document = await read(true);
  if (!document?.versions[version]) {
    const key = `${spec.canonical}@${version}`;
    let mirrored = mirroring.get(key);
    if (!mirrored) {
      mirrored = (async () => {
        ctx.debug(`mirroring ${npmName}@${version} on the registry`);
        await limit(() => ctx.client().mirrorNpmVersion(npmName, version), { urgent: true });
        return getPackage(spec, true);
      })();
      mirroring.set(key, mirrored);
    }
    document = await mirrored;
  }
  if (!document.versions[version]) {
    throw cliError(
      'NO_MATCHING_VERSION',
      `The registry lists ${npmName}@${version} from its upstream but could not mirror it.`,
      'Try again later; the upstream may be down.',
    );
  }
  return { document, version };
}
