import { html, type SafeHtml } from '../html.ts';
import { csrfInput } from './csrf-input.ts';

/** What /www/cli-login asks: loaded by its handler, rendered by `cliLoginPage`. */
export interface CliLoginPageModel {
  csrfToken: string;
  /** the signed-in user the client will act as */
  username: string;
  /** the host name the client sent, or '' */
  hostname: string;
}

/** The page title for a confirmation: names the client's host when it sent one. */
export function cliLoginTitle(hostname: string): string {
  return hostname ? `Log in ${hostname}?` : 'Log in the command line?';
}

/** The body of /www/cli-login: confirm or cancel the waiting command-line login. A pure function of the model. */
export function cliLoginPage(model: CliLoginPageModel): SafeHtml {
  const client = model.hostname
    ? `the command-line client on “${model.hostname}”`
    : 'the command-line client (npm or ds) that sent you here';
  return html`<div class="card">
        <p>Sign in ${client} as <strong>${model.username}</strong>? It will receive a new publish token.</p>
        <p class="muted">Only continue if you started this login yourself, just now.</p>
        <form method="post" action="/www/cli-login" class="actions">
          ${csrfInput(model.csrfToken)}
          <button type="submit" name="action" value="confirm">Log in</button>
          <button class="secondary" type="submit" name="action" value="cancel">Cancel</button>
        </form>
      </div>`;
}
