import { html, type SafeHtml } from '../html.ts';

/** The hidden CSRF input that every POST form on the website must contain, for a session's token. */
export function csrfInput(csrfToken: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrfToken}">`;
}
