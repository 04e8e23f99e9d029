import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken } from '@entropic/core';
import { createTestApp, type TestApp } from '@entropic/testkit';
import { type Call, expectOk, injectCall, publishWith } from './support/team-calls.ts';
import { signUpLocal, type WebClient } from './support/web-client.ts';

describe('teams: the namespace page', () => {
  let t: TestApp;
  let call: Call;
  let alice: WebClient;
  let bob: WebClient;
  let carol: WebClient;
  let aliceToken: string;
  let bobToken: string;
  const tokenOf = async (name: string) => {
    const user = await t.deps.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow();
    return (await createToken(t.deps, { userId: user.id, description: 'api', scope: 'publish' })).token;
  };
  const members = async (ns: string) => expectOk(await call('GET', `/namespaces/namespace/${ns}/members`)).body.objects as string[];

  before(async () => {
    t = await createTestApp();
    call = injectCall(t.app);
    alice = await signUpLocal(t.app, 'alice');
    bob = await signUpLocal(t.app, 'bob');
    carol = await signUpLocal(t.app, 'carol');
    aliceToken = await tokenOf('alice');
    bobToken = await tokenOf('bob');
    expectOk(await call('PUT', '/namespaces/namespace/acme', aliceToken), 201);
    expectOk(await publishWith(call, 'acme/rocket', '1.2.3', aliceToken), 201);
  });
  after(() => t.close());

  it('shows members and packages to anyone, without forms', async () => {
    const page = await t.app.inject({ url: '/www/namespaces/acme' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<h1>acme@[^<]+<\/h1>/);
    assert.match(page.body, /organisation/);
    assert.match(page.body, /data-member="alice"/);
    assert.match(page.body, /data-package="acme@[^"]+\/rocket"/);
    assert.match(page.body, /latest 1\.2\.3/);
    assert.doesNotMatch(page.body, /name="action" value="invite"/);
    const missing = await t.app.inject({ url: '/www/namespaces/ghost' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /does not exist/);
  });

  it('a member invites through a CSRF-protected form', async () => {
    const page = await alice.get('/www/namespaces/acme');
    assert.match(page.body, /name="action" value="invite"/);
    assert.match(page.body, /name="_csrf"/);
    const forged = await alice.post('/www/namespaces/acme', { action: 'invite', user: 'bob' }, { csrf: false });
    assert.equal(forged.statusCode, 403);
    assert.match(forged.body, /expired/);
    assert.deepEqual(expectOk(await call('GET', '/users/user/bob/memberships?status=pending', bobToken)).body.objects, []);
    const sent = await alice.post('/www/namespaces/acme', { action: 'invite', user: 'bob' });
    assert.equal(sent.statusCode, 303);
    const after = await alice.follow(sent);
    assert.match(after.body, /bob invited to join acme@/);
    assert.deepEqual(expectOk(await call('GET', '/users/user/bob/memberships?status=pending', bobToken)).body.objects, [`acme@${t.host}`]);
    const again = await alice.follow(await alice.post('/www/namespaces/acme', { action: 'invite', user: 'bob' }));
    assert.match(again.body, /already been invited/);
  });

  it('shows refusals on the page with their status', async () => {
    await alice.get('/www/namespaces/acme');
    const unknown = await alice.post('/www/namespaces/acme', { action: 'invite', user: 'nobody' });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /class="error"[^>]*>The user &quot;nobody&quot; does not exist/);
    await carol.get('/www/namespaces/acme');
    const outsider = await carol.post('/www/namespaces/acme', { action: 'invite', user: 'carol' });
    assert.equal(outsider.statusCode, 403);
    assert.match(outsider.body, /You are not a member of/);
  });

  it('the invitee accepts from the page and becomes a member', async () => {
    const page = await bob.get('/www/namespaces/acme');
    assert.match(page.body, /You are invited/);
    assert.match(page.body, /name="action" value="accept"/);
    assert.match(page.body, /name="action" value="decline"/);
    assert.doesNotMatch(page.body, /name="action" value="invite"/, 'a pending member cannot invite');
    const accepted = await bob.follow(await bob.post('/www/namespaces/acme', { action: 'accept' }));
    assert.match(accepted.body, /bob is now a member of acme@/);
    assert.doesNotMatch(accepted.body, /You are invited/);
    assert.match(accepted.body, /data-member="bob"/);
    assert.deepEqual(await members('acme'), ['alice', 'bob']);
  });

  it('an invitee declines from the page', async () => {
    await bob.get('/www/namespaces/acme');
    await bob.post('/www/namespaces/acme', { action: 'invite', user: 'carol' });
    const page = await carol.get('/www/namespaces/acme');
    assert.match(page.body, /You are invited/);
    const declined = await carol.follow(await carol.post('/www/namespaces/acme', { action: 'decline' }));
    assert.match(declined.body, /declined the invitation/);
    assert.deepEqual(await members('acme'), ['alice', 'bob']);
    const twice = await carol.post('/www/namespaces/acme', { action: 'decline' });
    assert.equal(twice.statusCode, 404);
  });

  it('lists package invitations and lets a member accept or decline them', async () => {
    expectOk(await call('POST', '/packages/package/acme/rocket/maintainers/bob', aliceToken));
    expectOk(await publishWith(call, 'alice/kit', '1.0.0', aliceToken), 201);
    expectOk(await call('POST', '/packages/package/alice/kit/maintainers/bob', aliceToken));
    const anonymous = await t.app.inject({ url: '/www/namespaces/bob' });
    assert.match(anonymous.body, /data-package-invitation="acme@[^"]+\/rocket"/);
    assert.doesNotMatch(anonymous.body, /value="accept-package"/);
    const page = await bob.get('/www/namespaces/bob');
    assert.match(page.body, /value="accept-package"/);
    const accepted = await bob.follow(
      await bob.post('/www/namespaces/bob', { action: 'accept-package', pkgnamespace: `acme@${t.host}`, pkgname: 'rocket' }),
    );
    assert.match(accepted.body, /bob@[^ ]+ is now a maintainer of acme@/);
    assert.match(accepted.body, /data-package="acme@[^"]+\/rocket"/);
    const declined = await bob.follow(
      await bob.post('/www/namespaces/bob', { action: 'decline-package', pkgnamespace: `alice@${t.host}`, pkgname: 'kit' }),
    );
    assert.match(declined.body, /declined the invitation to maintain alice@/);
    assert.doesNotMatch(declined.body, /data-package-invitation=/);
    assert.deepEqual(expectOk(await call('GET', '/packages/package/acme/rocket/maintainers')).body.objects, [
      `acme@${t.host}`,
      `bob@${t.host}`,
    ]);
    assert.deepEqual(expectOk(await call('GET', '/packages/package/alice/kit/maintainers')).body.objects, [`alice@${t.host}`]);
    // carol is not a member of bob: the form is refused even when posted by hand
    await carol.get('/www/namespaces/bob');
    const refused = await carol.post('/www/namespaces/bob', {
      action: 'decline-package',
      pkgnamespace: `acme@${t.host}`,
      pkgname: 'rocket',
    });
    assert.equal(refused.statusCode, 403);
  });

  it('a member removes another; the last member cannot leave', async () => {
    await alice.get('/www/namespaces/acme');
    const removed = await alice.follow(await alice.post('/www/namespaces/acme', { action: 'remove', user: 'bob' }));
    assert.match(removed.body, /bob removed from acme@/);
    assert.deepEqual(await members('acme'), ['alice']);
    const leave = await alice.post('/www/namespaces/acme', { action: 'leave' });
    assert.equal(leave.statusCode, 400);
    assert.match(leave.body, /last member/);
    assert.equal((await alice.post('/www/namespaces/acme', { action: 'bogus' })).statusCode, 400);
  });
});
