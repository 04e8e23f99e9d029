import { appError, type Host, type Integrity, npmNameOf } from '@entropic/types';
import { listReadablePackages } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { findPackage } from './packages.ts';
import type { PackageRef } from './ports/records.ts';
import type { SearchHit, SearchSourceRow } from './ports/search.ts';
import type { Principal } from './principal.ts';

/** Longest search text accepted (after trimming): longer ones answer SEARCH_QUERY_TOO_LONG. */
export const MAX_SEARCH_TEXT = 200;
/** npm's own limit for `size`. */
export const MAX_SEARCH_SIZE = 250;
/** Deepest offset served: deeper pages are not useful and cost a sort of everything that matched. */
export const MAX_SEARCH_FROM = 10_000;

const README_TEXT_CHARS = 64 * 1024;
const PACKAGE_JSON_BYTES = 1024 * 1024;
const DESCRIPTION_CHARS = 1000;
const KEYWORDS = 50;
const KEYWORD_CHARS = 100;

/**
 * What a person typed → the text the index is queried with: NFKC, lower case, control characters
 * (NUL would be a database error) dropped, whitespace collapsed. Empty and over-long texts are
 * refused with a catalogue error, never passed on.
 */
export function normalizeSearchText(raw: string | undefined): string {
  const text = (raw ?? '')
    .normalize('NFKC')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  if (text === '') throw appError('SEARCH_QUERY_EMPTY', 'Type a word to search for (a package name, keyword or text).');
  if (text.length > MAX_SEARCH_TEXT) {
    throw appError('SEARCH_QUERY_TOO_LONG', `A search text has at most ${MAX_SEARCH_TEXT} characters; this one has ${text.length}.`);
  }
  return text;
}

export interface SearchInput {
  principal: Principal | undefined;
  text: string | undefined;
  size: number;
  from: number;
}

/** Ranked search over local and mirrored packages (exact name, prefix, relevance, downloads). */
export async function searchPackages(deps: CoreDeps, input: SearchInput): Promise<{ total: number; hits: SearchHit[] }> {
  const text = normalizeSearchText(input.text);
  if (!Number.isInteger(input.size) || input.size < 1 || input.size > MAX_SEARCH_SIZE) {
    throw appError('INVALID_LIMIT', `The page size is a whole number from 1 to ${MAX_SEARCH_SIZE}.`);
  }
  if (!Number.isInteger(input.from) || input.from < 0 || input.from > MAX_SEARCH_FROM) {
    throw appError('INVALID_CURSOR', `The offset is a whole number from 0 to ${MAX_SEARCH_FROM}.`);
  }
  const result = await deps.repos.search.search({ text, limit: input.size, offset: input.from });
  // private packages (issue 9) only for those who may read them
  const readable = await listReadablePackages(
    deps.repos,
    input.principal,
    result.hits.map((hit) => ({ id: hit.packageId, private: hit.private })),
    deps.grants,
  );
  const hits = result.hits.filter((hit) => readable.has(hit.packageId));
  return { total: result.total - (result.hits.length - hits.length), hits };
}

/**
 * The search indexer's work for one package (idempotent, safe to repeat): its latest version's
 * description, keywords and README text become its search document; a package without one that
 * is readable (no versions, latest yanked, package yanked or abandoned) leaves the index.
 */
export async function indexPackageForSearch(deps: CoreDeps, payload: { packageId: number }): Promise<'indexed' | 'removed'> {
  const source = await deps.repos.search.findSource(payload.packageId);
  if (!source || source.yanked || !source.latest) {
    await deps.repos.search.remove(payload.packageId);
    return 'removed';
  }
  const latest = source.latest;
  const manifest = latest.manifest ?? (await readPackageJson(deps, latest.files['./package/package.json']));
  const host = (source.host ?? deps.host) as Host;
  await deps.repos.search.save({
    packageId: source.packageId,
    npmName: npmNameOf({ namespace: source.namespace, host, name: source.name }, deps.host),
    namespace: source.namespace,
    host: source.host,
    name: source.name,
    version: latest.version,
    description: typeof manifest.description === 'string' ? manifest.description.slice(0, DESCRIPTION_CHARS) : '',
    keywords: keywordsOf(manifest.keywords),
    maintainers: source.maintainers,
    readme: await readReadmeText(deps, latest),
    publishedAt: latest.createdAt,
    sourceModifiedAt: source.modifiedAt,
  });
  return 'indexed';
}

/** The same by name (what domain events carry); a package that does not exist is nothing to do. */
export async function indexPackageRefForSearch(deps: CoreDeps, ref: PackageRef): Promise<'indexed' | 'removed' | 'missing'> {
  const row = await findPackage(deps.repos, ref, deps.host);
  return row ? indexPackageForSearch(deps, { packageId: row.id }) : 'missing';
}

/**
 * Backfill: indexes every package whose document is missing or older than the package; answers
 * how many. `signal` stops it between packages (a shutdown does not wait for a large backfill).
 */
export async function indexStalePackagesForSearch(
  deps: CoreDeps,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<number> {
  let afterId = 0;
  let count = 0;
  for (;;) {
    const ids = await deps.repos.search.listStale(afterId, options.batchSize ?? 200);
    for (const packageId of ids) {
      if (options.signal?.aborted) return count;
      await indexPackageForSearch(deps, { packageId });
      count++;
    }
    const last = ids.at(-1);
    if (last === undefined) return count;
    afterId = last;
  }
}

function keywordsOf(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
  return list
    .filter((k): k is string => typeof k === 'string' && k.trim() !== '')
    .slice(0, KEYWORDS)
    .map((k) => k.trim().slice(0, KEYWORD_CHARS));
}

async function readPackageJson(deps: CoreDeps, integrity: string | undefined): Promise<Record<string, unknown>> {
  if (!integrity) return {};
  const bytes = await deps.blobs.getBytes(integrity as Integrity);
  if (!bytes || bytes.length > PACKAGE_JSON_BYTES) return {};
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** The rendered (sanitised) README as plain text, bounded. */
async function readReadmeText(deps: CoreDeps, latest: NonNullable<SearchSourceRow['latest']>): Promise<string> {
  const integrity = latest.derivedFiles['./readme.html'];
  if (!integrity) return '';
  const bytes = await deps.blobs.getBytes(integrity as Integrity);
  if (!bytes) return '';
  return bytes
    .toString('utf8')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_m, name: string) => ENTITIES[name] ?? ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, README_TEXT_CHARS);
}
