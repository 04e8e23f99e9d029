import { createToken, listTokens, revokeToken, type TokenInfo, type TokenScope } from '@entropic/core';
import { type AppError, appError, isAppError } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from './html.ts';
import { csrfField, renderPage, sendPage } from './layout.ts';
import { requireSessionUser, setFlash } from './session.ts';

const EXPIRY_CHOICES = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: 'one year' },
  { value: 'never', label: 'never' },
] as const;

type Form = Record<string, string | undefined>;

/** `2025-01-31 14:05 UTC` in a <time> element. */
export function formatTime(iso: string | null, none = 'never'): SafeHtml {
  if (!iso) return html`<span>${none}</span>`;
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** /www/tokens: create (the value is shown once, in the response to the form), list and revoke. */
export function registerTokenPages(www: FastifyInstance): void {
  const { deps } = www;

  const tokensPage = async (
    request: FastifyRequest,
    options: { created?: { token: string; info: TokenInfo }; error?: string; form?: Form } = {},
  ) => {
    const user = requireSessionUser(request);
    const tokens = await listTokens(deps, { userId: user.id });
    const form = options.form ?? {};
    const scope = form.scope === 'read' ? 'read' : 'publish';
    const expires = EXPIRY_CHOICES.some((c) => c.value === form.expires) ? form.expires : '90';
    const created = options.created
      ? html`<section class="card" aria-labelledby="new-token">
          <h2 id="new-token">Your new token</h2>
          <p>Copy it now: it will not be shown again.</p>
          <code class="token" data-testid="new-token">${options.created.token}</code>
          <p class="hint">For npm: <code>npm config set //${request.server.deps.config.host}/:_authToken &lt;token&gt;</code></p>
        </section>`
      : '';
    const rows = tokens.map(
      (t) => html`<li data-token-id="${t.id}">
        <div>
          <strong>${t.description}</strong> <span class="muted">· ${t.scope}</span>
          <div class="meta">created ${formatTime(t.created)} · last used ${formatTime(t.lastUsed)} · expires ${formatTime(t.expires)}</div>
        </div>
        <form method="post" action="/www/tokens">
          ${csrfField(request)}
          <input type="hidden" name="action" value="revoke">
          <input type="hidden" name="id" value="${t.id}">
          <button class="danger" type="submit" aria-label="Revoke ${t.description}">Revoke</button>
        </form>
      </li>`,
    );
    return renderPage(request, {
      title: `Tokens for ${user.name}`,
      ...(options.error ? { error: options.error } : {}),
      body: html`${created}
        <form method="post" action="/www/tokens" class="card">
          ${csrfField(request)}
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
          <button type="submit">Create token</button>
        </form>
        <h2>Active tokens</h2>
        ${rows.length ? html`<ul class="tokens card">${rows}</ul>` : html`<p class="muted">No tokens yet.</p>`}`,
    });
  };

  www.get('/tokens', async (request, reply) => sendPage(reply, await tokensPage(request)));

  www.post('/tokens', async (request, reply) => {
    const user = requireSessionUser(request);
    const form = (request.body ?? {}) as Form;
    if (form.action === 'create') {
      const scope: TokenScope = form.scope === 'read' ? 'read' : 'publish';
      if (form.scope !== undefined && form.scope !== 'read' && form.scope !== 'publish') {
        return sendPage(reply, await tokensPage(request, { error: 'The scope must be read or publish.', form }), 400);
      }
      const choice = EXPIRY_CHOICES.find((c) => c.value === (form.expires ?? 'never'));
      if (!choice) return sendPage(reply, await tokensPage(request, { error: 'Choose when the token expires.', form }), 400);
      const expiresAt = choice.value === 'never' ? null : new Date(Date.now() + Number(choice.value) * 86_400_000);
      try {
        const created = await createToken(deps, { userId: user.id, description: form.description ?? '', scope, expiresAt });
        return sendPage(reply, await tokensPage(request, { created }), 201);
      } catch (error) {
        if (!isAppError(error) || error.status >= 500) throw error;
        return sendPage(reply, await tokensPage(request, { error: (error as AppError).message, form }), error.status);
      }
    }
    if (form.action === 'revoke') {
      await revokeToken(deps, { userId: user.id, tokenId: form.id ?? '' });
      setFlash(request, 'The token was revoked. Clients using it are signed out.');
      return reply.redirect('/www/tokens', 303);
    }
    throw appError('BAD_REQUEST', 'Unknown action.');
  });
}
