import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, type TestApp } from '@entropic/testkit';
import { signUpLocal, WebClient } from './support/web-client.ts';

const tokenIn = (body: string) => /data-testid="new-token">(ent_v1_[0-9a-f-]{36})</.exec(body)?.[1];

describe('tokens page and CLI web login', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('creates a token shown once, lists it with its times and scope, and revokes it everywhere', async () => {
    const client = await signUpLocal(t.app, 'carol');
    const created = await client.post('/www/tokens', { action: 'create', description: 'laptop', scope: 'read', expires: '30' });
    assert.equal(created.statusCode, 201);
    const token = tokenIn(created.body);
    assert.ok(token, 'the new token is on the page');
    const who = await t.app.inject({ url: '/-/whoami', headers: bearer(token) });
    assert.deepEqual(who.json(), { username: 'carol' });

    const page = await client.get('/www/tokens');
    assert.equal(tokenIn(page.body), undefined, 'shown once only');
    assert.ok(!page.body.includes(token));
    assert.match(page.body, /<strong>laptop<\/strong> <span class="muted">· read<\/span>/);
    assert.match(page.body, /created <time datetime="[^"]+">/);
    assert.match(page.body, /expires <time/);
    const id = /data-token-id="([0-9a-f-]{36})"/.exec(page.body)?.[1] as string;

    const bad = await client.post('/www/tokens', { action: 'create', description: '', scope: 'publish', expires: 'never' });
    assert.equal(bad.statusCode, 400);
    const badScope = await client.post('/www/tokens', { action: 'create', description: 'x', scope: 'admin', expires: 'never' });
    assert.equal(badScope.statusCode, 400);

    // someone else cannot revoke it
    const mallory = await signUpLocal(t.app, 'mallory');
    assert.equal((await mallory.post('/www/tokens', { action: 'revoke', id })).statusCode, 404);

    const revoked = await client.post('/www/tokens', { action: 'revoke', id });
    assert.equal(revoked.statusCode, 303);
    assert.match((await client.follow(revoked)).body, /The token was revoked/);
    assert.equal((await t.app.inject({ url: '/-/whoami', headers: bearer(token) })).statusCode, 401);
  });

  it('completes a CLI login after the user confirms it; the poll answers the token once', async () => {
    const start = await t.app.inject({ method: 'POST', url: '/-/v1/login', payload: { hostname: 'build-box' } });
    const { loginUrl, doneUrl } = start.json() as { loginUrl: string; doneUrl: string };
    const poll = () => t.app.inject({ url: new URL(doneUrl).pathname });
    assert.equal((await poll()).statusCode, 202);

    const browser = new WebClient(t.app);
    const login = await browser.get(new URL(loginUrl).pathname + new URL(loginUrl).search);
    assert.match(login.body, /finish logging in on the command line/);
    await browser.get('/www/signup');
    const signedUp = await browser.post('/www/signup', {
      username: 'dave',
      email: '',
      password: 'pass phrase 1',
      password2: 'pass phrase 1',
    });
    assert.equal(signedUp.headers.location, '/www/cli-login', 'sign-in continues to the confirmation');
    const confirm = await browser.get('/www/cli-login');
    assert.match(confirm.body, /Log in build-box\?/);
    assert.equal((await poll()).statusCode, 202, 'nothing before the user confirms');

    const done = await browser.post('/www/cli-login', { action: 'confirm' });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /You are logged in on the command line/);
    const delivered = await poll();
    assert.equal(delivered.statusCode, 200);
    const { token } = delivered.json() as { token: string };
    assert.deepEqual((await t.app.inject({ url: '/-/whoami', headers: bearer(token) })).json(), { username: 'dave' });
    assert.equal((await poll()).statusCode, 404, 'exactly once');
    assert.match((await browser.get('/www/tokens')).body, /CLI login on build-box/);
  });

  it('lets the user refuse a CLI login; an unknown or finished one is not offered', async () => {
    const start = await t.app.inject({ method: 'POST', url: '/-/v1/login', payload: {} });
    const { loginUrl, doneUrl } = start.json() as { loginUrl: string; doneUrl: string };
    const browser = await signUpLocal(t.app, 'erin');
    const go = await browser.get(new URL(loginUrl).pathname + new URL(loginUrl).search);
    assert.equal(go.headers.location, '/www/cli-login', 'already signed in: straight to the confirmation');
    assert.match((await browser.get('/www/cli-login')).body, /Log in the command line\?/);
    const cancelled = await browser.post('/www/cli-login', { action: 'cancel' });
    assert.match(cancelled.body, /cancelled/);
    assert.equal((await t.app.inject({ url: new URL(doneUrl).pathname })).statusCode, 404, 'the client stops polling');
    const unknown = await browser.get('/www/login?cli=00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /unknown, expired or already finished/);
    assert.equal((await browser.get('/www/cli-login')).statusCode, 404);
    // the confirmation is a POST like every other: no CSRF token, no token minted
    const again = await t.app.inject({ method: 'POST', url: '/-/v1/login', payload: {} });
    const id = new URL((again.json() as { loginUrl: string }).loginUrl).searchParams.get('cli');
    await browser.get(`/www/login?cli=${id}`);
    assert.equal((await browser.post('/www/cli-login', { action: 'confirm' }, { csrf: false })).statusCode, 403);
    assert.equal((await t.app.inject({ url: `/-/v1/login/poll/${id}` })).statusCode, 202);
  });

  it('answers HTML for unknown website pages and serves the stylesheet', async () => {
    const missing = await new WebClient(t.app).get('/www/nope');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.headers['content-type'] as string, /text\/html/);
    const css = await t.app.inject({ url: '/www/static/style.css' });
    assert.equal(css.statusCode, 200);
    assert.match(css.headers['content-type'] as string, /text\/css/);
  });
});
