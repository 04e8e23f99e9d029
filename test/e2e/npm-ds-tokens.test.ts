import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@entropic/core';
import { createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { runDs } from '../../packages/cli/test/support/ds-harness.ts';
import { npmEnv, run } from './support/npm-cli.ts';

const PASSWORD = 'npm token password';

describe('granular tokens with the real npm CLI and ds', { timeout: 300_000 }, () => {
  let t: TestApp;
  let alice: TestUser;
  let root: string;
  let home: string;
  let registry: string;

  const npm = (args: string[], token = alice.token) =>
    run('npm', [...args, `--//${registry.replace(/^http:\/\//, '')}:_authToken=${token}`, '--registry', registry], home, npmEnv(home));
  const npmFails = async (args: string[], token: string) => {
    try {
      await npm(args, token);
    } catch (error) {
      return (error as Error).message;
    }
    assert.fail(`npm ${args.join(' ')} succeeded`);
  };
  const ds = (args: string[], token = alice.token) =>
    runDs(args, home, { ...npmEnv(home), ENTROPIC_REGISTRY: t.url, ENTROPIC_TOKEN: token });

  before(async () => {
    t = await createTestApp();
    await t.listen();
    registry = `${t.url}/`;
    alice = await t.createUser('alice', { passwordHash: await hashPassword(PASSWORD) });
    await publishVersion(t.app, 'alice/one', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'alice/two', '1.0.0', { token: alice.token });
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-tokens-'));
    home = await mkdtemp(join(root, 'home-'));
    await writeFile(join(home, '.npmrc'), 'audit=false\nfund=false\nupdate-notifier=false\n');
  });
  after(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('npm token create (limited, read-only, CIDR, expiry, bypass-2fa), list and revoke', async () => {
    const created = JSON.parse(
      await npm([
        'token',
        'create',
        '--json',
        '--password',
        PASSWORD,
        '--name',
        'ci read',
        '--scopes',
        '@alice',
        '--packages-and-scopes-permission',
        'read-only',
        '--cidr',
        '127.0.0.1/32',
        '--expires',
        '30',
        '--bypass-2fa',
      ]),
    ) as { token: string; readonly: boolean; cidr_whitelist: string[]; scopes: string[]; automation: boolean; expires: string };
    assert.match(created.token, /^ent_v1_/);
    assert.deepEqual(
      [created.readonly, created.automation, created.scopes, created.cidr_whitelist],
      [true, true, ['alice'], ['127.0.0.1/32']],
    );
    assert.match(await npm(['whoami'], created.token), /^alice$/m);

    const wrong = await npmFails(['token', 'create', '--password', 'not it', '--name', 'x'], alice.token);
    assert.match(wrong, /401|password/i);

    const listed = JSON.parse(await npm(['token', 'list', '--json'])) as Array<{
      key: string;
      token: string;
      name: string;
      readonly: boolean;
    }>;
    const mine = listed.find((x) => x.name === 'ci read');
    assert.ok(mine, 'npm token list shows the new token');
    assert.equal(mine.readonly, true);
    assert.ok(created.token.startsWith(mine.token));
    const human = await npm(['token', 'list']);
    assert.match(human, /with IP whitelist: 127\.0\.0\.1\/32/);
    // npm redacts UUIDs (the key) from its --json output; its human list prints the shortest unique id
    const id = new RegExp(`Token ${mine.token}… with id (\\S+) name ci read`).exec(human)?.[1];
    assert.ok(id, human);

    // read-only: npm dist-tag add is a write
    assert.match(await npmFails(['dist-tag', 'add', '@alice/one@1.0.0', 'beta'], created.token), /403|scope/i);

    assert.match(await npm(['token', 'revoke', id]), /Removed 1 token/);
    assert.match(await npmFails(['whoami'], created.token), /401|E401/);
  });

  it('npm token revoke <full token value>', async () => {
    const created = JSON.parse(await npm(['token', 'create', '--json', '--password', PASSWORD, '--name', 'by value'])) as { token: string };
    assert.match(await npm(['whoami'], created.token), /^alice$/m);
    assert.match(await npm(['token', 'revoke', created.token]), /Removed 1 token/);
    assert.match(await npmFails(['whoami'], created.token), /401|E401/);
  });

  it('ds token create with limits; the limited token publishes only what it names', async () => {
    const created = await ds([
      'token',
      'create',
      '--description',
      'one only',
      '--packages',
      'alice/one',
      '--cidr',
      '127.0.0.0/8',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const token = created.json<{ id: string; token: string; packages: string[]; cidrs: string[] }>();
    assert.deepEqual([token.packages, token.cidrs], [['alice/one'], ['127.0.0.0/8']]);
    const list = await ds(['token', 'list']);
    assert.match(list.stdout, new RegExp(`${token.id}  publish .*only alice/one  from 127\\.0\\.0\\.0/8  one only`));

    const tagged = await npm(['dist-tag', 'add', '@alice/one@1.0.0', 'beta'], token.token);
    assert.match(tagged, /\+beta: @alice\/one@1\.0\.0/);
    assert.match(await npmFails(['dist-tag', 'add', '@alice/two@1.0.0', 'beta'], token.token), /403|scope/i);
    const refused = await ds(['token', 'create', '--description', 'escalate', '--json'], token.token);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'INSUFFICIENT_SCOPE');

    const revoked = await ds(['token', 'revoke', token.id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await ds(['whoami', '--json'], token.token);
    assert.equal(after.json<{ error: { code: string } }>().error.code, 'INVALID_TOKEN');
  });
});
