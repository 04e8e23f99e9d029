import { html, type SafeHtml } from '../html.ts';

/** The body of a page that only points onwards (a finished login, a cancelled sign-in): one link. */
export function linkPage(model: { href: string; text: string }): SafeHtml {
  return html`<p><a href="${model.href}">${model.text}</a></p>`;
}
