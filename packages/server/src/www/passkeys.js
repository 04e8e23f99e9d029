// Passkey buttons ([data-passkey]) on /www/login, /www/login/second-factor and
// /www/account/security: asks the server for the ceremony's options, lets the browser's
// authenticator answer (@simplewebauthn/browser, loaded before this script) and sends the answer
// back. The server binds each challenge to this session and takes it once.
async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // an HTML error page: the status says enough
  }
  if (!response.ok) throw new Error(answer.message || `The registry answered ${response.status}.`);
  return answer;
}

function describe(error) {
  if (error && error.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
  if (error && error.name === 'InvalidStateError') return 'This device already holds a passkey for your account.';
  return error?.message || 'The passkey did not work.';
}

document.addEventListener('DOMContentLoaded', () => {
  const lib = window.SimpleWebAuthnBrowser;
  for (const box of document.querySelectorAll('[data-passkey]')) {
    const button = box.querySelector('button[data-passkey-start]');
    const status = box.querySelector('[data-passkey-status]');
    if (!lib?.browserSupportsWebAuthn()) {
      status.textContent = 'This browser cannot use passkeys here (they need https, or http://localhost).';
      continue;
    }
    const register = box.dataset.passkey === 'register';
    const base = register ? '/www/account/passkeys' : '/www/login/passkey';
    button.hidden = false;
    button.addEventListener('click', async () => {
      button.disabled = true;
      status.textContent = register ? 'Follow your browser to create the passkey…' : 'Follow your browser to use your passkey…';
      try {
        const csrf = box.dataset.csrf;
        const optionsJSON = await postJson(`${base}/options`, { _csrf: csrf });
        const response = register ? await lib.startRegistration({ optionsJSON }) : await lib.startAuthentication({ optionsJSON });
        const name = box.querySelector('input[name="name"]');
        const done = await postJson(base, { _csrf: csrf, response, ...(name ? { name: name.value } : {}) });
        status.textContent = 'Done.';
        window.location.assign(done.redirect);
      } catch (error) {
        status.textContent = describe(error);
        button.disabled = false;
      }
    });
  }
});
