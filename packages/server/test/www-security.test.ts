import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword, listTokens } from '@entropic/core';
import { createTestApp, type TestApp } from '@entropic/testkit';
import { safeNextPath } from '../src/www/session.ts';
import { signUpLocal, WebClient } from './support/web-client.ts';

const PASSWORD = 'correct horse battery';

async function signInLocal(client: WebClient, username: string, password = PASSWORD) {
  await client.get('/www/login');
  return client.post('/www/login', { username, password });
}

describe('website security', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { SIGN_IN_LIMIT_PER_ACCOUNT: '3', SIGN_IN_LIMIT_PER_ADDRESS: '1000' } });
    await t.createUser('alice', { passwordHash: await hashPassword(PASSWORD) });
  });
  after(() => t.close());

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/ and without Secure over http', async () => {
    const response = await new WebClient(t.app).get('/www/login');
    const cookie = String(response.headers['set-cookie']);
    assert.match(cookie, /^entropic_session=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Path=\//);
    assert.doesNotMatch(cookie, /Secure/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/);
  });

  it('rotates the session id at sign-in, so a planted id is worthless (session fixation)', async () => {
    const attacker = new WebClient(t.app);
    await attacker.get('/www/login');
    const planted = attacker.cookies.get('entropic_session') as string;
    assert.ok(planted);
    // the victim's browser carries the attacker's cookie and signs in
    const victim = new WebClient(t.app);
    victim.cookies.set('entropic_session', planted);
    await victim.get('/www/login');
    const signedIn = await victim.post('/www/login', { username: 'alice', password: PASSWORD });
    assert.equal(signedIn.statusCode, 303);
    const rotated = victim.cookies.get('entropic_session');
    assert.ok(rotated && rotated !== planted, 'a new session id after sign-in');
    assert.equal((await victim.get('/www/tokens')).statusCode, 200);
    // the attacker's copy of the old id is not signed in (and no longer exists)
    const probe = await attacker.get('/www/tokens');
    assert.equal(probe.statusCode, 303);
    assert.match(String(probe.headers.location), /^\/www\/login/);
  });

  it('refuses POST forms without the CSRF token, with a wrong one, with another session’s, or from another origin', async () => {
    const victim = await signUpLocal(t.app, 'csrf-victim');
    const other = new WebClient(t.app);
    await other.get('/www/login');
    const attempts: Array<[string, Record<string, string>, Record<string, string>?]> = [
      ['missing', {}],
      ['empty', { _csrf: '' }],
      ['wrong', { _csrf: 'A'.repeat(43) }],
      ['another session', { _csrf: other.csrf }],
      ['cross-origin', {}, { origin: 'https://evil.example' }],
      ['cross-site fetch', {}, { 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [label, extra, headers] of attempts) {
      const fields = { action: 'create', description: `csrf ${label}`, scope: 'publish', expires: 'never', ...extra };
      // a valid token is added only for the cross-origin cases: they must fail on the origin alone
      const response = await victim.post('/www/tokens', fields, { csrf: headers !== undefined, headers: headers ?? {} });
      assert.equal(response.statusCode, 403, label);
      assert.match(response.headers['content-type'] as string, /text\/html/, label);
      assert.match(response.body, /expired|another site/, label);
    }
    const user = await t.deps.db.selectFrom('users').select('id').where('name', '=', 'csrf-victim').executeTakeFirstOrThrow();
    assert.deepEqual(await listTokens(t.deps, { userId: user.id }), [], 'no token was created');
    // the origin the browser addressed counts as ours (localhost vs 127.0.0.1 in development)
    const sameHost = await victim.post(
      '/www/tokens',
      { action: 'create', description: 'same host', scope: 'read', expires: '30' },
      { headers: { host: 'localhost:3000', origin: 'http://localhost:3000' } },
    );
    assert.equal(sameHost.statusCode, 201);
    await t.deps.db.deleteFrom('tokens').where('description', '=', 'same host').execute();
    // logout is a POST too: without the token the session survives
    assert.equal((await victim.post('/www/logout', {}, { csrf: false })).statusCode, 403);
    assert.equal((await victim.get('/www/tokens')).statusCode, 200);
    // a sign-in form without it does nothing either (login CSRF)
    const login = new WebClient(t.app);
    const response = await login.post('/www/login', { username: 'alice', password: PASSWORD }, { csrf: false });
    assert.equal(response.statusCode, 403);
    assert.equal(login.cookies.size, 0);
  });

  it('never redirects off-site after sign-in (open redirects)', async () => {
    const attempts = [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      '/www/..//evil.example',
      '/www/%2F%2Fevil.example',
      '/www//evil.example',
      'javascript:alert(1)',
      '/www/tokens\r\nLocation: https://evil.example',
    ];
    for (const next of attempts) {
      assert.equal(safeNextPath(next), undefined, next);
      const client = new WebClient(t.app);
      await client.get(`/www/login?next=${encodeURIComponent(next)}`);
      const response = await client.post('/www/login', { username: 'alice', password: PASSWORD });
      assert.equal(response.statusCode, 303, next);
      assert.equal(response.headers.location, '/www/tokens', next);
    }
    // a same-site path is honoured
    const client = new WebClient(t.app);
    await client.get(`/www/login?next=${encodeURIComponent('/www/tokens?tab=2')}`);
    const response = await client.post('/www/login', { username: 'alice', password: PASSWORD });
    assert.equal(response.headers.location, '/www/tokens?tab=2');
    // pages that need a session send the browser to sign in and back
    const anonymous = await new WebClient(t.app).get('/www/cli-login');
    assert.equal(anonymous.headers.location, '/www/login?next=%2Fwww%2Fcli-login');
  });

  it('rate-limits password attempts per account (429), even with the right password', async () => {
    await t.createUser('bob', { passwordHash: await hashPassword(PASSWORD) });
    const client = new WebClient(t.app);
    for (let i = 0; i < 3; i++) {
      const response = await signInLocal(client, 'bob', `wrong password ${i}`);
      assert.equal(response.statusCode, 401);
      assert.match(response.body, /username or password is not right/);
    }
    const blocked = await signInLocal(client, 'bob');
    assert.equal(blocked.statusCode, 429);
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    assert.equal((await client.get('/www/tokens')).statusCode, 303, 'not signed in');
  });

  it('rate-limits attempts per address across accounts (429)', async () => {
    const app = await createTestApp({ env: { SIGN_IN_LIMIT_PER_ACCOUNT: '100', SIGN_IN_LIMIT_PER_ADDRESS: '4' } });
    try {
      const client = new WebClient(app.app);
      for (let i = 0; i < 4; i++) assert.equal((await signInLocal(client, `nobody-${i}`, 'whatever1')).statusCode, 401);
      assert.equal((await signInLocal(client, 'nobody-5', 'whatever1')).statusCode, 429);
      // creating accounts with a password counts against the address as well
      await client.get('/www/signup');
      const signup = await client.post('/www/signup', { username: 'newcomer', email: '', password: PASSWORD, password2: PASSWORD });
      assert.equal(signup.statusCode, 429);
      assert.equal(await app.deps.db.selectFrom('users').select('id').where('name', '=', 'newcomer').executeTakeFirst(), undefined);
    } finally {
      await app.close();
    }
  });

  it('signs out: the session is deleted and the cookie cleared', async () => {
    const client = await signUpLocal(t.app, 'leaver');
    const old = client.cookies.get('entropic_session') as string;
    const response = await client.post('/www/logout', {});
    assert.equal(response.statusCode, 303);
    assert.match(String(response.headers['set-cookie']), /entropic_session=; Max-Age=0/);
    const replay = new WebClient(t.app);
    replay.cookies.set('entropic_session', old);
    assert.equal((await replay.get('/www/tokens')).statusCode, 303);
  });

  it('escapes what users type into pages', async () => {
    const client = await signUpLocal(t.app, 'escaper');
    const response = await client.post('/www/tokens', {
      action: 'create',
      description: '<script>alert(1)</script>',
      scope: 'read',
      expires: '30',
    });
    assert.equal(response.statusCode, 201);
    assert.doesNotMatch(response.body, /<script>alert/);
    assert.match(response.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('marks the cookie Secure with the __Host- prefix under https', async () => {
    const app = await createTestApp({ env: { EXTERNAL_HOST: 'https://registry.example' } });
    try {
      const response = await new WebClient(app.app).get('/www/login');
      const cookie = String(response.headers['set-cookie']);
      assert.match(cookie, /^__Host-entropic_session=/);
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
    } finally {
      await app.close();
    }
  });
});
