import type { PasskeySummary } from '@entropic/core';
import { html, type SafeHtml } from '../html.ts';
import { csrfInput } from './csrf-input.ts';
import { formatTime } from './format-time.ts';

/** The two scripts a passkey button needs: @simplewebauthn/browser and ours (script-src 'self'). */
const passkeyScripts = html`<script src="/www/static/webauthn.js" defer></script>
        <script src="/www/static/passkeys.js" defer></script>`;

/**
 * A passkey button (passkeys.js wires it; hidden until the script finds WebAuthn): `sign-in`
 * (passwordless, or the second step after a password) or `register` (with a name field).
 */
export function passkeyButton(model: { kind: 'sign-in' | 'register'; csrfToken: string; label: string }): SafeHtml {
  const name =
    model.kind === 'register'
      ? html`<label for="passkey-name">Name of the new passkey</label>
          <input id="passkey-name" name="name" type="text" maxlength="64" placeholder="e.g. laptop" autocomplete="off">`
      : '';
  return html`<div class="passkey" data-passkey="${model.kind}" data-csrf="${model.csrfToken}">
          ${name}
          <button type="button" data-passkey-start hidden>${model.label}</button>
          <p class="hint" role="status" data-passkey-status><noscript>Passkeys need JavaScript.</noscript></p>
        </div>
        ${passkeyScripts}`;
}

/** The Passkeys section of /www/account/security: the list, a remove button each, and adding one. */
export function passkeysSection(model: { csrfToken: string; passkeys: readonly PasskeySummary[] }): SafeHtml {
  const csrf = csrfInput(model.csrfToken);
  const rows = model.passkeys.map(
    (p) => html`<li data-testid="passkey">
            <strong>${p.name}</strong> <span class="muted">added ${formatTime(p.createdAt.toISOString())}, last used ${formatTime(p.lastUsedAt?.toISOString() ?? null)}</span>
            <form method="post" action="/www/account/security" class="inline">
              ${csrf}
              <input type="hidden" name="action" value="remove-passkey">
              <input type="hidden" name="passkey" value="${p.id}">
              <button class="danger" type="submit" aria-label="Remove passkey ${p.name}">Remove</button>
            </form>
          </li>`,
  );
  return html`<section class="card" aria-labelledby="passkeys">
          <h2 id="passkeys">Passkeys</h2>
          <p>A passkey (your device's screen lock, a security key, a password manager) signs you in to this website without a password, or as the second step after it. When a write from npm needs a second factor, npm sends you to this website to approve it with your passkey.</p>
          ${rows.length ? html`<ul class="passkeys">${rows}</ul>` : html`<p class="muted" data-testid="no-passkeys">No passkeys yet.</p>`}
          ${passkeyButton({ kind: 'register', csrfToken: model.csrfToken, label: 'Add a passkey' })}
        </section>`;
}
