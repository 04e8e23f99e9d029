import { ClientError, isSha512Integrity, type NpmPackument, type RegistryClient } from '@entropic/client';
import { type CanonicalVersionInput, LEGACY, type PackageDocument } from '@entropic/types';
import type { CliContext } from './cli-context.ts';
import { cliError } from './cli-error.ts';
import { createLimiter } from './create-limiter.ts';
import { createHostTrust, type HostTrust } from './host-trust.ts';
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
 * then the registry (package documents are revalidated with their ETag unless offline). Every
 * byte that reaches the cache has been verified against the integrity that names it.
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
  const packages = new Map<string, Promise<PackageDocument>>();
  const documents = new Map<string, Promise<CanonicalDocument>>();
  const objects = new Map<string, Promise<string>>();
  const npmPackuments = new Map<string, Promise<NpmPackument | undefined>>();
  const mirroring = new Map<string, Promise<PackageDocument>>();
  /** version documents found in the cache (their files most likely are too) */
  const cachedDocuments = new Set<string>();
  let [downloaded, downloadedBytes] = [0, 0];

  function offlineMiss(what: string): Error {
    return cliError(
      'OFFLINE_MISS',
      `${what} is not in the cache and --offline forbids downloading it.`,
      'Run the command once online, or drop --offline.',
    );
  }

  async function download(integrity: string, urgent = false): Promise<Buffer> {
    const client = await clientFor(objectOrigin.get(integrity));
    const bytes = await limit(() => client.getObject(integrity), { urgent });
    downloaded++;
    downloadedBytes += bytes.byteLength;
    return bytes;
  }

  return {
    get stats() {
      return { downloaded, downloadedBytes };
    },

    getPackage(spec: PackageSpec): Promise<PackageDocument> {
      let pending = packages.get(spec.canonical);
      if (!pending) {
        pending = (async () => {
          const client = await clientFor(spec.ref.host);
          const remember = (doc: PackageDocument) => rememberOrigin(spec.ref.host, client, doc);
          const cached = await cache.readPackage(client.registry, spec.canonical);
          if (options.offline) {
            if (!cached) throw offlineMiss(`The package ${spec.canonical}`);
            return remember(cached.document);
          }
          if (options.preferOffline && cached) return remember(cached.document);
          const fresh = await limit(() => client.getPackage(spec.ref, cached?.etag), { urgent: true });
          if (!fresh) return remember((cached as NonNullable<typeof cached>).document);
          // checked before anything of it is kept: the host's signature, and no version replaced
          await trust.checkPackage(spec.ref.host, fresh.document, cached?.document);
          remember(fresh.document);
          await cache.writePackage({
            registry: client.registry,
            name: spec.canonical,
            etag: fresh.etag,
            fetchedAt: new Date().toISOString(),
            document: fresh.document,
          });
          return fresh.document;
        })();
        packages.set(spec.canonical, pending);
      }
      return pending;
    },

    /**
     * The version an edge resolves to and the package document that names its integrity. A
     * `legacy` package of this registry is picked from its npm view (the upstream's versions
     * plus the mirrored ones, as npm would see them); a version not mirrored yet is mirrored
     * first (one HEAD on its tarball), then the package document is read again.
     */
    async pick(spec: PackageSpec): Promise<{ document: PackageDocument; version: string }> {
      if (spec.ref.namespace !== LEGACY || options.offline) {
        const document = await this.getPackage(spec);
        return { document, version: pickVersion(document, spec) };
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
        const document = await this.getPackage(spec);
        return { document, version: pickVersion(document, spec) };
      }
      const getPackage = (legacy: PackageSpec) => this.getPackage(legacy);
      return pickLegacy({ ctx, limit, npmPackuments, mirroring, packages, getPackage, engines: options.engines }, spec);
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

interface LegacyPick {
  ctx: CliContext;
  limit: ReturnType<typeof createLimiter>;
  /** npm views fetched so far, by npm name */
  npmPackuments: Map<string, Promise<NpmPackument | undefined>>;
  /** mirror requests under way, by `canonical@version` */
  mirroring: Map<string, Promise<PackageDocument>>;
  /** the package documents read so far (a mirrored version makes one stale) */
  packages: Map<string, Promise<PackageDocument>>;
  getPackage(spec: PackageSpec): Promise<PackageDocument>;
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
  { ctx, limit, npmPackuments, mirroring, packages, getPackage, engines }: LegacyPick,
  spec: PackageSpec,
): Promise<{ document: PackageDocument; version: string }> {
  const npmName = spec.ref.name;
  let packument = npmPackuments.get(npmName);
  if (!packument) {
    packument = limit(() => ctx.client().getNpmPackument(npmName), { urgent: true });
    npmPackuments.set(npmName, packument);
  }
  const npm = await packument;
  if (!npm) {
    throw new ClientError(
      'PACKAGE_NOT_FOUND',
      `The npm package "${npmName}" is not on ${ctx.registry} (its legacy mirror does not have it).`,
      {
        status: 404,
        hint: 'Check the name; the registry may not mirror this package (LEGACY_UPSTREAM or its allowlist).',
      },
    );
  }
  const version = pickFromNpmView(npm, spec, engines);
  let document = await getPackage(spec).catch((error: unknown) => {
    if (error instanceof ClientError && error.status === 404) return undefined;
    throw error;
  });
  if (!document?.versions[version]) {
    const key = `${spec.canonical}@${version}`;
    let mirrored = mirroring.get(key);
    if (!mirrored) {
      mirrored = (async () => {
        ctx.debug(`mirroring ${npmName}@${version} on the registry`);
        await limit(() => ctx.client().mirrorNpmVersion(npmName, version), { urgent: true });
        packages.delete(spec.canonical);
        return getPackage(spec);
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
