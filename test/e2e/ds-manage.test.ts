import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DsUser, type DsWorld, startDsWorld, tempDir, writeProject } from '../../packages/cli/test/support/ds-harness.ts';

describe('ds package and team management', () => {
  let world: DsWorld;
  let alice: DsUser;
  let bob: DsUser;
  let host: string;

  before(async () => {
    world = await startDsWorld(['alice', 'bob']);
    alice = await world.user({ as: 'alice' });
    bob = await world.user({ as: 'bob' });
    host = world.registry.host;
    for (const version of ['1.0.0', '1.1.0']) {
      const dir = await writeProject(await tempDir(), {
        'Package.toml': `name = "alice/pkg"\nversion = "${version}"\n`,
        'index.js': `module.exports = "${version}";\n`,
      });
      const out = await alice.ds(['publish'], { cwd: dir });
      assert.equal(out.code, 0, out.stderr);
    }
  });
  after(async () => {
    await world?.stop();
  });

  it('tag ls, add and rm', async () => {
    assert.equal((await alice.ds(['tag', 'ls', 'alice/pkg'])).stdout, 'latest: 1.1.0\n');
    const add = await alice.ds(['tag', 'add', 'alice/pkg@1.0.0', 'stable']);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout, `+stable: alice@${host}/pkg@1.0.0\n`);
    assert.deepEqual((await alice.ds(['tag', 'ls', 'alice/pkg', '--json'])).json<{ tags: object }>().tags, {
      latest: '1.1.0',
      stable: '1.0.0',
    });
    const rm = await alice.ds(['tag', 'rm', 'alice/pkg', 'stable', '--json']);
    assert.deepEqual(rm.json(), { package: `alice@${host}/pkg`, tag: 'stable' });
    const latest = await alice.ds(['tag', 'rm', 'alice/pkg', 'latest']);
    assert.equal(latest.code, 11);
    assert.match(latest.stderr, /^ds: error CANNOT_DELETE_LATEST: /);
    const noVersion = await alice.ds(['tag', 'add', 'alice/pkg', 'x']);
    assert.equal(noVersion.code, 2);
    const stranger = await bob.ds(['tag', 'add', 'alice/pkg@1.0.0', 'evil']);
    assert.equal(stranger.code, 5);
  });

  it('packages: all, by namespace', async () => {
    assert.match((await bob.ds(['packages'])).stdout, new RegExp(`^alice@${host}/pkg$`, 'm'));
    assert.deepEqual((await bob.ds(['packages', 'alice', '--json'])).json<{ packages: string[] }>().packages, [`alice@${host}/pkg`]);
    assert.equal((await bob.ds(['packages', 'bob'])).stdout, 'No packages.\n');
  });

  it('org create, invite, invitations, accept, members, leave, decline', async () => {
    const created = await alice.ds(['org', 'create', 'acme']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`^Created acme@${host}\\.`));
    assert.equal((await alice.ds(['org', 'create', 'acme'])).code, 7);

    const invited = await alice.ds(['invite', 'bob', '--namespace', 'acme']);
    assert.equal(invited.code, 0, invited.stderr);
    const pending = await bob.ds(['invitations', '--json']);
    assert.equal(pending.code, 0, pending.stderr);
    assert.ok(
      pending.json<{ namespaces: string[] }>().namespaces.some((n) => n.startsWith('acme')),
      pending.stdout,
    );
    assert.match((await bob.ds(['invitations'])).stdout, /namespace acme[^ ]*: ds accept acme/);

    const accepted = await bob.ds(['accept', 'acme']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(accepted.stdout, `You are now a member of acme@${host}.\n`);
    const members = await bob.ds(['members', 'acme', '--json']);
    assert.deepEqual(
      members
        .json<{ members: string[] }>()
        .members.map((m) => m.split('@')[0])
        .sort(),
      ['alice', 'bob'],
    );
    assert.match((await bob.ds(['members', 'acme'])).stdout, new RegExp(`^acme@${host} has 2 members:\\n`));

    const left = await bob.ds(['leave', 'acme']);
    assert.equal(left.code, 0, left.stderr);
    assert.equal(left.stdout, `You left acme@${host}.\n`);
    assert.equal((await alice.ds(['invite', 'bob', '--namespace', 'acme'])).code, 0);
    const declined = await bob.ds(['decline', 'acme', '--json']);
    assert.equal(declined.code, 0, declined.stderr);
    assert.equal(declined.json<{ action: string }>().action, 'decline');
    assert.equal((await bob.ds(['accept', 'acme'])).code, 6, 'nothing left to accept');
    assert.equal((await bob.ds(['invite', 'carol'])).code, 2, 'invite needs --namespace or --package');
  });

  it('package maintainers: invite a namespace, accept, maintainerships, leave', async () => {
    const invited = await alice.ds(['invite', 'bob', '--package', 'alice/pkg']);
    assert.equal(invited.code, 0, invited.stderr);
    const pending = await bob.ds(['invitations', '--json']);
    assert.ok(
      pending.json<{ packages: string[] }>().packages.some((p) => p.includes('pkg')),
      pending.stdout,
    );
    const accepted = await bob.ds(['accept', 'alice/pkg']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(accepted.stdout, `bob@${host} now maintains alice@${host}/pkg.\n`);
    const maintainers = await bob.ds(['members', 'alice/pkg', '--json']);
    assert.deepEqual(
      maintainers
        .json<{ members: string[] }>()
        .members.map((m) => m.split('@')[0])
        .sort(),
      ['alice', 'bob'],
    );
    const maintained = await bob.ds(['maintainerships', '--json']);
    assert.equal(maintained.code, 0, maintained.stderr);
    assert.ok(
      maintained.json<{ packages: string[] }>().packages.some((p) => p.includes('pkg')),
      maintained.stdout,
    );
    assert.match((await bob.ds(['maintainerships'])).stdout, new RegExp(`^bob@${host} maintains 1 package:`));
    const left = await bob.ds(['leave', 'alice/pkg']);
    assert.equal(left.code, 0, left.stderr);
    assert.equal((await bob.ds(['yank', 'alice/pkg@1.0.0'])).code, 5, 'no longer a maintainer');
  });

  it('yank moves latest; abandon needs --yes', async () => {
    const yanked = await alice.ds(['yank', 'alice/pkg@1.1.0']);
    assert.equal(yanked.code, 0, yanked.stderr);
    assert.equal(yanked.stdout, `Yanked alice@${host}/pkg@1.1.0.\n`);
    assert.equal((await alice.ds(['tag', 'ls', 'alice/pkg'])).stdout, 'latest: 1.0.0\n');
    assert.equal((await alice.ds(['yank', 'alice/pkg'])).code, 2, 'yank needs an exact version');

    const unconfirmed = await alice.ds(['abandon', 'alice/pkg']);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /hint: Run `ds abandon alice\/pkg --yes` to confirm\./);
    const abandoned = await alice.ds(['abandon', 'alice/pkg', '--yes', '--json']);
    assert.equal(abandoned.code, 0, abandoned.stderr);
    assert.deepEqual(abandoned.json(), { package: `alice@${host}/pkg` });
    const install = await bob.ds(['download', 'alice/pkg']);
    assert.notEqual(install.code, 0, 'an abandoned package has nothing to install');
  });
});
