import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publish, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { runDs } from '../../packages/cli/test/support/ds-harness.ts';
import { npmEnv } from './support/npm-cli.ts';

describe('ds team and ds access against a registry', { timeout: 290_000 }, () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let home: string;
  const ds = (args: string[], token = alice.token) =>
    runDs(args, home, { ...npmEnv(home), ENTROPIC_REGISTRY: t.url, ENTROPIC_TOKEN: token });

  before(async () => {
    t = await createTestApp();
    await t.listen();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    assert.equal((await t.app.inject({ method: 'PUT', url: '/namespaces/namespace/acme', headers: bearer(alice.token) })).statusCode, 201);
    await publishVersion(t.app, 'acme/web', '1.0.0', { token: alice.token });
    home = await mkdtemp(join(tmpdir(), 'entropic-ds-teams-'));
  });
  after(async () => {
    await t?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('creates a team, adds a user, grants the whole namespace, lists, revokes and destroys', async () => {
    const created = await ds(['team', 'create', 'acme:release', '--description', 'release managers']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created team acme:release.\n');
    assert.equal((await ds(['team', 'add', 'acme:release', 'bob'])).stdout, 'Added bob to acme:release.\n');
    const granted = await ds(['access', 'grant', 'write', 'acme:release']);
    assert.equal(granted.stdout, 'acme:release may now write every package its namespace maintains.\n', granted.stderr);
    assert.equal((await publish(t.app, 'acme/web', '1.0.1', { token: bob.token })).statusCode, 201);
    assert.equal((await publish(t.app, 'acme/cli', '1.0.0', { token: bob.token })).statusCode, 201, 'a new package in the namespace');

    assert.equal((await ds(['team', 'ls', 'acme'])).stdout, 'acme:release\n');
    const shown = (await ds(['team', 'ls', 'acme:release', '--json'])).json<{ team: { members: string[]; grants: unknown[] } }>();
    assert.deepEqual(shown.team.members, ['bob']);
    assert.deepEqual(shown.team.grants, [{ package: null, permission: 'write' }]);
    const notMember = await ds(['team', 'ls', 'acme', '--json'], bob.token);
    assert.equal(notMember.json<{ error: { code: string } }>().error.code, 'NOT_A_MEMBER');

    assert.match((await ds(['access', 'revoke', 'acme:release'])).stdout, /^Revoked acme:release's grant on the namespace\./);
    assert.equal((await publish(t.app, 'acme/web', '1.0.2', { token: bob.token })).statusCode, 403);
    const packageGrant = await ds(['access', 'grant', 'read', 'acme:release', 'acme/web']);
    assert.equal(packageGrant.code, 0, packageGrant.stderr);
    assert.equal((await publish(t.app, 'acme/web', '1.0.2', { token: bob.token })).statusCode, 403, 'read is not write');

    assert.equal((await ds(['team', 'rm', 'acme:release', 'bob'])).stdout, 'Removed bob from acme:release.\n');
    assert.equal((await ds(['team', 'destroy', 'acme:release'])).stdout, 'Deleted team acme:release.\n');
    const gone = await ds(['team', 'ls', 'acme:release', '--json']);
    assert.equal(gone.json<{ error: { code: string } }>().error.code, 'TEAM_NOT_FOUND');
    const usage = await ds(['team', 'create', 'no-colon']);
    assert.equal(usage.code, 2);
  });

  it('ds access get|set makes a package, or a whole namespace, private or public (and an outsider sees nothing)', async () => {
    await publishVersion(t.app, 'acme/api', '1.0.0', { token: alice.token });
    assert.equal((await ds(['access', 'get', 'acme/api'])).stdout, `acme@${t.host}/api: public\n`);
    const made = await ds(['access', 'set', 'private', 'acme/api']);
    assert.equal(made.stdout, `acme@${t.host}/api is now private.\n`, made.stderr);
    assert.equal((await ds(['access', 'get', 'acme/api'])).stdout, `acme@${t.host}/api: private\n`);
    assert.equal((await t.app.inject({ url: '/@acme/api' })).statusCode, 404, 'anonymous');
    // bob is no member: the package reads as one that does not exist
    const hidden = await ds(['access', 'get', 'acme/api', '--json'], bob.token);
    assert.equal(hidden.json<{ error: { code: string } }>().error.code, 'PACKAGE_NOT_FOUND');
    const refused = await ds(['access', 'set', 'public', 'acme/api', '--json'], bob.token);
    assert.notEqual(refused.code, 0);

    // ds install: a member installs it; an outsider, anonymous or not, is told what a missing package tells
    const install = async (dependency: string, token: string | undefined) => {
      const dir = await mkdtemp(join(home, 'project-'));
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { [dependency]: '^1.0.0' } }),
      );
      const env: Record<string, string> = { ...(npmEnv(home) as Record<string, string>), ENTROPIC_REGISTRY: t.url };
      if (token) env.ENTROPIC_TOKEN = token;
      else delete env.ENTROPIC_TOKEN;
      return runDs(['install', '--json'], dir, env);
    };
    const installed = await install('acme/api', alice.token);
    assert.equal(installed.code, 0, installed.stderr);
    for (const token of [bob.token, undefined]) {
      const hidden = await install('acme/api', token);
      const missing = await install('acme/nothing', token);
      assert.notEqual(hidden.code, 0);
      assert.equal(hidden.code, missing.code);
      assert.equal(
        hidden.stdout.replaceAll('acme/api', 'X').replaceAll('api', 'X'),
        missing.stdout.replaceAll('acme/nothing', 'X').replaceAll('nothing', 'X'),
      );
    }

    assert.equal((await ds(['access', 'set', 'private', 'acme'])).stdout, `acme@${t.host} is now private.\n`);
    assert.equal((await ds(['access', 'get', 'acme'])).stdout, `acme@${t.host}: private\n`);
    assert.equal((await ds(['access', 'get', 'acme/web'])).stdout, `acme@${t.host}/web: private (its namespace is private)\n`);
    assert.equal((await t.app.inject({ url: '/@acme/web' })).statusCode, 404);
    const stuck = await ds(['access', 'set', 'public', 'acme/web', '--json']);
    assert.equal(stuck.json<{ error: { code: string } }>().error.code, 'NAMESPACE_IS_PRIVATE');
    assert.equal((await ds(['access', 'set', 'public', 'acme'])).stdout, `acme@${t.host} is now public.\n`);
    assert.equal((await t.app.inject({ url: '/@acme/web' })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/@acme/api' })).statusCode, 404, 'its own setting stays');
    assert.equal((await ds(['access', 'set', 'public', 'acme/api'])).stdout, `acme@${t.host}/api is now public.\n`);
    assert.equal((await t.app.inject({ url: '/@acme/api' })).statusCode, 200);
    const usage = await ds(['access', 'set', 'secret', 'acme/api']);
    assert.equal(usage.code, 2);
  });
});
