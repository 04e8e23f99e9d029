import type { SecondFactorStatus } from '@entropic/core';
import { html, SafeHtml } from '../html.ts';
import { csrfInput } from './csrf-input.ts';
import { passkeyButton } from './passkey-views.ts';

/** What /www/account/security shows: loaded by its handler, rendered by `securityPage`. */
export interface SecurityPageModel {
  csrfToken: string;
  status: SecondFactorStatus;
  /** an enrolment waiting for its code: the secret, its otpauth URI and the URI as an SVG QR code (markup we made) */
  enrolment: { secret: string; uri: string; qrSvg: string } | undefined;
  /** recovery codes just made: shown this once */
  recoveryCodes: string[] | undefined;
}

const codeInput = (label = 'Code from your authenticator app') =>
  html`<label for="code">${label}</label>
          <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9a-zA-Z \\-]{6,12}" maxlength="12" required>`;

/** The body of /www/account/security: TOTP set-up, confirmation, recovery codes, turning it off. A pure function of the model. */
export function securityPage(model: SecurityPageModel): SafeHtml {
  const csrf = csrfInput(model.csrfToken);
  const { status } = model;
  const recovery = model.recoveryCodes
    ? html`<section class="card" aria-labelledby="recovery">
          <h2 id="recovery">Your recovery codes</h2>
          <p>Keep them somewhere safe: each signs you in once if you lose your device. They will not be shown again.</p>
          <ul class="recovery-codes" data-testid="recovery-codes">${model.recoveryCodes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
        </section>`
    : '';
  if (status.enabled) {
    return html`${recovery}
        <section class="card" aria-labelledby="tfa">
          <h2 id="tfa">Two-factor authentication is on</h2>
          <p data-testid="tfa-status">Sign-in asks for a code from your authenticator app${status.forWrites ? html`; so do publishing, yanking, tags and member changes (<code>npm publish --otp=&lt;code&gt;</code>, <code>ds publish --otp &lt;code&gt;</code>)` : ''}.</p>
          <p class="muted">${status.recoveryCodesLeft} recovery codes left. <a href="/www/account/audit">Your audit log</a></p>
        </section>
        <form method="post" action="/www/account/security" class="card">
          ${csrf}
          <input type="hidden" name="action" value="for-writes">
          <h2>Writes</h2>
          <label><input type="checkbox" name="forWrites" value="on" ${status.forWrites ? 'checked' : ''}> Require a code for publishing and other writes</label>
          ${codeInput()}
          <button type="submit">Save</button>
        </form>
        <form method="post" action="/www/account/security" class="card">
          ${csrf}
          <input type="hidden" name="action" value="disable">
          <h2>Turn it off</h2>
          ${codeInput('A current code, or a recovery code')}
          <button class="danger" type="submit">Turn off two-factor authentication</button>
        </form>`;
  }
  if (model.enrolment) {
    return html`<section class="card" aria-labelledby="enrol">
          <h2 id="enrol">Set up your authenticator app</h2>
          <p>Scan this code with an authenticator app (or enter the key by hand), then type the code it shows.</p>
          <div class="qr">${new SafeHtml(model.enrolment.qrSvg)}</div>
          <p>Key: <code data-testid="totp-secret">${model.enrolment.secret}</code></p>
          <p class="hint"><a href="${model.enrolment.uri}" data-testid="totp-uri">${model.enrolment.uri}</a></p>
        </section>
        <form method="post" action="/www/account/security" class="card">
          ${csrf}
          <input type="hidden" name="action" value="confirm">
          ${codeInput()}
          <label><input type="checkbox" name="forWrites" value="on" checked> Also require a code for publishing and other writes</label>
          <button type="submit">Turn on</button>
        </form>`;
  }
  return html`<section class="card" aria-labelledby="tfa">
          <h2 id="tfa">Two-factor authentication is off</h2>
          <p data-testid="tfa-status">Protect your account with a code from an authenticator app at sign-in and, if you like, for every publish.</p>
          <p><a href="/www/account/audit">Your audit log</a></p>
          <form method="post" action="/www/account/security">
            ${csrf}
            <input type="hidden" name="action" value="start">
            <button type="submit">Set up an authenticator app</button>
          </form>
        </section>`;
}

/** The body of /www/login/second-factor: a passkey, or the code (or a recovery code), after the password. */
export function secondFactorPage(model: { csrfToken: string; factors: { totp: boolean; passkeys: number } }): SafeHtml {
  const passkey = model.factors.passkeys
    ? html`<section class="card" aria-labelledby="use-passkey">
          <h2 id="use-passkey">Use your passkey</h2>
          ${passkeyButton({ kind: 'sign-in', csrfToken: model.csrfToken, label: 'Continue with a passkey' })}
        </section>`
    : '';
  const code = model.factors.totp
    ? html`<form method="post" action="/www/login/second-factor" class="card">
          ${csrfInput(model.csrfToken)}
          ${codeInput('Code from your authenticator app, or a recovery code')}
          <button type="submit">Continue</button>
        </form>`
    : '';
  return html`${passkey}${code}`;
}
