import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken, hashPassword } from '@entropic/core';
import { bearer, createTestApp, publish, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';

const PASSWORD = 'granular token password';

describe('granular tokens (issue 9.3): limits, CIDR allowlists, npm’s token API, revocation', () => {
  let t: TestApp;
  let alice: TestUser;

  const mint = async (body: Record<string, unknown>, token = alice.token) =>
    t.app.inject({ method: 'POST', url: '/auth/tokens', headers: bearer(token), payload: { description: 'limited', ...body } });
  const whoami = (token: string, remoteAddress?: string) =>
    t.app.inject({ url: '/auth/whoami', headers: bearer(token), ...(remoteAddress ? { remoteAddress } : {}) });

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice', { passwordHash: await hashPassword(PASSWORD) });
    await t.createUser('bob');
    await publishVersion(t.app, 'alice/one', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'alice/two', '1.0.0', { token: alice.token });
  });
  after(() => t.close());

  it('a token limited to one package publishes it, and nothing else; it cannot mint tokens or create organisations', async () => {
    const created = await mint({ packages: ['alice/one'] });
    assert.equal(created.statusCode, 201, created.body);
    const info = created.json();
    assert.deepEqual([info.packages, info.namespaces, info.cidrs, info.automation], [['alice/one'], [], [], false]);
    assert.equal(info.prefix, info.token.slice(0, 11));
    assert.equal((await publish(t.app, 'alice/one', '1.0.1', { token: info.token })).statusCode, 201);
    const other = expectError(await publish(t.app, 'alice/two', '1.0.1', { token: info.token }), 403, 'INSUFFICIENT_SCOPE');
    assert.match(other.message, /limited to other packages than "alice\/two"/);
    expectError(await publish(t.app, 'alice/brand-new', '1.0.0', { token: info.token }), 403, 'INSUFFICIENT_SCOPE');
    expectError(await mint({}, info.token), 403, 'INSUFFICIENT_SCOPE');
    expectError(
      await t.app.inject({ method: 'PUT', url: '/namespaces/namespace/acme-org', headers: bearer(info.token) }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    // a token limited to a package is not limited to its namespace: inviting members needs the namespace named
    expectError(
      await t.app.inject({ method: 'POST', url: '/namespaces/namespace/alice/members/bob', headers: bearer(info.token) }),
      403,
      'INSUFFICIENT_SCOPE',
    );
  });

  it('a token limited to a namespace covers every package in it, new ones too, and its members', async () => {
    const { token } = (await mint({ namespaces: ['@alice'] })).json();
    assert.equal((await publish(t.app, 'alice/two', '1.0.1', { token })).statusCode, 201);
    assert.equal((await publish(t.app, 'alice/three', '1.0.0', { token })).statusCode, 201);
    const invited = await t.app.inject({ method: 'POST', url: '/namespaces/namespace/alice/members/bob', headers: bearer(token) });
    assert.equal(invited.statusCode, 200, invited.body);
    expectError(await publish(t.app, 'bob/x', '1.0.0', { token }), 403, 'INSUFFICIENT_SCOPE');
  });

  it('limits name things that exist here', async () => {
    expectError(await mint({ packages: ['alice/nope'] }), 404, 'PACKAGE_NOT_FOUND');
    expectError(await mint({ namespaces: ['nobody-here'] }), 404, 'NAMESPACE_NOT_FOUND');
    expectError(await mint({ namespaces: ['legacy'] }), 400, 'INVALID_FIELD');
    expectError(await mint({ packages: ['alice@elsewhere.example/one'] }), 400, 'INVALID_FIELD');
    expectError(await mint({ cidrs: ['10.0.0.0/33'] }), 400, 'INVALID_FIELD');
    expectError(await mint({ cidrs: ['not an address'] }), 400, 'INVALID_FIELD');
    expectError(await mint({ packages: 'alice/one', automation: 'yes' }), 400, 'INVALID_FIELD');
  });

  it('a CIDR allowlist is checked against the client address the server sees', async () => {
    const { token, cidrs } = (await mint({ cidrs: ['10.0.0.0/8', '2001:db8::/32'], scope: 'read' })).json();
    assert.deepEqual(cidrs, ['10.0.0.0/8', '2001:db8::/32']);
    assert.equal((await whoami(token, '10.1.2.3')).statusCode, 200);
    assert.equal((await whoami(token, '::ffff:10.9.9.9')).statusCode, 200, 'an IPv4-mapped address is checked as IPv4');
    assert.equal((await whoami(token, '2001:db8::1')).statusCode, 200);
    const refused = expectError(await whoami(token, '192.0.2.1'), 401, 'INVALID_TOKEN');
    assert.match(refused.message, /may not be used from 192\.0\.2\.1/);
    // cached now: the allowlist still applies to a cached token
    expectError(await whoami(token, '127.0.0.1'), 401, 'INVALID_TOKEN');
  });

  it('lists limits, the prefix, automation and last use; expired tokens fail', async () => {
    const created = (await mint({ description: 'ci', automation: true, namespaces: ['alice'], expiresInDays: 30 })).json();
    assert.equal((await whoami(created.token)).statusCode, 200);
    const list = (await t.app.inject({ url: '/auth/tokens', headers: bearer(alice.token) })).json().objects as Array<
      Record<string, unknown>
    >;
    const listed = list.find((x) => x.id === created.id);
    assert.ok(listed);
    assert.equal(listed.automation, true);
    assert.deepEqual(listed.namespaces, ['alice']);
    assert.equal(listed.prefix, created.token.slice(0, 11));
    assert.equal('token' in listed, false, 'the secret is shown once');
    // last use is recorded off the request path, at most once a minute per token
    const deadline = Date.now() + 30_000;
    for (;;) {
      const row = await t.deps.db.selectFrom('tokens').select('last_used_at').where('id', '=', created.id).executeTakeFirstOrThrow();
      if (row.last_used_at) break;
      assert.ok(Date.now() < deadline, 'last use was recorded within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await t.deps.db
      .updateTable('tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', created.id)
      .execute();
    const fresh = await createToken(t.deps, { userId: alice.id, description: 'x', expiresAt: new Date(Date.now() + 1000) });
    await t.deps.db
      .updateTable('tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', fresh.info.id)
      .execute();
    expectError(await whoami(fresh.token), 401, 'INVALID_TOKEN');
  });

  it('npm’s /-/npm/v1/tokens: create (password checked), list, revoke by id or by value', async () => {
    const post = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/-/npm/v1/tokens', headers: bearer(alice.token), payload });
    assert.equal((await post({ name: 'x', password: 'wrong' })).statusCode, 401);
    const created = await post({
      name: 'from npm',
      password: PASSWORD,
      packages: ['@alice/one'],
      scopes: ['@alice'],
      packages_and_scopes_permission: 'read-only',
      expires: 7,
      cidr_whitelist: ['127.0.0.1/32'],
      bypass_2fa: true,
    });
    assert.equal(created.statusCode, 201, created.body);
    const body = created.json();
    assert.equal(body.readonly, true);
    assert.equal(body.automation, true);
    assert.equal(body.name, 'from npm');
    assert.deepEqual([body.scopes, body.packages, body.cidr_whitelist], [['alice'], ['alice/one'], ['127.0.0.1/32']]);
    assert.ok(Date.parse(body.expires) > Date.now() + 6 * 86_400_000);
    const list = (await t.app.inject({ url: '/-/npm/v1/tokens', headers: bearer(alice.token) })).json();
    assert.equal(list.urls.next, null);
    const entry = list.objects.find((o: { key: string }) => o.key === body.key);
    assert.equal(entry.token, body.token.slice(0, 11));
    assert.ok(body.token.startsWith(entry.token), 'npm matches a token value by this prefix');

    assert.equal((await whoami(body.token)).statusCode, 200);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/-/npm/v1/tokens/token/${body.token}`, headers: bearer(alice.token) });
    assert.equal(revoked.statusCode, 204);
    assert.equal((await whoami(body.token)).statusCode, 401);
    const again = await t.app.inject({ method: 'DELETE', url: `/-/npm/v1/tokens/token/${body.key}`, headers: bearer(alice.token) });
    assert.equal(again.statusCode, 404);
  });

  it('a private package reads as absent to a token limited to other packages, and to an expired or revoked token', async () => {
    const priv = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/two/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    assert.equal(priv.statusCode, 200, priv.body);
    const read = (token: string, url = '/packages/package/alice/two') => t.app.inject({ url, headers: bearer(token) });
    assert.equal((await read(alice.token)).statusCode, 200, 'an unlimited token of a member reads it');
    const other = (await mint({ packages: ['alice/one'], scope: 'read' })).json().token;
    expectError(await read(other), 404, 'PACKAGE_NOT_FOUND');
    expectError(await read(other, '/@alice%2ftwo'), 404, 'PACKAGE_NOT_FOUND');
    assert.equal((await read(other, '/packages/package/alice/one')).statusCode, 200, 'a public package it covers');
    const covering = (await mint({ namespaces: ['alice'], scope: 'read' })).json();
    assert.equal((await read(covering.token)).statusCode, 200);
    assert.equal((await read(covering.token, '/@alice%2ftwo')).statusCode, 200);
    await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${covering.id}`, headers: bearer(alice.token) });
    // a revoked (or expired) token is refused outright on every route: 401, never the package
    expectError(await read(covering.token), 401, 'INVALID_TOKEN');
  });

  it('a revoked token never authenticates after the revocation answered, even with lookups in flight', async () => {
    for (let round = 0; round < 20; round += 1) {
      const { token, info } = await createToken(t.deps, { userId: alice.id, description: `race ${round}` });
      // lookups racing the revocation: some miss the cache and read the row before it is revoked
      const inFlight = Array.from({ length: 5 }, () => whoami(token));
      const revoked = await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${info.id}`, headers: bearer(alice.token) });
      assert.equal(revoked.statusCode, 204);
      await Promise.all(inFlight);
      const afterwards = await Promise.all(Array.from({ length: 5 }, () => whoami(token)));
      assert.deepEqual(
        afterwards.map((r) => r.statusCode),
        [401, 401, 401, 401, 401],
        `round ${round}: no request after the revocation answered was accepted`,
      );
    }
  });
});
