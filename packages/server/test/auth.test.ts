import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { completeCliLogin, createToken } from '@entropic/core';
import { bearer, createTestApp, publish, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';
import { assertUnchanged, snapshotRegistry } from './support/registry-snapshot.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('meta routes, authentication and the token API', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let readToken: string;
  let expiredToken: string;

  before(async () => {
    t = await createTestApp();
    // A programmer error, to check what a 500 reveals (routes can be added until the app is ready).
    t.app.get('/test-only/boom', async () => {
      throw new Error('database password hunter2 in /work/main/packages/server/src/secret.ts:12');
    });
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    readToken = (await createToken(t.deps, { userId: alice.id, description: 'read only', scope: 'read' })).token;
    const expiring = await createToken(t.deps, {
      userId: alice.id,
      description: 'short-lived',
      expiresAt: new Date(Date.now() + 60_000),
    });
    // Expire it before anything caches it.
    await t.deps.db
      .updateTable('tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', expiring.info.id)
      .execute();
    expiredToken = expiring.token;
    await publish(t.app, 'alice/auth-pkg', '1.0.0', { token: alice.token });
  });
  after(() => t.close());

  describe('GET /ping and GET /', () => {
    it('answers ping with short text', async () => {
      const response = await t.app.inject({ url: '/ping' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      assert.ok(response.body.length > 0 && response.body.length < 100);
    });

    it('describes the server at /', async () => {
      const response = await t.app.inject({ url: '/' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^application\/json; charset=utf-8/);
      const body = response.json();
      assert.deepEqual(Object.keys(body).sort(), ['host', 'server', 'version']);
      assert.equal(body.host, t.host);
      assert.equal(typeof body.server, 'string');
      assert.match(body.version, /^\d+\.\d+\.\d+/);
    });

    it('answers unknown routes with a JSON 404', async () => {
      expectError(await t.app.inject({ url: '/no/such/route' }), 404, 'NOT_FOUND');
      expectError(await t.app.inject({ method: 'POST', url: '/packages' }), 404, 'NOT_FOUND');
    });
  });

  describe('failures', () => {
    it('a programmer error is a bare 500 INTERNAL: no message, stack, secret or path', async () => {
      const response = await t.app.inject({ url: '/test-only/boom', headers: { 'x-request-id': 'trace-boom' } });
      const body = expectError(response, 500, 'INTERNAL');
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
      assert.doesNotMatch(response.body, /hunter2|secret|database/);
      assert.equal(response.headers['x-request-id'], 'trace-boom', 'the request id lets an operator find the log line');
    });
  });

  describe('request ids', () => {
    it('generates one and echoes it', async () => {
      const a = await t.app.inject({ url: '/ping' });
      const b = await t.app.inject({ url: '/ping' });
      assert.match(String(a.headers['x-request-id']), /.{8,}/);
      assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
    });

    it('honours an incoming x-request-id, also on errors', async () => {
      const ok = await t.app.inject({ url: '/ping', headers: { 'x-request-id': 'trace-abc-123' } });
      assert.equal(ok.headers['x-request-id'], 'trace-abc-123');
      const failed = await t.app.inject({ url: '/packages/package/alice/nope', headers: { 'x-request-id': 'trace-def-456' } });
      assert.equal(failed.statusCode, 404);
      assert.equal(failed.headers['x-request-id'], 'trace-def-456');
      const unauthorised = await t.app.inject({ url: '/auth/whoami', headers: { 'x-request-id': 'trace-ghi-789' } });
      assert.equal(unauthorised.headers['x-request-id'], 'trace-ghi-789');
    });
  });

  describe('whoami', () => {
    for (const path of ['/auth/whoami', '/-/whoami']) {
      it(`${path} names the token's user`, async () => {
        const response = await t.app.inject({ url: path, headers: bearer(alice.token) });
        assert.equal(response.statusCode, 200);
        assert.deepEqual(response.json(), { username: 'alice' });
        assert.deepEqual((await t.app.inject({ url: path, headers: bearer(bob.token) })).json(), { username: 'bob' });
        assert.deepEqual((await t.app.inject({ url: path, headers: bearer(readToken) })).json(), { username: 'alice' });
      });

      it(`${path} without a token → 401 UNAUTHENTICATED with WWW-Authenticate: Bearer`, async () => {
        const response = await t.app.inject({ url: path });
        expectError(response, 401, 'UNAUTHENTICATED');
        assert.equal(response.headers['www-authenticate'], 'Bearer');
      });
    }
  });

  describe('bad credentials are 401 on every route, reads included', () => {
    const malformed = [
      'Basic YWxpY2U6c2VjcmV0',
      'Bearer',
      'Bearer ',
      'Bearer not-a-token',
      `Bearer ent_v1_${randomUUID().toUpperCase()}`,
      'Bearer ent_v1_6ba7b810-9dad-11d1-80b4-00c04fd430c8', // a v1 uuid
      `Bearer ent_v2_${randomUUID()}`,
      `Token ent_v1_${randomUUID()}`,
      `Bearer ent_v1_${randomUUID()} extra`,
    ];
    const routes = [
      { method: 'GET', url: '/ping' },
      { method: 'GET', url: '/' },
      { method: 'GET', url: '/packages' },
      { method: 'GET', url: '/packages/package/alice/auth-pkg' },
      { method: 'GET', url: '/packages/package/alice/auth-pkg/versions/1.0.0' },
      { method: 'GET', url: '/auth/whoami' },
      { method: 'PUT', url: '/packages/package/alice/auth-new' },
      { method: 'DELETE', url: '/packages/package/alice/auth-pkg/versions/1.0.0' },
    ] as const;

    it('malformed Authorization headers → INVALID_TOKEN', async () => {
      for (const authorization of malformed) {
        for (const route of routes) {
          const response = await t.app.inject({ ...route, headers: { authorization } });
          expectError(response, 401, 'INVALID_TOKEN');
          assert.match(String(response.headers['www-authenticate']), /^Bearer/);
        }
      }
    });

    it('unknown, revoked and expired tokens → INVALID_TOKEN', async () => {
      const revoked = await createToken(t.deps, { userId: alice.id, description: 'to revoke' });
      // Use it once so it is cached, then revoke it through the API.
      assert.equal((await t.app.inject({ url: '/auth/whoami', headers: bearer(revoked.token) })).statusCode, 200);
      const del = await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${revoked.info.id}`, headers: bearer(alice.token) });
      assert.equal(del.statusCode, 204);
      for (const token of [`ent_v1_${randomUUID()}`, revoked.token, expiredToken]) {
        for (const route of routes) {
          const response = await t.app.inject({ ...route, headers: bearer(token) });
          const body = expectError(response, 401, 'INVALID_TOKEN');
          assert.doesNotMatch(body.message, new RegExp(token), 'the token is echoed');
        }
      }
    });

    it('a bad token never falls back to anonymous, even where anonymous would succeed', async () => {
      const anonymous = await t.app.inject({ url: '/packages/package/alice/auth-pkg' });
      assert.equal(anonymous.statusCode, 200);
      expectError(await t.app.inject({ url: '/packages/package/alice/auth-pkg', headers: bearer(expiredToken) }), 401, 'INVALID_TOKEN');
    });

    it('writes without a token → 401 UNAUTHENTICATED with WWW-Authenticate: Bearer, and nothing changes', async () => {
      const before = await snapshotRegistry(t.deps);
      const writes = [
        { method: 'PUT', url: '/packages/package/alice/auth-new', payload: {} },
        { method: 'DELETE', url: '/packages/package/alice/auth-pkg' },
        { method: 'DELETE', url: '/packages/package/alice/auth-pkg/versions/1.0.0' },
        { method: 'PUT', url: '/packages/package/alice/auth-pkg/dist-tags/next', payload: { version: '1.0.0' } },
        { method: 'DELETE', url: '/packages/package/alice/auth-pkg/dist-tags/next' },
        { method: 'POST', url: '/auth/tokens', payload: { description: 'x' } },
        { method: 'DELETE', url: `/auth/tokens/${randomUUID()}` },
      ] as const;
      for (const write of writes) {
        const response = await t.app.inject(write);
        expectError(response, 401, 'UNAUTHENTICATED');
        assert.equal(response.headers['www-authenticate'], 'Bearer', `${write.method} ${write.url}`);
      }
      expectError(await publish(t.app, 'alice/auth-new', '1.0.0'), 401, 'UNAUTHENTICATED');
      await assertUnchanged(t.deps, before);
    });

    it('a read-scoped token reads but every write → 403 INSUFFICIENT_SCOPE, and nothing changes', async () => {
      assert.equal((await t.app.inject({ url: '/packages/package/alice/auth-pkg', headers: bearer(readToken) })).statusCode, 200);
      assert.equal((await t.app.inject({ url: '/auth/tokens', headers: bearer(readToken) })).statusCode, 200);
      const before = await snapshotRegistry(t.deps);
      const writes = [
        { method: 'PUT', url: '/packages/package/alice/auth-new', payload: {} },
        { method: 'DELETE', url: '/packages/package/alice/auth-pkg' },
        { method: 'DELETE', url: '/packages/package/alice/auth-pkg/versions/1.0.0' },
        { method: 'PUT', url: '/packages/package/alice/auth-pkg/dist-tags/next', payload: { version: '1.0.0' } },
        { method: 'DELETE', url: '/packages/package/alice/auth-pkg/dist-tags/next' },
        { method: 'POST', url: '/auth/tokens', payload: { description: 'escalate', scope: 'publish' } },
      ] as const;
      for (const write of writes) {
        expectError(await t.app.inject({ ...write, headers: bearer(readToken) }), 403, 'INSUFFICIENT_SCOPE');
      }
      const own = (await t.app.inject({ url: '/auth/tokens', headers: bearer(alice.token) })).json().objects[0].id;
      expectError(
        await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${own}`, headers: bearer(readToken) }),
        403,
        'INSUFFICIENT_SCOPE',
      );
      expectError(await publish(t.app, 'alice/auth-pkg', '1.0.1', { token: readToken }), 403, 'INSUFFICIENT_SCOPE');
      expectError(await publish(t.app, 'alice/auth-new', '1.0.0', { token: readToken }), 403, 'INSUFFICIENT_SCOPE');
      await assertUnchanged(t.deps, before);
    });
  });

  describe('token API', () => {
    it('creates a token, shown once, that works at once', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/auth/tokens',
        headers: bearer(bob.token),
        payload: { description: 'laptop' },
      });
      assert.equal(response.statusCode, 201);
      const body = response.json();
      assert.match(body.token, /^ent_v1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(body.id, UUID_RE);
      assert.equal(body.description, 'laptop');
      assert.equal(body.scope, 'publish');
      assert.equal(body.expires, null);
      assert.deepEqual((await t.app.inject({ url: '/auth/whoami', headers: bearer(body.token) })).json(), { username: 'bob' });
      // Only a hash is stored.
      const rows = await t.deps.db.selectFrom('tokens').select('hash').execute();
      for (const row of rows) assert.ok(!row.hash.includes(body.token.slice(7)));
      const list = await t.app.inject({ url: '/auth/tokens', headers: bearer(bob.token) });
      assert.ok(!list.body.includes(body.token), 'the list shows the token value');
    });

    it('creates read-scoped and expiring tokens', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/auth/tokens',
        headers: bearer(bob.token),
        payload: { description: 'ci', scope: 'read', expiresInDays: 7 },
      });
      assert.equal(response.statusCode, 201);
      const body = response.json();
      assert.equal(body.scope, 'read');
      const expires = Date.parse(body.expires);
      assert.ok(Math.abs(expires - (Date.now() + 7 * 86_400_000)) < 60_000, body.expires);
      expectError(
        await t.app.inject({ method: 'PUT', url: '/packages/package/bob/scoped', headers: bearer(body.token), payload: {} }),
        403,
        'INSUFFICIENT_SCOPE',
      );
    });

    it('lists only the caller’s live tokens, newest first, without secrets', async () => {
      const response = await t.app.inject({ url: '/auth/tokens', headers: bearer(bob.token) });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.equal(body.next, null);
      const descriptions = body.objects.map((o: { description: string }) => o.description);
      assert.deepEqual(descriptions, ['ci', 'laptop', 'test']);
      for (const token of body.objects) {
        assert.deepEqual(Object.keys(token).sort(), [
          'automation',
          'cidrs',
          'created',
          'description',
          'expires',
          'id',
          'lastUsed',
          'namespaces',
          'packages',
          'prefix',
          'scope',
        ]);
      }
      const aliceList = (await t.app.inject({ url: '/auth/tokens', headers: bearer(alice.token) })).json();
      assert.ok(!aliceList.objects.some((o: { description: string }) => o.description === 'laptop'));
      expectError(await t.app.inject({ url: '/auth/tokens' }), 401, 'UNAUTHENTICATED');
    });

    it('records when a token was last used', async () => {
      const created = await createToken(t.deps, { userId: bob.id, description: 'usage' });
      assert.equal((await t.app.inject({ url: '/auth/whoami', headers: bearer(created.token) })).statusCode, 200);
      let lastUsed: Date | null = null;
      for (let i = 0; i < 50 && !lastUsed; i += 1) {
        const row = await t.deps.db.selectFrom('tokens').select('last_used_at').where('id', '=', created.info.id).executeTakeFirstOrThrow();
        lastUsed = row.last_used_at;
        if (!lastUsed) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(lastUsed && Date.now() - lastUsed.getTime() < 60_000);
    });

    it('refuses bad token requests with 400 and stores nothing', async () => {
      const before = await snapshotRegistry(t.deps);
      const cases: Array<[unknown, string, number]> = [
        [{ description: 'x', scope: 'admin' }, 'INVALID_TOKEN_SCOPE', 400],
        [{ description: 'x', scope: 1 }, 'INVALID_TOKEN_SCOPE', 400],
        [{ description: '' }, 'INVALID_FIELD', 400],
        [{ description: '   ' }, 'INVALID_FIELD', 400],
        [{}, 'INVALID_FIELD', 400],
        [{ description: 'x'.repeat(201) }, 'INVALID_FIELD', 400],
        [{ description: 'x', expiresInDays: 0 }, 'INVALID_FIELD', 400],
        [{ description: 'x', expiresInDays: 1.5 }, 'INVALID_FIELD', 400],
        [{ description: 'x', expiresInDays: '7' }, 'INVALID_FIELD', 400],
        [{ description: 'x', expiresInDays: 100_000 }, 'INVALID_FIELD', 400],
        [[1, 2], 'INVALID_JSON', 400],
      ];
      for (const [payload, code, status] of cases) {
        const response = await t.app.inject({
          method: 'POST',
          url: '/auth/tokens',
          headers: bearer(bob.token),
          payload: payload as object,
        });
        expectError(response, status, code);
      }
      const invalidJson = await t.app.inject({
        method: 'POST',
        url: '/auth/tokens',
        headers: { ...bearer(bob.token), 'content-type': 'application/json' },
        payload: '{"description":',
      });
      expectError(invalidJson, 400, 'INVALID_JSON');
      await assertUnchanged(t.deps, before);
    });

    it('revokes a token: 204, then 401 with it, and 404 the second time', async () => {
      const created = (
        await t.app.inject({ method: 'POST', url: '/auth/tokens', headers: bearer(bob.token), payload: { description: 'revoke me' } })
      ).json();
      assert.equal((await t.app.inject({ url: '/auth/whoami', headers: bearer(created.token) })).statusCode, 200);
      const response = await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${created.id}`, headers: bearer(bob.token) });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      expectError(await t.app.inject({ url: '/auth/whoami', headers: bearer(created.token) }), 401, 'INVALID_TOKEN');
      expectError(
        await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${created.id}`, headers: bearer(bob.token) }),
        404,
        'TOKEN_NOT_FOUND',
      );
      const list = (await t.app.inject({ url: '/auth/tokens', headers: bearer(bob.token) })).json();
      assert.ok(!list.objects.some((o: { id: string }) => o.id === created.id));
    });

    it('a token can revoke itself', async () => {
      const created = await createToken(t.deps, { userId: bob.id, description: 'self' });
      const response = await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${created.info.id}`, headers: bearer(created.token) });
      assert.equal(response.statusCode, 204);
      expectError(await t.app.inject({ url: '/auth/whoami', headers: bearer(created.token) }), 401, 'INVALID_TOKEN');
    });

    it("cannot revoke someone else's token (404, and it keeps working)", async () => {
      const bobs = await createToken(t.deps, { userId: bob.id, description: 'mine' });
      const before = await snapshotRegistry(t.deps);
      expectError(
        await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${bobs.info.id}`, headers: bearer(alice.token) }),
        404,
        'TOKEN_NOT_FOUND',
      );
      for (const id of [randomUUID(), 'not-a-uuid', '1']) {
        expectError(
          await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${id}`, headers: bearer(alice.token) }),
          404,
          'TOKEN_NOT_FOUND',
        );
      }
      await assertUnchanged(t.deps, before);
      assert.deepEqual((await t.app.inject({ url: '/auth/whoami', headers: bearer(bobs.token) })).json(), { username: 'bob' });
    });
  });

  describe('CLI web login (/-/v1/login)', () => {
    it('starts a login with loginUrl and doneUrl on EXTERNAL_HOST', async () => {
      const response = await t.app.inject({ method: 'POST', url: '/-/v1/login', payload: { hostname: 'laptop' } });
      assert.equal(response.statusCode, 200);
      const { loginUrl, doneUrl } = response.json();
      const external = t.deps.config.externalUrl;
      const id = new URL(loginUrl).searchParams.get('cli') ?? '';
      assert.match(id, UUID_RE);
      assert.equal(loginUrl, `${external}/www/login?cli=${id}`);
      assert.equal(doneUrl, `${external}/-/v1/login/poll/${id}`);
      const other = (await t.app.inject({ method: 'POST', url: '/-/v1/login' })).json();
      assert.notEqual(other.doneUrl, doneUrl);
    });

    it('polls 202 {} with Retry-After while pending, then 200 {token} exactly once, then 404', async () => {
      const { doneUrl } = (await t.app.inject({ method: 'POST', url: '/-/v1/login', payload: {} })).json();
      const path = new URL(doneUrl).pathname;
      const id = path.split('/').at(-1) as string;
      const pending = await t.app.inject({ url: path });
      assert.equal(pending.statusCode, 202);
      assert.deepEqual(pending.json(), {});
      assert.match(String(pending.headers['retry-after']), /^\d+$/);
      const minted = await createToken(t.deps, { userId: bob.id, description: 'npm login' });
      await completeCliLogin(t.deps, { id, token: minted.token });
      const done = await t.app.inject({ url: path });
      assert.equal(done.statusCode, 200);
      assert.deepEqual(done.json(), { token: minted.token });
      expectError(await t.app.inject({ url: path }), 404, 'LOGIN_SESSION_NOT_FOUND');
    });

    it('unknown session → 404, malformed id → 400', async () => {
      expectError(await t.app.inject({ url: `/-/v1/login/poll/${randomUUID()}` }), 404, 'LOGIN_SESSION_NOT_FOUND');
      for (const id of ['nope', '1234', `${randomUUID()}x`, 'ZZZZZZZZ-ZZZZ-4ZZZ-8ZZZ-ZZZZZZZZZZZZ']) {
        expectError(await t.app.inject({ url: `/-/v1/login/poll/${id}` }), 400, 'INVALID_SESSION_ID');
      }
    });
  });
});
