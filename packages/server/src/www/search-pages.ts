import { MAX_SEARCH_FROM, searchPackages } from '@entropic/core';
import { appError } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import { renderPage, sendPage } from './layout.ts';
import { searchPage } from './views/search-page.ts';
import { configureWebsiteScope } from './website-scope.ts';

const PAGE_SIZE = 20;
const MAX_PAGE = Math.floor(MAX_SEARCH_FROM / PAGE_SIZE) + 1;

/** `?page=` → 1…MAX_PAGE; anything else is a 400 page. */
function parsePage(value: unknown): number {
  if (value === undefined || value === '') return 1;
  const page = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(page >= 1 && page <= MAX_PAGE)) throw appError('INVALID_CURSOR', `The page is a whole number from 1 to ${MAX_PAGE}.`);
  return page;
}

/**
 * /www/search?q=&page= — the same use case as npm's search API. An empty query shows the search
 * form's hint (not an error); a too-long one answers 400 with the catalogue message.
 */
export function registerSearchPages(app: FastifyInstance): void {
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      const { deps } = www;
      www.get<{ Querystring: { q?: unknown; page?: unknown } }>('/search', async (request, reply) => {
        const raw = typeof request.query.q === 'string' ? request.query.q : '';
        const page = parsePage(request.query.page);
        const shown = raw.slice(0, 200);
        if (raw.trim() === '') {
          return sendPage(
            reply,
            renderPage(request, {
              title: 'Search',
              wide: true,
              body: searchPage({ query: '', page, pageSize: PAGE_SIZE, total: 0, hits: [], host: deps.host }),
            }),
          );
        }
        const result = await searchPackages(deps, {
          principal: request.principal,
          text: raw,
          size: PAGE_SIZE,
          from: (page - 1) * PAGE_SIZE,
        });
        return sendPage(
          reply,
          renderPage(request, {
            title: `Search: ${shown}`,
            query: shown,
            wide: true,
            body: searchPage({ query: shown, page, pageSize: PAGE_SIZE, total: result.total, hits: result.hits, host: deps.host }),
          }),
        );
      });
    },
    { prefix: '/www' },
  );
}
