import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { type Call, expectCode, expectOk, fetchCall, injectCall, publishWith } from './support/team-calls.ts';

/**
 * Issue 4's "done when": two users form an organisation, publish to it, hand a package to
 * another namespace and back. Run once in-process and once over real HTTP.
 */
async function formPublishHandOffAndBack(call: Call, host: string, users: { alice: TestUser; bob: TestUser; carol: TestUser }) {
  const { alice, bob, carol } = users;
  const maintainers = async () => expectOk(await call('GET', '/packages/package/team/widget/maintainers')).body.objects;

  // two users form an organisation
  assert.deepEqual(expectOk(await call('PUT', '/namespaces/namespace/team', alice.token), 201).body.members, ['alice']);
  assert.match(expectOk(await call('POST', '/namespaces/namespace/team/members/bob', alice.token)).body.message, /invited to join/);
  assert.deepEqual(expectOk(await call('GET', '/users/user/bob/memberships?status=pending', bob.token)).body.objects, [`team@${host}`]);
  expectCode(await publishWith(call, 'team/widget', '0.1.0', bob.token), 403, 'NOT_A_MEMBER');
  assert.match(expectOk(await call('POST', '/users/user/bob/memberships/team', bob.token)).body.message, /bob is now a member of team@/);
  assert.deepEqual(expectOk(await call('GET', '/namespaces/namespace/team/members')).body.objects, ['alice', 'bob']);

  // both publish to it
  expectOk(await publishWith(call, 'team/widget', '1.0.0', bob.token), 201);
  expectOk(await publishWith(call, 'team/widget', '1.1.0', alice.token), 201);
  assert.deepEqual(await maintainers(), [`team@${host}`]);

  // hand the package to carol's namespace: invite, accept, the old maintainer steps down
  expectOk(await call('POST', '/packages/package/team/widget/maintainers/carol', alice.token));
  expectCode(await publishWith(call, 'team/widget', '1.2.0', carol.token), 403, 'NOT_A_MAINTAINER');
  assert.deepEqual(
    expectOk(await call('GET', '/namespaces/namespace/carol/maintainerships?status=pending')).body.objects.map(
      (d: { name: string }) => d.name,
    ),
    [`team@${host}/widget`],
  );
  expectOk(await call('POST', '/namespaces/namespace/carol/maintainerships/team/widget', carol.token));
  expectOk(await call('DELETE', '/packages/package/team/widget/maintainers/team', bob.token));
  assert.deepEqual(await maintainers(), [`carol@${host}`]);
  expectCode(await publishWith(call, 'team/widget', '1.2.0', alice.token), 403, 'NOT_A_MAINTAINER');
  expectOk(await publishWith(call, 'team/widget', '1.2.0', carol.token), 201);
  expectCode(await call('DELETE', '/packages/package/team/widget/maintainers/carol', carol.token), 400, 'LAST_MAINTAINER');

  // and back: carol invites the organisation, a member accepts for it, carol stops maintaining
  expectOk(await call('POST', '/packages/package/team/widget/maintainers/team', carol.token));
  expectOk(await call('POST', '/namespaces/namespace/team/maintainerships/team/widget', bob.token));
  expectOk(await call('DELETE', '/namespaces/namespace/carol/maintainerships/team/widget', carol.token));
  assert.deepEqual(await maintainers(), [`team@${host}`]);
  expectCode(await publishWith(call, 'team/widget', '1.3.0', carol.token), 403, 'NOT_A_MAINTAINER');
  expectOk(await publishWith(call, 'team/widget', '2.0.0', alice.token), 201);

  const doc = expectOk(await call('GET', '/packages/package/team/widget')).body;
  assert.equal(doc.owner, `team@${host}`);
  assert.deepEqual(Object.keys(doc.versions), ['1.0.0', '1.1.0', '1.2.0', '2.0.0']);
  assert.equal(doc.tags.latest, '2.0.0');
}

describe('teams: an organisation hands a package to another namespace and back', () => {
  let t: TestApp;
  let users: { alice: TestUser; bob: TestUser; carol: TestUser };
  before(async () => {
    t = await createTestApp();
    users = { alice: await t.createUser('alice'), bob: await t.createUser('bob'), carol: await t.createUser('carol') };
  });
  after(() => t.close());

  it('through app.inject', async () => {
    await formPublishHandOffAndBack(injectCall(t.app), t.host, users);
  });
});

describe('teams: the same hand-off against a listening server', () => {
  let t: TestApp;
  let users: { alice: TestUser; bob: TestUser; carol: TestUser };
  before(async () => {
    t = await createTestApp();
    users = { alice: await t.createUser('alice'), bob: await t.createUser('bob'), carol: await t.createUser('carol') };
    await t.listen();
  });
  after(() => t.close());

  it('over HTTP with fetch', async () => {
    assert.match(t.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await formPublishHandOffAndBack(fetchCall(t.url), t.host, users);
  });
});
