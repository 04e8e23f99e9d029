import { html, type SafeHtml } from '../html.ts';
import { csrfInput } from './csrf-input.ts';
import { passkeyButton } from './passkey-views.ts';

/** What /www/login shows: loaded by its handler, rendered by `loginPage`. */
export interface LoginPageModel {
  /** the sign-in providers, in the order configured */
  providers: ReadonlyArray<{ id: string; label: string }>;
  /** the password form, when local accounts are enabled: the session's CSRF token and the name last typed */
  passwordForm: { csrfToken: string; username: string } | undefined;
  /** passwordless sign-in with a passkey (the session's CSRF token for its requests) */
  passkey?: { csrfToken: string };
}

/** The body of /www/login: a button per provider and the password form. A pure function of the model. */
export function loginPage(model: LoginPageModel): SafeHtml {
  const { providers } = model;
  const providerLinks = providers.map((p) => html`<a class="button" href="/www/login/providers/${p.id}">Continue with ${p.label}</a>`);
  const passwordForm = model.passwordForm
    ? html`<form method="post" action="/www/login" class="card">
          ${csrfInput(model.passwordForm.csrfToken)}
          <label for="username">Username</label>
          <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${model.passwordForm.username}">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required>
          <button type="submit">Sign in</button>
          <p class="hint">New here? <a href="/www/signup">Create an account</a>.</p>
        </form>`
    : '';
  const nothing = providers.length === 0 && !model.passwordForm;
  const passkey = model.passkey
    ? html`<section class="card" aria-labelledby="passkey-sign-in">
          <h2 id="passkey-sign-in">Passkey</h2>
          ${passkeyButton({ kind: 'sign-in', csrfToken: model.passkey.csrfToken, label: 'Sign in with a passkey' })}
        </section>`
    : '';
  return html`${passkey}
        ${providerLinks.length ? html`<div class="providers">${providerLinks}</div>` : ''}
        ${providerLinks.length && passwordForm ? html`<p class="or">or with a password</p>` : ''}
        ${passwordForm}
        ${nothing ? html`<p class="error">No sign-in method is enabled. The operator can set LOCAL_ACCOUNTS, OAUTH_GITHUB_CLIENT or OIDC_ISSUER.</p>` : ''}`;
}
