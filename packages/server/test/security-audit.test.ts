import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { confirmTotpEnrolment, hashPassword, type Principal, startTotpEnrolment } from '@entropic/core';
import { createTestApp, encodePublishBody, type TestApp, type TestUser } from '@entropic/testkit';
import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { WebClient } from './support/web-client.ts';

const CLIENT = '203.0.113.7';

interface Sent {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: string;
  token?: string;
  otp?: string;
  json?: unknown;
  publish?: string;
}

/** A request as a client behind our proxy sends it (X-Forwarded-For), with an optional npm-otp header. */
async function send(t: TestApp, request: Sent) {
  const headers: Record<string, string> = { 'x-forwarded-for': CLIENT };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.otp) headers['npm-otp'] = request.otp;
  if (request.publish !== undefined) {
    const { payload, contentType } = await encodePublishBody({ files: { 'index.js': `module.exports = '${request.publish}';\n` } });
    return t.app.inject({ method: request.method, url: request.url, headers: { ...headers, 'content-type': contentType }, payload });
  }
  if (request.json !== undefined)
    return t.app.inject({ method: request.method, url: request.url, headers, payload: request.json as object });
  return t.app.inject({ method: request.method, url: request.url, headers });
}

describe('audit log, namespace second-factor requirement and TRUST_PROXY (issue 10.1, 10.6, 10.7)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let secret: string;
  let now = new Date('2026-06-01T08:00:05Z');
  const code = () =>
    new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: now.getTime() });
  const nextStep = () => {
    now = new Date(now.getTime() + 30_000);
  };

  before(async () => {
    // app.inject's requests come from 127.0.0.1: the proxy
    t = await createTestApp({ env: { TRUST_PROXY: '127.0.0.1' } });
    t.deps.clock = { now: () => now };
    alice = await t.createUser('alice', { passwordHash: await hashPassword('correct horse battery') });
    bob = await t.createUser('bob');
  });
  after(() => t.close());

  it('records publishes, tag moves and sign-in failures with the client address behind the proxy; each user sees their own', async () => {
    assert.equal(
      (await send(t, { method: 'PUT', url: '/packages/package/alice/lib/versions/1.0.0', token: alice.token, publish: 'a' })).statusCode,
      201,
    );
    assert.equal(
      (
        await send(t, {
          method: 'PUT',
          url: '/packages/package/alice/lib/dist-tags/stable',
          token: alice.token,
          json: { version: '1.0.0' },
        })
      ).statusCode,
      200,
    );
    const web = new WebClient(t.app, { 'x-forwarded-for': CLIENT });
    await web.get('/www/login');
    assert.equal((await web.post('/www/login', { username: 'alice', password: 'wrong password' })).statusCode, 401);

    const own = await send(t, { method: 'GET', url: '/auth/audit', token: alice.token });
    assert.equal(own.statusCode, 200, own.body);
    const entries = own.json().objects as Array<Record<string, unknown>>;
    const byAction = (action: string) => entries.find((e) => e.action === action) as Record<string, unknown>;
    assert.deepEqual(
      entries.map((e) => e.action),
      ['sign-in-failed', 'tag-set', 'publish'],
    );
    assert.equal(byAction('publish').address, CLIENT);
    assert.equal(byAction('publish').package, `alice@${t.host}/lib`);
    assert.deepEqual(byAction('publish').details, { version: '1.0.0', tag: 'latest', via: 'entropic' });
    assert.equal(byAction('tag-set').actor, 'alice');
    assert.equal(byAction('sign-in-failed').address, CLIENT);
    assert.match(String(byAction('publish').at), /^\d{4}-\d\d-\d\dT/);

    const bobs = await send(t, { method: 'GET', url: '/auth/audit', token: bob.token });
    assert.deepEqual(bobs.json().objects, []);
    assert.equal((await send(t, { method: 'GET', url: '/auth/audit' })).statusCode, 401);

    // JSON lines for export, the same entries
    const lines = await send(t, { method: 'GET', url: '/auth/audit?format=jsonl', token: alice.token });
    assert.match(String(lines.headers['content-type']), /^application\/jsonl/);
    const parsed = lines.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(parsed, entries);

    // paging: one at a time, newest first
    const first = (await send(t, { method: 'GET', url: '/auth/audit?limit=1', token: alice.token })).json();
    assert.equal(first.objects.length, 1);
    const second = (await send(t, { method: 'GET', url: `/auth/audit?limit=1&cursor=${first.next}`, token: alice.token })).json();
    assert.equal(second.objects[0].action, 'tag-set');
  });

  it("a namespace's log is for its members only", async () => {
    const mine = await send(t, { method: 'GET', url: '/namespaces/namespace/alice/audit', token: alice.token });
    assert.equal(mine.statusCode, 200);
    assert.deepEqual(
      (mine.json().objects as Array<{ action: string }>).map((e) => e.action),
      ['tag-set', 'publish'],
    );
    const denied = await send(t, { method: 'GET', url: '/namespaces/namespace/alice/audit', token: bob.token });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().code, 'NOT_A_MEMBER');
  });

  it('an organisation requires a second factor for writes: members without one are refused, with one they need a code', async () => {
    assert.equal((await send(t, { method: 'PUT', url: '/namespaces/namespace/acme', token: alice.token })).statusCode, 201);
    assert.equal((await send(t, { method: 'POST', url: '/namespaces/namespace/acme/members/bob', token: alice.token })).statusCode, 200);
    assert.equal((await send(t, { method: 'POST', url: '/users/user/bob/memberships/acme', token: bob.token })).statusCode, 200);
    // without a second factor of one's own, the requirement cannot be turned on
    const early = await send(t, {
      method: 'PUT',
      url: '/namespaces/namespace/acme/second-factor',
      token: alice.token,
      json: { required: true },
    });
    assert.equal(early.statusCode, 403);
    assert.equal(early.json().code, 'SECOND_FACTOR_REQUIRED');

    const session: Principal = { userId: alice.id, username: 'alice', scope: 'session' };
    secret = (await startTotpEnrolment(t.deps, { principal: session })).secret;
    await confirmTotpEnrolment(t.deps, { principal: session, code: code(), forWrites: false });
    nextStep();
    const toggle = (otp?: string) =>
      send(t, {
        method: 'PUT',
        url: '/namespaces/namespace/acme/second-factor',
        token: alice.token,
        json: { required: true },
        ...(otp ? { otp } : {}),
      });
    // alice's own factor is for sign-in only: turning the requirement on needs no code yet
    const on = await toggle();
    assert.equal(on.statusCode, 200, on.body);
    assert.deepEqual(on.json(), { namespace: `acme@${t.host}`, required: true });
    assert.deepEqual((await send(t, { method: 'GET', url: '/namespaces/namespace/acme/second-factor' })).json(), {
      namespace: `acme@${t.host}`,
      required: true,
    });

    const asBob = await send(t, { method: 'PUT', url: '/packages/package/acme/rocket/versions/1.0.0', token: bob.token, publish: 'b' });
    assert.equal(asBob.statusCode, 403);
    assert.equal(asBob.json().code, 'SECOND_FACTOR_REQUIRED');
    const noCode = await send(t, { method: 'PUT', url: '/packages/package/acme/rocket/versions/1.0.0', token: alice.token, publish: 'c' });
    assert.equal(noCode.statusCode, 401);
    assert.equal(noCode.headers['www-authenticate'], 'OTP');
    assert.equal(noCode.json().code, 'OTP_REQUIRED');
    const withCode = await send(t, {
      method: 'PUT',
      url: '/packages/package/acme/rocket/versions/1.0.0',
      token: alice.token,
      publish: 'c',
      otp: code(),
    });
    assert.equal(withCode.statusCode, 201, withCode.body);
    // alice's own packages are not under the requirement (her factor is for sign-in only)
    assert.equal(
      (await send(t, { method: 'PUT', url: '/packages/package/alice/lib/versions/1.1.0', token: alice.token, publish: 'd' })).statusCode,
      201,
    );

    const log = (await send(t, { method: 'GET', url: '/namespaces/namespace/acme/audit', token: bob.token })).json();
    assert.deepEqual(
      (log.objects as Array<{ action: string }>).map((e) => e.action),
      ['publish', 'namespace-second-factor', 'membership-accepted', 'member-invited', 'organisation-created'],
    );
  });

  it('the audit log is append-only: the database refuses an UPDATE', async () => {
    await assert.rejects(sql`UPDATE audit_log SET actor = 'mallory'`.execute(t.deps.db), /append-only/);
  });
});

describe('rate limits on token use and publishes (issue 10.7)', () => {
  let t: TestApp;
  let carol: TestUser;
  before(async () => {
    t = await createTestApp({ env: { TOKEN_RATE_LIMIT_PER_MINUTE: '8', PUBLISH_RATE_LIMIT_PER_HOUR: '2' } });
    carol = await t.createUser('carol');
  });
  after(() => t.close());

  it('a token over its requests a minute, and a user over their publishes an hour, get 429 with Retry-After', async () => {
    for (let i = 1; i <= 2; i++) {
      const ok = await send(t, {
        method: 'PUT',
        url: `/packages/package/carol/p/versions/1.0.${i}`,
        token: carol.token,
        publish: String(i),
      });
      assert.equal(ok.statusCode, 201, ok.body);
    }
    const third = await send(t, { method: 'PUT', url: '/packages/package/carol/p/versions/1.0.3', token: carol.token, publish: '3' });
    assert.equal(third.statusCode, 429);
    assert.equal(third.json().code, 'RATE_LIMITED');
    assert.equal(third.headers['retry-after'], '3600');
    // 3 requests so far; 5 more are allowed this minute
    for (let i = 0; i < 5; i++) assert.equal((await send(t, { method: 'GET', url: '/auth/tokens', token: carol.token })).statusCode, 200);
    const over = await send(t, { method: 'GET', url: '/auth/tokens', token: carol.token });
    assert.equal(over.statusCode, 429);
    assert.equal(over.headers['retry-after'], '60');
    // anonymous reads are not the token's
    assert.equal((await send(t, { method: 'GET', url: '/packages/package/carol/p' })).statusCode, 200);
  });
});
