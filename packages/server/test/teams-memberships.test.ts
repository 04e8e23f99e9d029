import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken } from '@entropic/core';
import { createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { type Call, expectCode, expectOk, injectCall, publishWith } from './support/team-calls.ts';

describe('teams: namespace memberships and invitations', () => {
  let t: TestApp;
  let call: Call;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let bobReadOnly: string;
  const members = async (ns: string) => expectOk(await call('GET', `/namespaces/namespace/${ns}/members`)).body.objects as string[];
  const pending = async (user: TestUser) =>
    expectOk(await call('GET', `/users/user/${user.name}/memberships?status=pending`, user.token)).body.objects as string[];

  before(async () => {
    t = await createTestApp();
    call = injectCall(t.app);
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    carol = await t.createUser('carol');
    dave = await t.createUser('dave');
    bobReadOnly = (await createToken(t.deps, { userId: bob.id, description: 'read', scope: 'read' })).token;
    expectOk(await call('PUT', '/namespaces/namespace/acme', alice.token), 201);
  });
  after(() => t.close());

  it('invites a user; inviting again says so (200)', async () => {
    const first = expectOk(await call('POST', '/namespaces/namespace/acme/members/bob', alice.token)).body;
    assert.equal(first.outcome, 'invited');
    assert.match(first.message, /bob invited to join acme@/);
    const again = expectOk(await call('POST', '/namespaces/namespace/acme/members/bob', alice.token)).body;
    assert.equal(again.outcome, 'already-invited');
    assert.match(again.message, /already been invited/);
    assert.deepEqual(await members('acme'), ['alice'], 'a pending invitation is not a membership');
  });

  it('shows pending invitations only to the invitee', async () => {
    assert.deepEqual(await pending(bob), [`acme@${t.host}`]);
    expectCode(await call('GET', '/users/user/bob/memberships?status=pending'), 401, 'UNAUTHENTICATED');
    expectCode(await call('GET', '/users/user/bob/memberships?status=pending', carol.token), 403, 'NOT_YOUR_ACCOUNT');
    // reading needs no publish scope
    assert.deepEqual(expectOk(await call('GET', '/users/user/bob/memberships?status=pending', bobReadOnly)).body.objects, [
      `acme@${t.host}`,
    ]);
    // accepted memberships are public
    assert.deepEqual(expectOk(await call('GET', '/users/user/bob/memberships')).body, { objects: [`bob@${t.host}`], next: null });
    expectCode(await call('GET', '/users/user/bob/memberships?status=maybe', bob.token), 400, 'INVALID_STATUS');
    expectCode(await call('GET', '/users/user/nobody/memberships'), 404, 'USER_NOT_FOUND');
    expectCode(await call('GET', '/users/user/bob@other.example/memberships'), 400, 'REMOTE_HOST');
  });

  it('a pending member can neither invite, remove nor publish', async () => {
    expectCode(await call('POST', '/namespaces/namespace/acme/members/carol', bob.token), 403, 'NOT_A_MEMBER');
    expectCode(await call('DELETE', '/namespaces/namespace/acme/members/alice', bob.token), 403, 'NOT_A_MEMBER');
    expectCode(await publishWith(call, 'acme/early', '1.0.0', bob.token), 403, 'NOT_A_MEMBER');
    expectCode(await call('GET', '/packages/package/acme/early'), 404, 'PACKAGE_NOT_FOUND');
    assert.deepEqual(await pending(carol), []);
  });

  it('only the invitee may accept, and only with a writer token', async () => {
    expectCode(await call('POST', '/users/user/bob/memberships/acme'), 401, 'UNAUTHENTICATED');
    expectCode(await call('POST', '/users/user/bob/memberships/acme', carol.token), 403, 'NOT_YOUR_ACCOUNT');
    expectCode(await call('POST', '/users/user/bob/memberships/acme', alice.token), 403, 'NOT_YOUR_ACCOUNT');
    expectCode(await call('POST', '/users/user/bob/memberships/acme', bobReadOnly), 403, 'INSUFFICIENT_SCOPE');
    expectCode(await call('DELETE', '/users/user/bob/memberships/acme', carol.token), 403, 'NOT_YOUR_ACCOUNT');
    assert.deepEqual(await pending(bob), [`acme@${t.host}`]);
  });

  it('accepting makes a member; accepting again is 200; what does not exist is 404', async () => {
    const accepted = expectOk(await call('POST', '/users/user/bob/memberships/acme', bob.token)).body;
    assert.equal(accepted.outcome, 'accepted');
    assert.match(accepted.message, /bob is now a member of acme@/);
    assert.equal(expectOk(await call('POST', '/users/user/bob/memberships/acme', bob.token)).body.outcome, 'already-member');
    assert.deepEqual(await members('acme'), ['alice', 'bob']);
    assert.deepEqual(await pending(bob), []);
    expectCode(await call('POST', '/users/user/carol/memberships/acme', carol.token), 404, 'INVITATION_NOT_FOUND');
    expectCode(await call('POST', '/users/user/carol/memberships/ghost', carol.token), 404, 'NAMESPACE_NOT_FOUND');
    // now bob may publish and invite
    expectOk(await publishWith(call, 'acme/bobs', '1.0.0', bob.token), 201);
    assert.equal(expectOk(await call('POST', '/namespaces/namespace/acme/members/carol', bob.token)).body.outcome, 'invited');
    assert.equal(expectOk(await call('POST', '/namespaces/namespace/acme/members/bob', alice.token)).body.outcome, 'already-member');
  });

  it('declining deletes the invitation; declining again is 404', async () => {
    const declined = expectOk(await call('DELETE', '/users/user/carol/memberships/acme', carol.token)).body;
    assert.equal(declined.outcome, 'declined');
    assert.match(declined.message, /declined/);
    expectCode(await call('DELETE', '/users/user/carol/memberships/acme', carol.token), 404, 'INVITATION_NOT_FOUND');
    expectCode(await call('POST', '/users/user/carol/memberships/acme', carol.token), 404, 'INVITATION_NOT_FOUND');
    assert.deepEqual(await members('acme'), ['alice', 'bob']);
    assert.deepEqual(await pending(carol), []);
  });

  it('refuses forbidden or unknown invitations with codes', async () => {
    expectCode(await call('POST', '/namespaces/namespace/acme/members/dave'), 401, 'UNAUTHENTICATED');
    expectCode(await call('POST', '/namespaces/namespace/acme/members/dave', bobReadOnly), 403, 'INSUFFICIENT_SCOPE');
    expectCode(await call('POST', '/namespaces/namespace/acme/members/dave', carol.token), 403, 'NOT_A_MEMBER');
    expectCode(await call('POST', '/namespaces/namespace/acme/members/nobody', alice.token), 404, 'USER_NOT_FOUND');
    expectCode(await call('POST', '/namespaces/namespace/ghost/members/dave', alice.token), 404, 'NAMESPACE_NOT_FOUND');
    expectCode(await call('POST', '/namespaces/namespace/legacy/members/dave', alice.token), 403, 'NOT_A_MEMBER');
    expectCode(await call('POST', '/namespaces/namespace/acme/members/Not_A_Name', alice.token), 400, 'INVALID_NAMESPACE');
    assert.deepEqual(await pending(dave), []);
  });

  it('concurrent invitations of one user do not fail', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call('POST', '/namespaces/namespace/acme/members/dave', i % 2 ? alice.token : bob.token)),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200, 200, 200],
    );
    assert.equal(answers.filter((a) => a.body.outcome === 'invited').length, 1);
    assert.deepEqual(await pending(dave), [`acme@${t.host}`]);
  });

  it('a member can withdraw an invitation', async () => {
    const withdrawn = expectOk(await call('DELETE', '/namespaces/namespace/acme/members/dave', bob.token)).body;
    assert.equal(withdrawn.outcome, 'withdrawn');
    assert.deepEqual(await pending(dave), []);
    assert.equal(expectOk(await call('DELETE', '/namespaces/namespace/acme/members/dave', bob.token)).body.outcome, 'not-a-member');
  });

  it('removes members, keeps the last one, and never removes a user from their own namespace', async () => {
    expectCode(await call('DELETE', '/namespaces/namespace/acme/members/bob'), 401, 'UNAUTHENTICATED');
    expectCode(await call('DELETE', '/namespaces/namespace/acme/members/bob', carol.token), 403, 'NOT_A_MEMBER');
    expectCode(await call('DELETE', '/namespaces/namespace/acme/members/nobody', alice.token), 404, 'USER_NOT_FOUND');
    const removed = expectOk(await call('DELETE', '/namespaces/namespace/acme/members/bob', alice.token)).body;
    assert.equal(removed.outcome, 'removed');
    assert.match(removed.message, /bob removed from acme@/);
    assert.deepEqual(await members('acme'), ['alice']);
    expectCode(await publishWith(call, 'acme/bobs', '1.0.1', bob.token), 403, 'NOT_A_MAINTAINER');
    expectCode(await call('DELETE', '/namespaces/namespace/acme/members/alice', alice.token), 400, 'LAST_MEMBER');
    expectCode(await call('DELETE', '/users/user/alice/memberships/acme', alice.token), 400, 'LAST_MEMBER');
    expectCode(await call('DELETE', '/users/user/alice/memberships/alice', alice.token), 400, 'CANNOT_LEAVE_OWN_NAMESPACE');
    // a second member of alice's own namespace still cannot remove alice from it
    expectOk(await call('POST', '/namespaces/namespace/alice/members/bob', alice.token));
    expectOk(await call('POST', '/users/user/bob/memberships/alice', bob.token));
    expectCode(await call('DELETE', '/namespaces/namespace/alice/members/alice', bob.token), 400, 'CANNOT_LEAVE_OWN_NAMESPACE');
    assert.deepEqual(await members('alice'), ['alice', 'bob']);
    assert.deepEqual(await members('acme'), ['alice']);
  });

  it('a member can leave (either route); leaving twice is 404', async () => {
    expectOk(await call('POST', '/namespaces/namespace/acme/members/carol', alice.token));
    expectOk(await call('POST', '/users/user/carol/memberships/acme', carol.token));
    const left = expectOk(await call('DELETE', '/users/user/carol/memberships/acme', carol.token)).body;
    assert.equal(left.outcome, 'left');
    expectCode(await call('DELETE', '/users/user/carol/memberships/acme', carol.token), 404, 'INVITATION_NOT_FOUND');
    expectOk(await call('POST', '/namespaces/namespace/acme/members/carol', alice.token));
    expectOk(await call('POST', '/users/user/carol/memberships/acme', carol.token));
    assert.equal(expectOk(await call('DELETE', '/namespaces/namespace/acme/members/carol', carol.token)).body.outcome, 'left');
    assert.deepEqual(await members('acme'), ['alice']);
  });

  it('two members leaving at once leave exactly one behind', async () => {
    expectOk(await call('PUT', '/namespaces/namespace/duo', alice.token), 201);
    expectOk(await call('POST', '/namespaces/namespace/duo/members/dave', alice.token));
    expectOk(await call('POST', '/users/user/dave/memberships/duo', dave.token));
    const answers = await Promise.all([
      call('DELETE', '/users/user/alice/memberships/duo', alice.token),
      call('DELETE', '/users/user/dave/memberships/duo', dave.token),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400]);
    assert.equal(answers.find((a) => a.status === 400)?.body.code, 'LAST_MEMBER');
    assert.equal((await members('duo')).length, 1);
  });

  it('lists members page by page', async () => {
    expectOk(await call('PUT', '/namespaces/namespace/crowd', alice.token), 201);
    for (const user of [bob, carol, dave]) {
      expectOk(await call('POST', '/namespaces/namespace/crowd/members/' + user.name, alice.token));
      expectOk(await call('POST', `/users/user/${user.name}/memberships/crowd`, user.token));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { objects: string[]; next: string | null } = expectOk(
        await call('GET', `/namespaces/namespace/crowd/members?limit=3${cursor ? `&cursor=${cursor}` : ''}`),
      ).body;
      seen.push(...page.objects);
      cursor = page.next;
    } while (cursor);
    assert.deepEqual(seen, ['alice', 'bob', 'carol', 'dave']);
  });
});
