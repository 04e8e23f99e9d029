import { html, type SafeHtml } from '../html.ts';
import { packagePath } from './package-links.ts';

/** One row of a package listing: the canonical `ns@host/<url-encoded name>` and what to say about it. */
export interface PackageListItem {
  package: string;
  detail?: SafeHtml | string;
}

/** `ns@host/<url-encoded name>` → `ns@host/name`, as people read it. */
export function readablePackageName(fullName: string): string {
  const slash = fullName.indexOf('/');
  try {
    return `${fullName.slice(0, slash)}/${decodeURIComponent(fullName.slice(slash + 1))}`;
  } catch {
    return fullName;
  }
}

/** A list of packages, each a link to its page; `empty` when there are none. */
export function packageList(items: readonly PackageListItem[], empty: string, testId: string): SafeHtml {
  if (items.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<ul class="tokens card" data-testid="${testId}">
    ${items.map(
      (item) => html`<li data-package="${item.package}">
        <div><a href="${packagePath(item.package)}"><strong>${readablePackageName(item.package)}</strong></a>
        ${item.detail ? html` <span class="muted">· ${item.detail}</span>` : ''}</div>
      </li>`,
    )}
  </ul>`;
}

/** "Next page" (a cursor link), when there is one. */
export function nextPageLink(path: string, parameter: string, cursor: string | null | undefined, label: string): SafeHtml | string {
  if (!cursor) return '';
  const separator = path.includes('?') ? '&' : '?';
  return html`<nav aria-label="${label}"><a rel="next" href="${path}${separator}${parameter}=${encodeURIComponent(cursor)}">Next page</a></nav>`;
}
