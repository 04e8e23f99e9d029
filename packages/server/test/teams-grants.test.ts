import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, grantTeam, teamPermissions } from '@entropic/core';
import { bearer, createTestApp, publish, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import type { NamespaceName, PackageName } from '@entropic/types';
import { expectError } from './support/expect-error.ts';

describe('teams inside namespaces (issue 9.5): grants on packages and on the whole namespace', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  const acme = () => ({ namespace: 'acme' as NamespaceName, host: t.host as never });
  const pkg = (namespace: string, name: string) => ({
    namespace: namespace as NamespaceName,
    host: t.host as never,
    name: name as PackageName,
  });
  const alicePrincipal = () => ({ userId: alice.id, username: 'alice', scope: 'session' as const });
  const put = (url: string, token: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'PUT', url, headers: bearer(token), payload });

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    assert.equal((await t.app.inject({ method: 'PUT', url: '/namespaces/namespace/acme', headers: bearer(alice.token) })).statusCode, 201);
    await publishVersion(t.app, 'acme/web', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'acme/api', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'alice/own', '1.0.0', { token: alice.token });
  });
  after(() => t.close());

  it('refuses bad names, unknown teams, non-members, system namespaces and packages the namespace does not maintain', async () => {
    expectError(await put('/-/org/acme/team', alice.token, { name: 'Bad Name' }), 400, 'INVALID_FIELD');
    expectError(await put('/-/org/acme/team', bob.token, { name: 'ops' }), 403, 'NOT_A_MEMBER');
    expectError(await put('/-/org/legacy/team', alice.token, { name: 'ops' }), 400, 'SYSTEM_NAMESPACE');
    expectError(await put('/-/team/acme/nope/user', alice.token, { user: 'bob' }), 404, 'TEAM_NOT_FOUND');
    assert.equal((await put('/-/org/acme/team', alice.token, { name: 'ops' })).statusCode, 201);
    expectError(await put('/-/org/acme/team', alice.token, { name: 'ops' }), 409, 'TEAM_EXISTS');
    expectError(await put('/-/team/acme/ops/user', alice.token, { user: 'nobody' }), 404, 'USER_NOT_FOUND');
    expectError(
      await put('/-/team/acme/ops/package', alice.token, { package: '@alice/own', permissions: 'read-only' }),
      403,
      'NOT_A_MAINTAINER',
    );
    expectError(await put('/-/team/acme/ops/package', alice.token, { package: '@acme/web', permissions: 'admin' }), 400, 'INVALID_FIELD');
    expectError(await t.app.inject({ url: '/-/org/acme/team', headers: bearer(bob.token) }), 403, 'NOT_A_MEMBER');
    // a token limited to another namespace cannot manage acme's teams
    const limited = (
      await t.app.inject({
        method: 'POST',
        url: '/auth/tokens',
        headers: bearer(alice.token),
        payload: { description: 'x', namespaces: ['alice'] },
      })
    ).json().token;
    expectError(await put('/-/org/acme/team', limited, { name: 'other' }), 403, 'INSUFFICIENT_SCOPE');
  });

  it('a namespace-wide write grant covers every package the namespace maintains and new ones; read is not write', async () => {
    await createTeam(t.deps, { principal: alicePrincipal(), ref: acme(), team: 'all' });
    assert.equal((await put('/-/team/acme/all/user', alice.token, { user: 'bob' })).statusCode, 201);
    assert.deepEqual(await teamPermissions(t.deps.repos, { userId: bob.id, username: 'bob', scope: 'publish' }, []), new Map());
    expectError(await publish(t.app, 'acme/web', '1.0.1', { token: bob.token }), 403, 'NOT_A_MAINTAINER');
    expectError(await publish(t.app, 'acme/new', '1.0.0', { token: bob.token }), 403, 'NOT_A_MEMBER');

    await grantTeam(t.deps, { principal: alicePrincipal(), ref: acme(), team: 'all', pkg: null, permission: 'read' });
    const web = await t.deps.repos.packages.find('acme', null, 'web');
    const own = await t.deps.repos.packages.find('alice', null, 'own');
    assert.ok(web && own);
    const bobPrincipal = { userId: bob.id, username: 'bob', scope: 'publish' as const };
    const readOnly = await teamPermissions(t.deps.repos, bobPrincipal, [web.id, own.id]);
    assert.deepEqual([...readOnly], [[web.id, 'read']], 'read on acme’s packages, nothing on alice’s');
    expectError(await publish(t.app, 'acme/web', '1.0.1', { token: bob.token }), 403, 'NOT_A_MAINTAINER');

    await grantTeam(t.deps, { principal: alicePrincipal(), ref: acme(), team: 'all', pkg: null, permission: 'write' });
    assert.equal((await publish(t.app, 'acme/web', '1.0.1', { token: bob.token })).statusCode, 201);
    assert.equal((await publish(t.app, 'acme/api', '1.0.1', { token: bob.token })).statusCode, 201);
    assert.equal((await publish(t.app, 'acme/new', '1.0.0', { token: bob.token })).statusCode, 201);
    expectError(await publish(t.app, 'alice/own', '1.0.1', { token: bob.token }), 403, 'NOT_A_MAINTAINER');

    // a package grant and a namespace-wide grant: the stronger wins
    await grantTeam(t.deps, { principal: alicePrincipal(), ref: acme(), team: 'ops', pkg: pkg('acme', 'web'), permission: 'read' });
    await put('/-/team/acme/ops/user', alice.token, { user: 'bob' });
    assert.equal((await teamPermissions(t.deps.repos, bobPrincipal, [web.id])).get(web.id), 'write');

    const destroyed = await t.app.inject({ method: 'DELETE', url: '/-/team/acme/all', headers: bearer(alice.token) });
    assert.equal(destroyed.statusCode, 204);
    assert.equal((await teamPermissions(t.deps.repos, bobPrincipal, [web.id])).get(web.id), 'read');
    expectError(await publish(t.app, 'acme/web', '1.0.2', { token: bob.token }), 403, 'NOT_A_MAINTAINER');
  });

  it('npm owner add|rm (a document with maintainers and no versions) invites or removes maintainer namespaces and yanks nothing', async () => {
    const before = (await t.app.inject({ url: '/@acme%2fweb' })).json();
    assert.deepEqual(before.maintainers, [{ name: 'acme', email: `acme@${t.host}` }]);
    const owners = (maintainers: unknown, token = alice.token) =>
      t.app.inject({
        method: 'PUT',
        url: `/@acme%2fweb/-rev/${before._rev}`,
        headers: bearer(token),
        payload: { _id: '@acme/web', _rev: before._rev, maintainers },
      });
    const lookup = await t.app.inject({ url: '/-/user/org.couchdb.user:bob' });
    assert.deepEqual(lookup.json(), { _id: 'org.couchdb.user:bob', name: 'bob', email: `bob@${t.host}` });
    expectError(await t.app.inject({ url: '/-/user/org.couchdb.user:nobody' }), 404, 'NAMESPACE_NOT_FOUND');

    const added = await owners([...before.maintainers, { name: 'bob' }]);
    assert.equal(added.statusCode, 200, added.body);
    assert.match(String(added.headers['npm-notice']), /bob@.* invited to join the maintainers of acme@.*\/web/);
    const pending = await t.app.inject({ url: '/packages/package/acme/web/maintainers?status=pending' });
    assert.deepEqual(pending.json().objects, [`bob@${t.host}`]);
    // bob is not a maintainer yet: he may not invite; the packument lists accepted maintainers only
    expectError(await owners([...before.maintainers, { name: 'carol' }], bob.token), 403, 'NOT_A_MAINTAINER');
    assert.deepEqual((await t.app.inject({ url: '/@acme%2fweb' })).json().maintainers, before.maintainers);
    // npm owner add bob, by bob: accepting the invitation
    const accepted = await owners([...before.maintainers, { name: 'bob' }], bob.token);
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.match(String(accepted.headers['npm-notice']), /bob@.* is now a maintainer/);
    const both = (await t.app.inject({ url: '/@acme%2fweb' })).json();
    assert.deepEqual(
      both.maintainers.map((m: { name: string }) => m.name),
      ['acme', 'bob'],
    );

    expectError(await owners([]), 400, 'LAST_MAINTAINER');
    expectError(await owners('bob'), 400, 'INVALID_FIELD');
    expectError(await owners([{ name: 'Not A Name' }]), 400, 'INVALID_NAMESPACE');
    const removed = await owners([{ name: 'acme' }]);
    assert.equal(removed.statusCode, 200, removed.body);
    const after = (await t.app.inject({ url: '/@acme%2fweb' })).json();
    assert.deepEqual(after.maintainers, before.maintainers);
    assert.deepEqual(Object.keys(after.versions), Object.keys(before.versions));
    for (const v of Object.values(after.versions) as Array<{ deprecated?: string }>)
      assert.equal(v.deprecated, undefined, 'nothing was yanked');
  });
});
