import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';
import { WebClient } from './support/web-client.ts';

/** The passkey ceremonies' JSON endpoints (the browser side is test/e2e/www-passkeys.test.ts). */
describe('passkey endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { EXTERNAL_HOST: 'http://localhost:4873', SIGN_IN_LIMIT_PER_ADDRESS: '3' } });
  });
  after(() => t.close());

  const postJson = (web: WebClient, url: string, body: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', cookie: web.cookieHeader() },
      payload: JSON.stringify({ _csrf: web.csrf, ...body }),
    });

  it('sign-in options: a challenge for the RP ID from EXTERNAL_HOST, user verification required, no CSRF token → 403', async () => {
    const web = new WebClient(t.app);
    await web.get('/www/login');
    const options = await postJson(web, '/www/login/passkey/options', {});
    assert.equal(options.statusCode, 200, options.body);
    const json = options.json() as { rpId: string; challenge: string; userVerification: string; allowCredentials: unknown[] };
    assert.equal(json.rpId, 'localhost');
    assert.match(json.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(json.userVerification, 'required');
    assert.deepEqual(json.allowCredentials, []);
    const forged = await t.app.inject({
      method: 'POST',
      url: '/www/login/passkey/options',
      headers: { 'content-type': 'application/json', cookie: web.cookieHeader() },
      payload: '{}',
    });
    assert.equal(forged.statusCode, 403);
  });

  it('a malformed answer is PASSKEY_INVALID, one to no challenge of ours PASSKEY_CHALLENGE_INVALID; nobody is signed in', async () => {
    const web = new WebClient(t.app);
    await web.get('/www/login');
    const garbage = await postJson(web, '/www/login/passkey', { response: { id: 'x' } });
    assert.equal(garbage.statusCode, 401);
    assert.equal((garbage.json() as { code: string }).code, 'PASSKEY_INVALID');
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: 'A'.repeat(43), origin: 'http://localhost:4873' }),
    ).toString('base64url');
    const response = {
      id: 'Y3JlZGVudGlhbC1pZA',
      rawId: 'Y3JlZGVudGlhbC1pZA',
      type: 'public-key',
      response: { clientDataJSON },
      clientExtensionResults: {},
    };
    const unknown = await postJson(web, '/www/login/passkey', { response });
    assert.equal(unknown.statusCode, 401);
    assert.equal((unknown.json() as { code: string }).code, 'PASSKEY_CHALLENGE_INVALID');
    assert.equal((await web.get('/www/tokens')).statusCode, 303, 'still signed out');
  });

  it('registration needs a signed-in session', async () => {
    const web = new WebClient(t.app);
    await web.get('/www/login');
    const options = await postJson(web, '/www/account/passkeys/options', {});
    assert.equal(options.statusCode, 401);
    assert.equal((options.json() as { code: string }).code, 'UNAUTHENTICATED');
  });

  it('each sign-in attempt counts against the address limit when its challenge is made: past it, 429 with Retry-After', async () => {
    const web = new WebClient(t.app, { 'x-test': 'limit' });
    await web.get('/www/login');
    // the earlier tests made one challenge; the limit is 3 an address
    let last = await postJson(web, '/www/login/passkey/options', {});
    for (let i = 0; i < 3 && last.statusCode === 200; i += 1) last = await postJson(web, '/www/login/passkey/options', {});
    assert.equal(last.statusCode, 429);
    assert.equal((last.json() as { code: string }).code, 'RATE_LIMITED');
    assert.ok(Number(last.headers['retry-after']) > 0);
  });
});
