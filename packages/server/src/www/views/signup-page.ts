import { html, type SafeHtml } from '../html.ts';
import { csrfInput } from './csrf-input.ts';

/** What /www/signup shows: loaded by its handler, rendered by `signupPage`. */
export interface SignupPageModel {
  csrfToken: string;
  /** the username and email fields, as last sent or suggested */
  username: string;
  email: string;
  /** true when a provider identity waits for a username: no password fields then */
  withProvider: boolean;
}

/** The body of /www/signup: username, email and (for a local account) the password twice. A pure function of the model. */
export function signupPage(model: SignupPageModel): SafeHtml {
  const { username, email } = model;
  const passwordFields = model.withProvider
    ? ''
    : html`<label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
          <p class="hint">At least 8 characters.</p>
          <label for="password2">Password, again</label>
          <input id="password2" name="password2" type="password" autocomplete="new-password" minlength="8" required>`;
  return html`<form method="post" action="/www/signup" class="card">
        ${csrfInput(model.csrfToken)}
        <label for="username">Username</label>
        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false"
          required minlength="2" maxlength="64" pattern="[a-z0-9]+(-[a-z0-9]+)*" value="${username}">
        <p class="hint">Lowercase letters, digits and single hyphens. Your packages will be named <code>${username || 'name'}/…</code>.</p>
        <label for="email">Email <span class="muted">(optional)</span></label>
        <input id="email" name="email" type="email" autocomplete="email" value="${email}">
        ${passwordFields}
        <button type="submit">Create account</button>
      </form>
      ${model.withProvider ? '' : html`<p class="muted">Already have an account? <a href="/www/login">Sign in</a>.</p>`}`;
}
