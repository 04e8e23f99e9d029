import { html, type SafeHtml } from '../html.ts';

/** `2025-01-31 14:05 UTC` in a <time> element. */
export function formatTime(iso: string | null, none = 'never'): SafeHtml {
  if (!iso) return html`<span>${none}</span>`;
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}
