import { html, type SafeHtml } from '../html.ts';
import { nextPageLink } from './package-list.ts';

/** What /www/namespaces shows: one page of this registry's namespaces (`name@host`), by name. */
export interface NamespacesPageModel {
  namespaces: string[];
  next: string | null;
}

/** The body of /www/namespaces: each namespace a link to its page, then the next page. */
export function namespacesPage(model: NamespacesPageModel): SafeHtml {
  return html`${
    model.namespaces.length
      ? html`<ul class="tokens card" data-testid="namespaces">
          ${model.namespaces.map((ns) => html`<li data-namespace="${ns}"><a href="/www/namespaces/${encodeURIComponent(ns)}">${ns}</a></li>`)}
        </ul>`
      : html`<p class="muted">No namespaces.</p>`
  }
    ${nextPageLink('/www/namespaces', 'cursor', model.next, 'More namespaces')}`;
}
