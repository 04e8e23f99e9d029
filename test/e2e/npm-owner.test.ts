// Issue 9.4 with the real npm CLI: `npm owner ls|add|rm`. Owners are maintainer namespaces: `add`
// invites one (npm shows the answer as `npm notice`), the invited user's own `add` accepts, `rm`
// ends a maintainership but never the last; a private package's owners are as absent as it is.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { failing, npmUserEnv, run } from './support/npm-cli.ts';

describe('npm owner ls|add|rm with the real npm CLI', { timeout: 280_000 }, () => {
  let root: string;
  let t: TestApp;
  let registry: string;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-owner-'));
    t = await createTestApp();
    registry = `${await t.listen()}/`;
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    carol = await t.createUser('carol');
    await publishVersion(t.app, 'alice/lib', '1.0.0', { token: alice.token });
  });
  after(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('ls lists maintainer namespaces; add invites, the invitee’s add accepts; rm removes, never the last', async () => {
    const asAlice = await npmUserEnv(root, registry, 'alice', alice.token);
    const asBob = await npmUserEnv(root, registry, 'bob', bob.token);
    const asCarol = await npmUserEnv(root, registry, 'carol', carol.token);
    const owners = async (env: NodeJS.ProcessEnv) => (await run('npm', ['owner', 'ls', '@alice/lib'], root, env)).trim().split('\n');

    assert.deepEqual(await owners(asCarol), [`alice <alice@${t.host}>`]);
    const invited = await run('npm', ['owner', 'add', 'bob', '@alice/lib'], root, asAlice);
    assert.match(invited, /\+ bob \(@alice\/lib\)/);
    assert.match(invited, /npm notice bob@\S+ invited to join the maintainers of alice@\S+\/lib/);
    assert.deepEqual(await owners(asAlice), [`alice <alice@${t.host}>`], 'an invitation is not a maintainer');
    const tag = (token: string) =>
      t.app.inject({
        method: 'PUT',
        url: '/-/package/@alice%2flib/dist-tags/beta',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        payload: '"1.0.0"',
      });
    assert.equal((await tag(bob.token)).statusCode, 403);

    // someone else cannot add owners
    assert.match(await failing('npm', ['owner', 'add', 'carol', '@alice/lib'], root, asCarol), /403|not a maintainer/i);
    const accepted = await run('npm', ['owner', 'add', 'bob', '@alice/lib'], root, asBob);
    assert.match(accepted, /npm notice bob@\S+ is now a maintainer of alice@\S+\/lib/);
    assert.deepEqual(await owners(asCarol), [`alice <alice@${t.host}>`, `bob <bob@${t.host}>`]);
    assert.equal((await tag(bob.token)).statusCode, 201, 'a maintainer writes');

    assert.match(await run('npm', ['owner', 'rm', 'alice', '@alice/lib'], root, asBob), /- alice \(@alice\/lib\)/);
    assert.deepEqual(await owners(asCarol), [`bob <bob@${t.host}>`]);
    assert.equal((await tag(alice.token)).statusCode, 403, 'alice’s namespace no longer maintains it');
    assert.match(await failing('npm', ['owner', 'rm', 'bob', '@alice/lib'], root, asBob), /EOWNERRM|Cannot remove all owners/);
    assert.match(await failing('npm', ['owner', 'add', 'nobody-here', '@alice/lib'], root, asBob), /404/);
  });

  it('a private package’s owners are as absent to outsiders as a package that does not exist', async () => {
    await publishVersion(t.app, 'carol/hidden', '1.0.0', { token: carol.token });
    const made = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/carol/hidden/access',
      headers: bearer(carol.token),
      payload: { private: true },
    });
    assert.equal(made.statusCode, 200, made.body);
    const asCarol = await npmUserEnv(root, registry, 'carol2', carol.token);
    const asBob = await npmUserEnv(root, registry, 'bob2', bob.token);
    assert.match(await run('npm', ['owner', 'ls', '@carol/hidden'], root, asCarol), /carol </);
    for (const name of ['@carol/hidden', '@carol/nothing']) {
      assert.match(await failing('npm', ['owner', 'ls', name], root, asBob), /E404|404 Not Found/, name);
      assert.match(await failing('npm', ['owner', 'add', 'bob', name], root, asBob), /E404|404 Not Found/, name);
    }
  });
});
