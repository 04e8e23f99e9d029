import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { npmEnv, run } from './support/npm-cli.ts';

describe('teams and organisations with the real npm CLI (npm team, npm access grant|revoke, npm org)', { timeout: 290_000 }, () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let root: string;
  let home: string;

  const put = (url: string, token: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'PUT', url, headers: bearer(token), payload });
  const npm = (args: string[], token: string) =>
    run('npm', [...args, `--//${t.url.replace(/^http:\/\//, '')}/:_authToken=${token}`, '--registry', `${t.url}/`], home, npmEnv(home));
  /** a write bob or carol tries (in-process: the npm CLI runs the commands under test, not every check) */
  const tag = async (token: string, name: string) =>
    (
      await t.app.inject({
        method: 'PUT',
        url: `/-/package/@acme%2fweb/dist-tags/${name}`,
        headers: { ...bearer(token), 'content-type': 'application/json' },
        payload: '"1.0.0"',
      })
    ).statusCode;
  const npmFails = async (args: string[], token: string) => {
    try {
      await npm(args, token);
    } catch (error) {
      return (error as Error).message;
    }
    assert.fail(`npm ${args.join(' ')} succeeded`);
  };

  before(async () => {
    t = await createTestApp();
    await t.listen();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    carol = await t.createUser('carol');
    const org = await t.app.inject({ method: 'PUT', url: '/namespaces/namespace/acme', headers: bearer(alice.token) });
    assert.equal(org.statusCode, 201, org.body);
    await publishVersion(t.app, 'acme/web', '1.0.0', { token: alice.token });
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-teams-'));
    home = await mkdtemp(join(root, 'home-'));
    await writeFile(join(home, '.npmrc'), 'audit=false\nfund=false\nupdate-notifier=false\n');
  });
  after(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('npm team create|ls|add|rm|destroy and npm access grant|revoke give and take write access', async () => {
    assert.match(await npm(['team', 'create', '@acme:devs'], alice.token), /\+@acme:devs/);
    assert.match(await npmFails(['team', 'create', '@acme:devs'], alice.token), /409|exists/i);
    assert.match(await npm(['team', 'add', '@acme:devs', 'bob'], alice.token), /bob added to @acme:devs/);
    assert.match(await npm(['team', 'ls', '@acme'], alice.token), /acme:devs/);
    assert.match(await npm(['team', 'ls', '@acme:devs'], alice.token), /^bob$/m);

    // bob is in the team, but the team has no grant yet
    assert.equal(await tag(bob.token, 'beta'), 403);
    await npm(['access', 'grant', 'read-write', '@acme:devs', '@acme/web'], alice.token);
    const listed = JSON.parse(await npm(['access', 'list', 'packages', '@acme:devs', '--json'], alice.token));
    assert.deepEqual(listed, { '@acme/web': 'read-write' });
    assert.match(await npm(['dist-tag', 'add', '@acme/web@1.0.0', 'beta'], bob.token), /\+beta: @acme\/web@1\.0\.0/);

    const readOnly = await put('/-/team/acme/devs/package', alice.token, { package: '@acme/web', permissions: 'read-only' });
    assert.equal(readOnly.statusCode, 201);
    assert.equal(await tag(bob.token, 'next'), 403);
    await put('/-/team/acme/devs/package', alice.token, { package: '@acme/web', permissions: 'read-write' });
    await npm(['access', 'revoke', '@acme:devs', '@acme/web'], alice.token);
    // the revocation answered: bob's next write is refused
    assert.equal(await tag(bob.token, 'next'), 403);

    await put('/-/team/acme/devs/package', alice.token, { package: '@acme/web', permissions: 'read-write' });
    assert.match(await npm(['team', 'rm', '@acme:devs', 'bob'], alice.token), /bob removed from @acme:devs/);
    assert.equal(await tag(bob.token, 'next'), 403);
    assert.match(await npm(['team', 'destroy', '@acme:devs'], alice.token), /-@acme:devs/);
    assert.equal((await t.app.inject({ url: '/-/team/acme/devs/user', headers: bearer(alice.token) })).statusCode, 404);
  });

  it('npm org set|ls|rm: owner/admin are membership invitations, developer is the developers team', async () => {
    assert.match(
      await npm(['org', 'set', 'acme', 'carol', 'developer'], alice.token),
      /Added carol as developer to acme\. You now have 2 members in this org\./,
    );
    assert.match(await npm(['org', 'set', 'acme', 'bob', 'admin'], alice.token), /Added bob as admin to acme/);
    const roster = JSON.parse(await npm(['org', 'ls', 'acme', '--json'], alice.token));
    assert.deepEqual(roster, { alice: 'owner', carol: 'developer' }, 'bob’s invitation is pending until he accepts');
    const accepted = await t.app.inject({ method: 'POST', url: '/users/user/bob/memberships/acme', headers: bearer(bob.token) });
    assert.ok(accepted.statusCode < 300, accepted.body);
    assert.deepEqual((await t.app.inject({ url: '/-/org/acme/user', headers: bearer(alice.token) })).json(), {
      alice: 'owner',
      bob: 'owner',
      carol: 'developer',
    });

    // a developer has what the developers team is granted
    assert.equal(await tag(carol.token, 'dev'), 403);
    await put('/-/team/acme/developers/package', alice.token, { package: '@acme/web', permissions: 'read-write' });
    assert.equal(await tag(carol.token, 'dev'), 201);

    assert.match(await npm(['org', 'rm', 'acme', 'carol'], alice.token), /Successfully removed carol from acme\. You now have 2 members/);
    assert.equal(await tag(carol.token, 'dev2'), 403);
    assert.match(await npm(['org', 'rm', 'acme', 'bob'], alice.token), /You now have 1 member in this org/);
    assert.equal((await t.app.inject({ url: '/-/org/acme/user', headers: bearer(bob.token) })).statusCode, 403);
  });
});
