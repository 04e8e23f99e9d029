import type { NotModified, NpmPackument, RegistryClient } from '@entropic/client';
import type { PackageDocument } from '@entropic/types';
import type { CliContext } from './cli-context.ts';
import { cliError } from './cli-error.ts';
import type { CachedPackage, ContentCache } from './content-cache.ts';
import type { PackageSpec } from './parse-package-spec.ts';

/** A registry answer as the HTTP cache keeps it: the body, its validator and how long it stays fresh. */
interface Answer<T> {
  body: T;
  etag: string | undefined;
  maxAge: number;
}

interface DocumentOptions {
  offline: boolean;
  preferOffline?: boolean;
  /** checks a package document the registry just sent before it is kept (host signatures, no version replaced) */
  checkPackage?: (host: string, fresh: PackageDocument, cached: PackageDocument | undefined) => Promise<void>;
}

/** npm views (`legacy` packages) live next to the package documents, under a name no package has. */
const npmKey = (npmName: string) => `npm:${npmName}`;

/**
 * Package documents and npm views as an HTTP cache keeps them (RFC 9111): a cached one is used
 * unasked while fresh (the max-age it came with, counted from when it was asked for), else
 * revalidated with its ETag (a 304 makes it fresh again). `revalidate` asks even when it is fresh:
 * for a package named on the command line, and when a fresh copy lacks what a spec asks for (it
 * may predate a publish). Each is read once per run.
 */
export function createPackageDocuments(
  ctx: CliContext,
  cache: ContentCache,
  limit: <T>(task: () => Promise<T>, options?: { urgent?: boolean }) => Promise<T>,
  options: DocumentOptions,
) {
  const pending = new Map<string, Promise<unknown>>();
  /** keys served from the cache while fresh, without asking the registry */
  const servedFresh = new Set<string>();

  function offlineMiss(what: string): Error {
    return cliError(
      'OFFLINE_MISS',
      `${what} is not in the cache and --offline forbids downloading it.`,
      'Run the command once online, or drop --offline.',
    );
  }

  /** The document under `key`: from the cache while fresh, else from `fetch` (undefined: the registry has none). */
  async function read<T>(
    where: { registry: string; key: string; what: string; revalidate: boolean },
    fetch: (etag: string | undefined) => Promise<Answer<T> | NotModified | undefined>,
    check?: (fresh: T, cached: T | undefined) => Promise<void>,
  ): Promise<T | undefined> {
    const { registry, key, what, revalidate } = where;
    const cached = (await cache.readPackage(registry, key)) as CachedPackage<T> | undefined;
    if (options.offline) {
      if (!cached) throw offlineMiss(what);
      return cached.document;
    }
    if (options.preferOffline && cached) return cached.document;
    const requested = Date.now();
    if (cached && !revalidate && (cached.freshUntil ?? 0) > requested) {
      servedFresh.add(key);
      return cached.document;
    }
    servedFresh.delete(key);
    const answer = await limit(() => fetch(cached?.etag), { urgent: true });
    if (answer === undefined) return undefined;
    if (!('notModified' in answer)) await check?.(answer.body, cached?.document);
    // fresh from when it was asked for (RFC 9111 §4.2.3 counts the age from the request)
    const freshUntil = requested + answer.maxAge * 1000;
    const entry: CachedPackage<T> =
      'notModified' in answer
        ? { ...(cached as CachedPackage<T>), freshUntil }
        : {
            registry: ctx.registry,
            name: key,
            etag: answer.etag,
            fetchedAt: new Date(requested).toISOString(),
            freshUntil,
            document: answer.body,
          };
    await cache.writePackage(entry);
    return entry.document;
  }

  function once<T>(key: string, revalidate: boolean, load: () => Promise<T>): Promise<T> {
    let found = revalidate ? undefined : (pending.get(key) as Promise<T> | undefined);
    if (!found) {
      found = load();
      pending.set(key, found);
    }
    return found;
  }

  return {
    /** The package document from `client` (the registry, or the origin with --origin); its errors propagate. */
    getPackage(spec: PackageSpec, client: RegistryClient, revalidate = false): Promise<PackageDocument> {
      return once(spec.canonical, revalidate, async () => {
        const where = { registry: client.registry, key: spec.canonical, what: `The package ${spec.canonical}`, revalidate };
        const document = await read<PackageDocument>(
          where,
          async (etag) => {
            const answer = await client.getPackage(spec.ref, etag);
            return 'notModified' in answer ? answer : { body: answer.document, etag: answer.etag, maxAge: answer.maxAge };
          },
          (fresh, cached) => options.checkPackage?.(spec.ref.host, fresh, cached) ?? Promise.resolve(),
        );
        return document as PackageDocument;
      });
    },

    /** The registry's npm view of an npm name (a `legacy` package); undefined when it has none. */
    getNpmView(npmName: string, revalidate = false): Promise<NpmPackument | undefined> {
      return once(npmKey(npmName), revalidate, () =>
        read<NpmPackument>(
          { registry: ctx.registry, key: npmKey(npmName), what: `The npm package ${npmName}`, revalidate },
          async (etag) => {
            const answer = await ctx.client().getNpmPackument(npmName, etag);
            if (!answer || 'notModified' in answer) return answer;
            return { body: answer.packument, etag: answer.etag, maxAge: answer.maxAge };
          },
        ),
      );
    },

    /** Whether the package document was served from the cache while fresh (it may predate a publish). */
    packageWasFresh(canonical: string): boolean {
      return servedFresh.has(canonical);
    },

    npmViewWasFresh(npmName: string): boolean {
      return servedFresh.has(npmKey(npmName));
    },
  };
}
