import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken } from '@entropic/core';
import { createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { type Call, expectCode, expectOk, injectCall, publishWith } from './support/team-calls.ts';

describe('teams: package maintainers and maintainership invitations', () => {
  let t: TestApp;
  let call: Call;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let bobReadOnly: string;
  const maintainers = async (pkg: string, status = '') =>
    expectOk(await call('GET', `/packages/package/${pkg}/maintainers${status ? `?status=${status}` : ''}`)).body.objects as string[];
  const maintainerships = async (ns: string, status = '') =>
    (
      expectOk(await call('GET', `/namespaces/namespace/${ns}/maintainerships${status ? `?status=${status}` : ''}`)).body.objects as {
        name: string;
      }[]
    ).map((doc) => doc.name);
  const at = (name: string) => `${name}@${t.host}`;

  before(async () => {
    t = await createTestApp();
    call = injectCall(t.app);
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    carol = await t.createUser('carol');
    bobReadOnly = (await createToken(t.deps, { userId: bob.id, description: 'read', scope: 'read' })).token;
    expectOk(await publishWith(call, 'alice/pkg', '1.0.0', alice.token), 201);
  });
  after(() => t.close());

  it('lists the accepted maintainers', async () => {
    assert.deepEqual(expectOk(await call('GET', '/packages/package/alice/pkg/maintainers')).body, { objects: [at('alice')], next: null });
    assert.deepEqual(await maintainerships('alice'), [`alice@${t.host}/pkg`]);
    expectCode(await call('GET', '/packages/package/alice/ghost/maintainers'), 404, 'PACKAGE_NOT_FOUND');
    expectCode(await call('GET', '/packages/package/alice/pkg/maintainers?status=nope'), 400, 'INVALID_STATUS');
  });

  it('refuses invitations from non-maintainers and of unknown or system namespaces', async () => {
    expectCode(await call('POST', '/packages/package/alice/pkg/maintainers/bob'), 401, 'UNAUTHENTICATED');
    expectCode(await call('POST', '/packages/package/alice/pkg/maintainers/bob', carol.token), 403, 'NOT_A_MAINTAINER');
    expectCode(await call('POST', '/packages/package/alice/pkg/maintainers/bob', bobReadOnly), 403, 'INSUFFICIENT_SCOPE');
    expectCode(await call('POST', '/packages/package/alice/pkg/maintainers/ghost', alice.token), 404, 'NAMESPACE_NOT_FOUND');
    expectCode(await call('POST', '/packages/package/alice/ghost/maintainers/bob', alice.token), 404, 'PACKAGE_NOT_FOUND');
    expectCode(await call('POST', '/packages/package/alice/pkg/maintainers/abandonware', alice.token), 400, 'SYSTEM_NAMESPACE');
    expectCode(await call('POST', '/packages/package/alice/pkg/maintainers/xy@other.example', alice.token), 400, 'REMOTE_HOST');
    assert.deepEqual(await maintainers('alice/pkg', 'pending'), []);
  });

  it('invites a namespace; inviting again says so; concurrent invites do not fail', async () => {
    const invited = expectOk(await call('POST', '/packages/package/alice/pkg/maintainers/bob', alice.token)).body;
    assert.equal(invited.outcome, 'invited');
    assert.match(invited.message, /bob@.* invited to join the maintainers of alice@.*\/pkg/);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => call('POST', '/packages/package/alice/pkg/maintainers/bob', alice.token)),
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.outcome]),
      Array.from({ length: 5 }, () => [200, 'already-invited']),
    );
    assert.deepEqual(await maintainers('alice/pkg'), [at('alice')]);
    assert.deepEqual(await maintainers('alice/pkg', 'pending'), [at('bob')]);
    assert.deepEqual(await maintainerships('bob', 'pending'), [`alice@${t.host}/pkg`]);
    assert.deepEqual(await maintainerships('bob'), []);
  });

  it('a pending maintainer can neither publish nor invite', async () => {
    expectCode(await publishWith(call, 'alice/pkg', '1.1.0', bob.token), 403, 'NOT_A_MAINTAINER');
    expectCode(await call('POST', '/packages/package/alice/pkg/maintainers/carol', bob.token), 403, 'NOT_A_MAINTAINER');
    expectCode(await call('DELETE', '/packages/package/alice/pkg', bob.token), 403, 'NOT_A_MAINTAINER');
    assert.deepEqual(Object.keys(expectOk(await call('GET', '/packages/package/alice/pkg')).body.versions), ['1.0.0']);
  });

  it('only an accepted member of the invited namespace accepts; twice is 200; nothing is 404', async () => {
    const path = '/namespaces/namespace/bob/maintainerships/alice/pkg';
    expectCode(await call('POST', path), 401, 'UNAUTHENTICATED');
    expectCode(await call('POST', path, carol.token), 403, 'NOT_A_MEMBER');
    expectCode(await call('POST', path, alice.token), 403, 'NOT_A_MEMBER');
    expectCode(await call('POST', path, bobReadOnly), 403, 'INSUFFICIENT_SCOPE');
    expectCode(await call('POST', '/namespaces/namespace/bob/maintainerships/alice/ghost', bob.token), 404, 'PACKAGE_NOT_FOUND');
    expectCode(await call('POST', '/namespaces/namespace/ghost/maintainerships/alice/pkg', bob.token), 404, 'NAMESPACE_NOT_FOUND');
    expectCode(await call('POST', '/namespaces/namespace/carol/maintainerships/alice/pkg', carol.token), 404, 'INVITATION_NOT_FOUND');
    const accepted = expectOk(await call('POST', path, bob.token)).body;
    assert.equal(accepted.outcome, 'accepted');
    assert.match(accepted.message, /bob@.* is now a maintainer of alice@.*\/pkg/);
    assert.equal(expectOk(await call('POST', path, bob.token)).body.outcome, 'already-maintainer');
    assert.equal(
      expectOk(await call('POST', '/packages/package/alice/pkg/maintainers/bob', alice.token)).body.outcome,
      'already-maintainer',
    );
    assert.deepEqual(await maintainers('alice/pkg'), [at('alice'), at('bob')]);
    assert.deepEqual(await maintainerships('bob'), [`alice@${t.host}/pkg`]);
    assert.deepEqual(await maintainerships('bob', 'pending'), []);
    expectOk(await publishWith(call, 'alice/pkg', '1.1.0', bob.token), 201);
  });

  it('declining deletes the invitation; declining again is 404', async () => {
    expectOk(await call('POST', '/packages/package/alice/pkg/maintainers/carol', bob.token));
    const path = '/namespaces/namespace/carol/maintainerships/alice/pkg';
    expectCode(await call('DELETE', path, bob.token), 403, 'NOT_A_MEMBER');
    const declined = expectOk(await call('DELETE', path, carol.token)).body;
    assert.equal(declined.outcome, 'declined');
    expectCode(await call('DELETE', path, carol.token), 404, 'INVITATION_NOT_FOUND');
    expectCode(await call('POST', path, carol.token), 404, 'INVITATION_NOT_FOUND');
    assert.deepEqual(await maintainers('alice/pkg', 'pending'), []);
  });

  it('a maintainer withdraws an invitation, removes maintainers, never the last', async () => {
    expectOk(await call('POST', '/packages/package/alice/pkg/maintainers/carol', alice.token));
    assert.equal(expectOk(await call('DELETE', '/packages/package/alice/pkg/maintainers/carol', alice.token)).body.outcome, 'withdrawn');
    assert.equal(
      expectOk(await call('DELETE', '/packages/package/alice/pkg/maintainers/carol', alice.token)).body.outcome,
      'not-a-maintainer',
    );
    assert.deepEqual(await maintainerships('carol', 'pending'), []);
    expectCode(await call('DELETE', '/packages/package/alice/pkg/maintainers/alice'), 401, 'UNAUTHENTICATED');
    expectCode(await call('DELETE', '/packages/package/alice/pkg/maintainers/alice', carol.token), 403, 'NOT_A_MAINTAINER');
    expectCode(await call('DELETE', '/packages/package/alice/pkg/maintainers/ghost', bob.token), 404, 'NAMESPACE_NOT_FOUND');
    const removed = expectOk(await call('DELETE', '/packages/package/alice/pkg/maintainers/alice', bob.token)).body;
    assert.equal(removed.outcome, 'removed');
    assert.match(removed.message, /alice@.* removed as maintainer of alice@.*\/pkg/);
    assert.deepEqual(await maintainers('alice/pkg'), [at('bob')]);
    expectCode(await publishWith(call, 'alice/pkg', '1.2.0', alice.token), 403, 'NOT_A_MAINTAINER');
    expectCode(await call('DELETE', '/packages/package/alice/pkg/maintainers/bob', bob.token), 400, 'LAST_MAINTAINER');
    expectCode(await call('DELETE', '/namespaces/namespace/bob/maintainerships/alice/pkg', bob.token), 400, 'LAST_MAINTAINER');
    assert.deepEqual(await maintainers('alice/pkg'), [at('bob')]);
  });

  it('a namespace stops maintaining from its own side', async () => {
    expectOk(await call('POST', '/packages/package/alice/pkg/maintainers/carol', bob.token));
    expectOk(await call('POST', '/namespaces/namespace/carol/maintainerships/alice/pkg', carol.token));
    const stopped = expectOk(await call('DELETE', '/namespaces/namespace/carol/maintainerships/alice/pkg', carol.token)).body;
    assert.equal(stopped.outcome, 'removed');
    assert.deepEqual(await maintainers('alice/pkg'), [at('bob')]);
  });

  it('two maintainers removing each other at once leave exactly one', async () => {
    expectOk(await publishWith(call, 'carol/duel', '1.0.0', carol.token), 201);
    expectOk(await call('POST', '/packages/package/carol/duel/maintainers/bob', carol.token));
    expectOk(await call('POST', '/namespaces/namespace/bob/maintainerships/carol/duel', bob.token));
    const answers = await Promise.all([
      call('DELETE', '/packages/package/carol/duel/maintainers/bob', carol.token),
      call('DELETE', '/packages/package/carol/duel/maintainers/carol', bob.token),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    // whichever runs second is no longer a maintainer (403) or would remove the last one (400)
    assert.equal(statuses[0], 200);
    assert.ok(statuses[1] === 400 || statuses[1] === 403, JSON.stringify(answers.map((a) => a.body)));
    assert.equal((await maintainers('carol/duel')).length, 1);
  });

  it('abandoning hands the package to abandonware and ends every other maintainership and invitation', async () => {
    expectOk(await publishWith(call, 'carol/old', '1.0.0', carol.token), 201);
    expectOk(await call('POST', '/packages/package/carol/old/maintainers/bob', carol.token));
    expectOk(await call('POST', '/namespaces/namespace/bob/maintainerships/carol/old', bob.token));
    expectOk(await call('POST', '/packages/package/carol/old/maintainers/alice', carol.token));
    expectCode(await call('DELETE', '/packages/package/carol/old', alice.token), 403, 'NOT_A_MAINTAINER');
    assert.equal((await call('DELETE', '/packages/package/carol/old', bob.token)).status, 204);
    assert.deepEqual(await maintainers('carol/old'), [at('abandonware')]);
    assert.deepEqual(await maintainers('carol/old', 'pending'), []);
    assert.ok(!(await maintainerships('bob')).includes(`carol@${t.host}/old`));
    assert.ok(!(await maintainerships('alice', 'pending')).includes(`carol@${t.host}/old`));
    expectCode(await call('POST', '/namespaces/namespace/alice/maintainerships/carol/old', alice.token), 404, 'INVITATION_NOT_FOUND');
    expectCode(await publishWith(call, 'carol/old', '1.0.1', carol.token), 409, 'PACKAGE_ABANDONED');
    expectCode(await publishWith(call, 'carol/old', '1.0.1', bob.token), 409, 'PACKAGE_ABANDONED');
    expectCode(await call('PUT', '/packages/package/carol/old', bob.token), 409, 'PACKAGE_ABANDONED');
    expectCode(await call('POST', '/packages/package/carol/old/maintainers/carol', carol.token), 403, 'NOT_A_MAINTAINER');
    const doc = expectOk(await call('GET', '/packages/package/carol/old')).body;
    assert.equal(doc.yanked, true);
    assert.deepEqual(doc.versions, {});
  });
});
