import { type AuditPage, auditEntryJson } from '@entropic/core';
import { html, type SafeHtml } from '../html.ts';
import { formatTime } from './format-time.ts';

export const AUDIT_PAGE_SIZE = 50;

/** The body of an audit log page (own or a namespace's): newest first, a page at a time, with the JSON-lines export. */
export function auditPage(model: { page: AuditPage; base: string; exportUrl: string }): SafeHtml {
  const rows = model.page.entries.map((entry) => {
    const details = JSON.stringify(auditEntryJson(entry).details);
    return html`<tr data-action="${entry.action}">
        <td>${formatTime(entry.at.toISOString())}</td>
        <td>${entry.actor}</td>
        <td><code>${entry.action}</code></td>
        <td>${entry.package ?? entry.namespace ?? ''}</td>
        <td>${entry.address ?? ''}</td>
        <td><code>${details === '{}' ? '' : details}</code></td>
      </tr>`;
  });
  return html`<p><a href="${model.exportUrl}" download>Export as JSON lines</a> <span class="muted">(this page's entries; the API pages with <code>cursor</code>)</span></p>
    ${
      rows.length
        ? html`<div class="table-scroll"><table class="audit" data-testid="audit">
            <thead><tr><th>When</th><th>Who</th><th>What</th><th>On</th><th>From</th><th>Details</th></tr></thead>
            <tbody>${rows}</tbody>
          </table></div>`
        : html`<p class="muted">Nothing recorded yet.</p>`
    }
    ${model.page.next ? html`<p><a href="${model.base}?cursor=${model.page.next}">Older entries</a></p>` : ''}`;
}
