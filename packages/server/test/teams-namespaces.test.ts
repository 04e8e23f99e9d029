import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken } from '@entropic/core';
import { createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { type Call, expectCode, expectOk, injectCall, publishWith } from './support/team-calls.ts';

describe('teams: namespaces and organisations', () => {
  let t: TestApp;
  let call: Call;
  let alice: TestUser;
  let bob: TestUser;
  let readOnly: string;
  before(async () => {
    t = await createTestApp();
    call = injectCall(t.app);
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    readOnly = (await createToken(t.deps, { userId: alice.id, description: 'read', scope: 'read' })).token;
  });
  after(() => t.close());

  const all = async (): Promise<string[]> => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const answer = expectOk(await call('GET', `/namespaces?limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      assert.ok(answer.body.objects.length <= 2);
      names.push(...answer.body.objects);
      cursor = answer.body.next;
    } while (cursor);
    return names;
  };

  it('lists the namespaces of this host, sorted, page by page', async () => {
    const first = expectOk(await call('GET', '/namespaces')).body;
    const h = t.host;
    assert.deepEqual(first, { objects: [`abandonware@${h}`, `alice@${h}`, `bob@${h}`, `legacy@${h}`], next: null });
    assert.deepEqual(await all(), first.objects);
    expectCode(await call('GET', '/namespaces?cursor=nonsense'), 400, 'INVALID_CURSOR');
    expectCode(await call('GET', '/namespaces?limit=0'), 400, 'INVALID_LIMIT');
  });

  it('creates an organisation with the caller as its first accepted member', async () => {
    const created = expectOk(await call('PUT', '/namespaces/namespace/acme', alice.token), 201).body;
    assert.deepEqual(created, { name: `acme@${t.host}`, kind: 'org', members: ['alice'] });
    assert.deepEqual(expectOk(await call('GET', '/namespaces/namespace/acme/members')).body, { objects: ['alice'], next: null });
    assert.deepEqual(expectOk(await call('GET', '/users/user/alice/memberships')).body.objects, [`acme@${t.host}`, `alice@${t.host}`]);
    assert.ok((await all()).includes(`acme@${t.host}`));
    // the full `ns@host` form works too
    assert.deepEqual(expectOk(await call('GET', `/namespaces/namespace/acme@${t.host}/members`)).body.objects, ['alice']);
  });

  it('lets members publish to the organisation and nobody else', async () => {
    expectOk(await publishWith(call, 'acme/rocket', '1.0.0', alice.token), 201);
    expectCode(await publishWith(call, 'acme/other', '1.0.0', bob.token), 403, 'NOT_A_MEMBER');
    expectCode(await call('GET', '/packages/package/acme/other'), 404, 'PACKAGE_NOT_FOUND');
  });

  it('refuses taken, reserved, invalid and remote names, and stores nothing', async () => {
    const before = await all();
    expectCode(await call('PUT', '/namespaces/namespace/acme', bob.token), 409, 'NAMESPACE_EXISTS');
    expectCode(await call('PUT', '/namespaces/namespace/bob', alice.token), 409, 'NAMESPACE_EXISTS');
    expectCode(await call('PUT', '/namespaces/namespace/legacy', alice.token), 400, 'RESERVED_NAME');
    expectCode(await call('PUT', '/namespaces/namespace/admin', alice.token), 400, 'RESERVED_NAME');
    expectCode(await call('PUT', '/namespaces/namespace/Bad_Name', alice.token), 400, 'INVALID_NAMESPACE');
    expectCode(await call('PUT', '/namespaces/namespace/a', alice.token), 400, 'INVALID_NAMESPACE');
    expectCode(await call('PUT', '/namespaces/namespace/elsewhere@other.example', alice.token), 400, 'REMOTE_HOST');
    assert.deepEqual(await all(), before);
    // acme still has only alice: bob's 409 did not make him a member
    assert.deepEqual(expectOk(await call('GET', '/namespaces/namespace/acme/members')).body.objects, ['alice']);
  });

  it('needs a signed-in writer', async () => {
    expectCode(await call('PUT', '/namespaces/namespace/nobody-org'), 401, 'UNAUTHENTICATED');
    expectCode(await call('PUT', '/namespaces/namespace/nobody-org', readOnly), 403, 'INSUFFICIENT_SCOPE');
    expectCode(await call('PUT', '/namespaces/namespace/nobody-org', 'ent_v1_00000000-0000-4000-8000-000000000000'), 401, 'INVALID_TOKEN');
    expectCode(await call('GET', '/namespaces/namespace/nobody-org/members'), 404, 'NAMESPACE_NOT_FOUND');
  });

  it('answers concurrent creates of one name with one 201 and 409s', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call('PUT', '/namespaces/namespace/racers', i % 2 ? alice.token : bob.token)),
    );
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    const members = expectOk(await call('GET', '/namespaces/namespace/racers/members')).body.objects;
    assert.equal(members.length, 1);
  });

  it('lists unknown namespaces as 404 and validates list parameters', async () => {
    expectCode(await call('GET', '/namespaces/namespace/ghost/members'), 404, 'NAMESPACE_NOT_FOUND');
    expectCode(await call('GET', '/namespaces/namespace/ghost/maintainerships'), 404, 'NAMESPACE_NOT_FOUND');
    expectCode(await call('GET', '/namespaces/namespace/acme/maintainerships?status=bogus'), 400, 'INVALID_STATUS');
    expectCode(await call('GET', '/namespaces/namespace/acme/members?cursor=x'), 400, 'INVALID_CURSOR');
  });
});
