import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSecret } from '@entropic/core';
import { createTestApp, type GithubStandIn, startGithubStandIn, type TestApp } from '@entropic/testkit';
import { OAuth2Server } from 'oauth2-mock-server';
import { WebClient } from './support/web-client.ts';

const OAUTH_PASSWORD = 'test-oauth-password-0123456789-abcdefghij';

/** Starts a provider sign-in and lets the provider answer; returns the callback path the browser would follow. */
async function authorize(client: WebClient, provider: string): Promise<string> {
  const start = await client.get(`/www/login/providers/${provider}`);
  assert.equal(start.statusCode, 303, start.body);
  const atProvider = await fetch(String(start.headers.location), { redirect: 'manual' });
  assert.equal(atProvider.status, 302);
  const callback = new URL(String(atProvider.headers.get('location')));
  assert.equal(callback.pathname, `/www/login/providers/${provider}/callback`);
  return callback.pathname + callback.search;
}

describe('GitHub sign-in', () => {
  let t: TestApp;
  let github: GithubStandIn;
  before(async () => {
    github = await startGithubStandIn();
    t = await createTestApp({ env: { ...github.env, OAUTH_PASSWORD, LOCAL_ACCOUNTS: 'false' } });
  });
  after(async () => {
    await t.close();
    await github.close();
  });

  it('lists GitHub on the login page and sends a random state with PKCE', async () => {
    const client = new WebClient(t.app);
    const page = await client.get('/www/login');
    assert.match(page.body, /href="\/www\/login\/providers\/github">Continue with GitHub/);
    assert.doesNotMatch(page.body, /type="password"/, 'local accounts are off');
    await authorize(client, 'github');
    const query = github.lastAuthorize as URLSearchParams;
    assert.match(query.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(query.get('code_challenge_method'), 'S256');
    assert.equal(query.get('redirect_uri'), `${t.deps.config.externalUrl}/www/login/providers/github/callback`);
  });

  it('signs a first-time identity up: user, namespace, membership and sealed token in one go', async () => {
    const client = new WebClient(t.app);
    const callback = await client.get(await authorize(client, 'github'));
    assert.equal(callback.statusCode, 303);
    assert.equal(callback.headers.location, '/www/signup');
    const signup = await client.get('/www/signup');
    assert.match(signup.body, /value="octo-cat"/, 'the GitHub login, made a valid name, is suggested');
    assert.match(signup.body, /value="octo@example.com"/);
    const taken = await client.post('/www/signup', { username: 'admin', email: '' });
    assert.equal(taken.statusCode, 400, 'reserved name');
    assert.equal(await t.deps.db.selectFrom('identities').select('id').executeTakeFirst(), undefined, 'nothing stored');
    const created = await client.post('/www/signup', { username: 'octo', email: 'octo@example.com' });
    assert.equal(created.statusCode, 303);
    assert.equal(created.headers.location, '/www/tokens');
    assert.match((await client.get('/www/tokens')).body, /Tokens for octo/);

    const user = await t.deps.db.selectFrom('users').selectAll().where('name', '=', 'octo').executeTakeFirstOrThrow();
    const identity = await t.deps.db.selectFrom('identities').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(identity.provider, 'github');
    assert.equal(identity.subject, '4242', 'keyed by the immutable numeric id, not the login');
    const issued = github.issuedTokens.at(-1) as string;
    assert.ok(identity.access_token_sealed && !identity.access_token_sealed.includes(issued), 'not stored in the clear');
    assert.equal(openSecret(OAUTH_PASSWORD, identity.access_token_sealed), issued);
    assert.equal(openSecret('another-password-that-is-long-enough-000', identity.access_token_sealed), undefined);
    const namespace = await t.deps.db.selectFrom('namespaces').selectAll().where('name', '=', 'octo').executeTakeFirstOrThrow();
    const membership = await t.deps.db
      .selectFrom('namespace_members')
      .selectAll()
      .where('namespace_id', '=', namespace.id)
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.equal(membership.accepted, true);
  });

  it('signs a known identity straight in, even after a rename at GitHub', async () => {
    github.account = { ...github.account, login: 'renamed-cat' };
    const client = new WebClient(t.app);
    const callback = await client.get(await authorize(client, 'github'));
    assert.equal(callback.headers.location, '/www/tokens');
    assert.match((await client.get('/www/tokens')).body, /Tokens for octo/);
  });

  it('refuses a forged, replayed or foreign state', async () => {
    const client = new WebClient(t.app);
    const path = await authorize(client, 'github');
    const forged = path.replace(/state=[^&]+/, `state=${'x'.repeat(43)}`);
    const bad = await client.get(forged);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /invalid, expired or already used/);
    const missing = await client.get(path.replace(/&?state=[^&]+/, ''));
    assert.equal(missing.statusCode, 400);

    // a callback meant for one browser does not work in another, and is then spent
    const victim = new WebClient(t.app);
    await victim.get('/www/login');
    const foreign = await victim.get(path);
    assert.equal(foreign.statusCode, 400);
    assert.equal((await victim.get('/www/tokens')).statusCode, 303, 'not signed in');
    assert.equal((await client.get(path)).statusCode, 400, 'spent by the failed attempt');

    const fresh = await authorize(client, 'github');
    assert.equal((await client.get(fresh)).statusCode, 303);
    const replay = await client.get(fresh);
    assert.equal(replay.statusCode, 400, 'a state works once');
  });

  it('shows a provider failure as a page, not a crash', async () => {
    const client = new WebClient(t.app);
    const path = await authorize(client, 'github');
    const response = await client.get(path.replace(/code=[^&]+/, 'code=not-a-code'));
    assert.equal(response.statusCode, 502);
    assert.match(response.body, /GitHub refused the sign-in/);
    assert.equal((await client.get('/www/login/providers/gitlab')).statusCode, 404);
    assert.equal((await client.get('/www/login/providers/oidc')).statusCode, 404, 'not configured');
  });
});

describe('OpenID Connect sign-in', () => {
  let t: TestApp;
  let oidc: OAuth2Server;
  let subject = 'oidc-user-1';
  before(async () => {
    oidc = new OAuth2Server();
    await oidc.issuer.keys.generate('RS256');
    await oidc.start(0, '127.0.0.1');
    oidc.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
      token.payload.sub = subject;
      token.payload.preferred_username = 'Jane.Doe';
      token.payload.email = 'jane@example.com';
    });
    t = await createTestApp({
      env: {
        OIDC_ISSUER: oidc.issuer.url as string,
        OIDC_CLIENT_ID: 'entropic',
        OIDC_CLIENT_SECRET: 'oidc-secret',
        OIDC_NAME: 'Example SSO',
      },
    });
  });
  after(async () => {
    await t.close();
    await oidc.stop();
  });

  it('discovers the provider, signs up with PKCE and a nonce, then signs in again', async () => {
    const client = new WebClient(t.app);
    assert.match((await client.get('/www/login')).body, /Continue with Example SSO/);
    const callback = await client.get(await authorize(client, 'oidc'));
    assert.equal(callback.statusCode, 303, callback.body);
    assert.equal(callback.headers.location, '/www/signup');
    const signup = await client.get('/www/signup');
    assert.match(signup.body, /value="jane-doe"/);
    assert.match(signup.body, /Signed in with Example SSO/);
    const created = await client.post('/www/signup', { username: 'jane', email: '' });
    assert.equal(created.headers.location, '/www/tokens');
    const identity = await t.deps.db.selectFrom('identities').selectAll().where('subject', '=', subject).executeTakeFirstOrThrow();
    assert.equal(identity.provider, `oidc:${oidc.issuer.url}`);

    const again = new WebClient(t.app);
    const second = await again.get(await authorize(again, 'oidc'));
    assert.equal(second.headers.location, '/www/tokens');
    assert.match((await again.get('/www/tokens')).body, /Tokens for jane/);
  });

  it('refuses a replayed callback', async () => {
    subject = 'oidc-user-2';
    const client = new WebClient(t.app);
    const path = await authorize(client, 'oidc');
    assert.equal((await client.get(path)).statusCode, 303);
    assert.equal((await client.get(path)).statusCode, 400);
  });
});
