import { ClientError, isSha512Integrity } from '@entropic/client';
import type { CanonicalVersionInput, PackageDocument } from '@entropic/types';
import type { CliContext } from './cli-context.ts';
import { cliError } from './cli-error.ts';
import { createLimiter } from './create-limiter.ts';
import type { PackageSpec } from './parse-package-spec.ts';

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
export function createPackageSource(ctx: CliContext, options: { offline: boolean; preferOffline?: boolean; concurrency?: number }) {
  const cache = ctx.cache();
  const limit = createLimiter(options.concurrency ?? 32);
  const packages = new Map<string, Promise<PackageDocument>>();
  const documents = new Map<string, Promise<CanonicalDocument>>();
  const objects = new Map<string, Promise<string>>();
  let downloaded = 0;
  let downloadedBytes = 0;

  function offlineMiss(what: string): Error {
    return cliError(
      'OFFLINE_MISS',
      `${what} is not in the cache and --offline forbids downloading it.`,
      'Run the command once online, or drop --offline.',
    );
  }

  async function download(integrity: string): Promise<Buffer> {
    const bytes = await limit(() => ctx.client().getObject(integrity));
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
          const cached = await cache.readPackage(ctx.registry, spec.canonical);
          if (options.offline) {
            if (!cached) throw offlineMiss(`The package ${spec.canonical}`);
            return cached.document;
          }
          if (options.preferOffline && cached) return cached.document;
          const fresh = await limit(() => ctx.client().getPackage(spec.ref, cached?.etag));
          if (!fresh) return (cached as NonNullable<typeof cached>).document;
          await cache.writePackage({
            registry: ctx.registry,
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

    /** The canonical version document named by `integrity`, verified. */
    getDocument(integrity: string, what: string): Promise<CanonicalDocument> {
      let pending = documents.get(integrity);
      if (!pending) {
        pending = (async () => {
          if (!isSha512Integrity(integrity))
            throw new ClientError('INVALID_RESPONSE', `${what} has an invalid integrity "${String(integrity).slice(0, 30)}".`);
          let bytes = await cache.read(integrity);
          if (!bytes) {
            if (options.offline) throw offlineMiss(`The version document of ${what}`);
            bytes = await download(integrity);
            await cache.write(integrity, bytes, `the version document of ${what}`);
          }
          return parseCanonicalDocument(bytes, integrity);
        })();
        documents.set(integrity, pending);
      }
      return pending;
    },

    /** Makes sure the object is in the cache; returns its path there. */
    ensureObject(integrity: string, what: string): Promise<string> {
      let pending = objects.get(integrity);
      if (!pending) {
        pending = (async () => {
          if (await cache.has(integrity)) return cache.contentPath(integrity);
          if (integrity === EMPTY_INTEGRITY) return cache.write(integrity, Buffer.alloc(0), what);
          if (options.offline) throw offlineMiss(what);
          return cache.write(integrity, await download(integrity), what);
        })();
        objects.set(integrity, pending);
      }
      return pending;
    },
  };
}
