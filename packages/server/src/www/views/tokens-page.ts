import type { TokenInfo } from '@entropic/core';
import { html, type SafeHtml } from '../html.ts';
import { csrfInput } from './csrf-input.ts';
import { formatTime } from './format-time.ts';

export const EXPIRY_CHOICES = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: 'one year' },
  { value: 'never', label: 'never' },
] as const;

/** What /www/tokens shows: loaded by its handler, rendered by `tokensPage`. */
export interface TokensPageModel {
  /** this registry's host, for the npm configuration hint */
  host: string;
  csrfToken: string;
  /** the user's live tokens, newest first */
  tokens: TokenInfo[];
  /** the token just created: its value is shown this once */
  created: string | undefined;
  /** the create form's fields, as last sent */
  form: {
    description?: string | undefined;
    scope?: string | undefined;
    expires?: string | undefined;
    namespaces?: string | undefined;
    packages?: string | undefined;
    cidrs?: string | undefined;
    automation?: string | undefined;
  };
}

/** What a granular token is limited to, in a few words (nothing for an unlimited token). */
function limitsText(t: TokenInfo): string {
  const parts: string[] = [];
  const only = [...t.namespaces.map((ns) => `${ns}/*`), ...t.packages];
  if (only.length > 0) parts.push(`only ${only.join(', ')}`);
  if (t.cidrs.length > 0) parts.push(`from ${t.cidrs.join(', ')}`);
  if (t.automation) parts.push('automation');
  return parts.map((p) => ` · ${p}`).join('');
}

/** The body of /www/tokens: the new token (once), the create form and the tokens with revoke buttons. A pure function of the model. */
export function tokensPage(model: TokensPageModel): SafeHtml {
  const { form } = model;
  const scope = form.scope === 'read' ? 'read' : 'publish';
  const expires = EXPIRY_CHOICES.some((c) => c.value === form.expires) ? form.expires : '90';
  const csrf = csrfInput(model.csrfToken);
  const created = model.created
    ? html`<section class="card" aria-labelledby="new-token">
          <h2 id="new-token">Your new token</h2>
          <p>Copy it now: it will not be shown again.</p>
          <code class="token" data-testid="new-token">${model.created}</code>
          <p class="hint">For npm: <code>npm config set //${model.host}/:_authToken &lt;token&gt;</code></p>
        </section>`
    : '';
  const rows = model.tokens.map(
    (t) => html`<li data-token-id="${t.id}">
        <div>
          <strong>${t.description}</strong> <span class="muted">· ${t.scope}${limitsText(t)}</span> <code class="muted">${t.prefix}…</code>
          <div class="meta">created ${formatTime(t.created)} · last used ${formatTime(t.lastUsed)} · expires ${formatTime(t.expires)}</div>
        </div>
        <form method="post" action="/www/tokens">
          ${csrf}
          <input type="hidden" name="action" value="revoke">
          <input type="hidden" name="id" value="${t.id}">
          <button class="danger" type="submit" aria-label="Revoke ${t.description}">Revoke</button>
        </form>
      </li>`,
  );
  return html`${created}
        <form method="post" action="/www/tokens" class="card">
          ${csrf}
          <input type="hidden" name="action" value="create">
          <label for="description">Description</label>
          <input id="description" name="description" type="text" maxlength="200" required placeholder="laptop, CI, …" value="${form.description ?? ''}">
          <div class="row">
            <div>
              <label for="scope">Scope</label>
              <select id="scope" name="scope">
                <option value="publish" ${scope === 'publish' ? 'selected' : ''}>publish (read and write)</option>
                <option value="read" ${scope === 'read' ? 'selected' : ''}>read only</option>
              </select>
            </div>
            <div>
              <label for="expires">Expires after</label>
              <select id="expires" name="expires">
                ${EXPIRY_CHOICES.map((c) => html`<option value="${c.value}" ${c.value === expires ? 'selected' : ''}>${c.label}</option>`)}
              </select>
            </div>
          </div>
          <details${form.namespaces || form.packages || form.cidrs || form.automation ? ' open' : ''}>
            <summary>Limits (optional)</summary>
            <label for="namespaces">Only these namespaces (comma-separated)</label>
            <input id="namespaces" name="namespaces" type="text" placeholder="acme, tools" value="${form.namespaces ?? ''}">
            <label for="packages">Only these packages (namespace/name, comma-separated)</label>
            <input id="packages" name="packages" type="text" placeholder="acme/web, tools/cli" value="${form.packages ?? ''}">
            <label for="cidrs">Only from these addresses (CIDR blocks, comma-separated)</label>
            <input id="cidrs" name="cidrs" type="text" placeholder="10.0.0.0/8, 2001:db8::/32" value="${form.cidrs ?? ''}">
            <label><input id="automation" name="automation" type="checkbox" value="on" ${form.automation === 'on' ? 'checked' : ''}> Automation token (CI: skips the interactive second factor, nothing else)</label>
          </details>
          <button type="submit">Create token</button>
        </form>
        <h2>Active tokens</h2>
        ${rows.length ? html`<ul class="tokens card">${rows}</ul>` : html`<p class="muted">No tokens yet.</p>`}`;
}
