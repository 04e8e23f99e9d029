import { type SearchHit, searchPackages } from '@entropic/core';
import type { FastifyInstance } from 'fastify';
import { packagePagePath } from '../www/views/search-page.ts';
import type { NpmContext } from './npm-context.ts';

type SearchQuerystring = { text?: unknown; size?: unknown; from?: unknown };

/** A query parameter as one string (a repeated one is joined), or undefined. */
function queryText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join(' ');
  return undefined;
}

/** `size`/`from` → a number (NaN for garbage, which the use case refuses with a catalogue error). */
function queryNumber(value: unknown, fallback: number): number {
  const text = queryText(value);
  if (text === undefined || text === '') return fallback;
  return /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
}

/** One result as npm's search API has it (what libnpmsearch and `npm search` read). */
function npmSearchObject(hit: SearchHit, base: string, host: string) {
  const scope = hit.npmName.startsWith('@') ? hit.npmName.slice(1, hit.npmName.indexOf('/')) : 'unscoped';
  const maintainers = hit.maintainers.map((username) => ({ username }));
  // final orders like the ranking: the name tier first, then relevance (a fraction below 1)
  const quality = hit.relevance / (1 + hit.relevance);
  const popularity = 1 - 1 / (1 + Math.log10(1 + hit.downloads));
  return {
    package: {
      name: hit.npmName,
      scope,
      version: hit.version,
      description: hit.description,
      keywords: hit.keywords,
      date: hit.publishedAt.toISOString(),
      links: { npm: `${base}${packagePagePath(hit, host)}` },
      publisher: maintainers[0] ?? { username: hit.namespace },
      maintainers,
    },
    score: { final: (hit.nameTier + quality) / 4, detail: { quality, popularity, maintenance: 1 } },
    searchScore: hit.nameTier * 100 + hit.relevance,
  };
}

/**
 * npm's search API, `GET /-/v1/search?text=&size=&from=` (what `npm search` calls): local packages
 * of every namespace here and the `legacy` packages this registry has mirrored, ranked by exact
 * name, prefix, text relevance and downloads. npm's quality/popularity/maintenance weights are
 * accepted and ignored.
 */
export function registerNpmSearchRoutes(app: FastifyInstance, ctx: NpmContext): void {
  const { deps } = ctx;
  app.get<{ Querystring: SearchQuerystring }>('/-/v1/search', async (request) => {
    const query = request.query;
    const result = await searchPackages(deps, {
      principal: request.principal,
      text: queryText(query.text),
      size: queryNumber(query.size, 20),
      from: queryNumber(query.from, 0),
    });
    return {
      objects: result.hits.map((hit) => npmSearchObject(hit, ctx.base, deps.host)),
      total: result.total,
      time: new Date().toUTCString(),
    };
  });
}
