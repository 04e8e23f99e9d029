import type { SearchHit } from '@entropic/core';
import { html, type SafeHtml } from '../html.ts';
import { formatTime } from './format-time.ts';

/** What the search page shows: loaded by its handler, rendered by `searchPage`. */
export interface SearchPageModel {
  /** the text as typed ('' before a search) */
  query: string;
  /** 1-based */
  page: number;
  pageSize: number;
  total: number;
  hits: SearchHit[];
  /** this registry's host (a hit without one is local) */
  host: string;
}

/** The package page of a hit: `/www/packages/<ns@host>/<name>` (the name URL-encoded). */
export function packagePagePath(hit: Pick<SearchHit, 'namespace' | 'host' | 'name'>, localHost: string): string {
  return `/www/packages/${hit.namespace}@${hit.host ?? localHost}/${encodeURIComponent(hit.name)}`;
}

function searchPath(query: string, page: number): string {
  return `/www/search?${new URLSearchParams({ q: query, ...(page > 1 ? { page: String(page) } : {}) })}`;
}

function hitItem(hit: SearchHit, host: string): SafeHtml {
  const keywords = hit.keywords.slice(0, 10);
  return html`<li class="card search-hit">
<h2><a href="${packagePagePath(hit, host)}">${hit.npmName}</a> <span class="muted">${hit.version}</span></h2>
${hit.description ? html`<p>${hit.description}</p>` : ''}
${keywords.length > 0 ? html`<p class="keywords">${keywords.map((k) => html`<span class="badge">${k}</span> `)}</p>` : ''}
<p class="muted">${hit.namespace}@${hit.host ?? host} · published ${formatTime(hit.publishedAt.toISOString())}${
    hit.downloads > 0 ? ` · ${hit.downloads.toLocaleString('en')} downloads` : ''
  }</p>
</li>`;
}

/** Results with previous/next links; before a search, a hint. Everything from the index is escaped. */
export function searchPage(model: SearchPageModel): SafeHtml {
  if (model.query === '') {
    return html`<p>Search package names, descriptions, keywords and READMEs of local packages and of the mirrored npm packages this registry has seen. Type in the box above.</p>`;
  }
  const first = (model.page - 1) * model.pageSize + 1;
  const last = first + model.hits.length - 1;
  const pages = Math.ceil(model.total / model.pageSize);
  const summary =
    model.hits.length === 0
      ? html`<p role="status">No packages match “${model.query}”${model.page > 1 ? ' on this page' : ''}.</p>`
      : html`<p role="status">${model.total.toLocaleString('en')} ${model.total === 1 ? 'package matches' : 'packages match'} “${model.query}”; showing ${first}–${last}.</p>`;
  const pager =
    pages > 1
      ? html`<nav aria-label="Search result pages" class="pager">
${model.page > 1 ? html`<a rel="prev" href="${searchPath(model.query, model.page - 1)}">← Previous</a>` : ''}
<span>Page ${model.page} of ${pages}</span>
${model.page < pages ? html`<a rel="next" href="${searchPath(model.query, model.page + 1)}">Next →</a>` : ''}
</nav>`
      : '';
  return html`${summary}
<ol class="search-results" start="${first}">${model.hits.map((hit) => hitItem(hit, model.host))}</ol>
${pager}`;
}
