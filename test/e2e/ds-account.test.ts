import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DsWorld, startDsWorld } from '../../packages/cli/test/support/ds-harness.ts';

describe('ds account commands', () => {
  let world: DsWorld;
  before(async () => {
    world = await startDsWorld(['alice']);
  });
  after(async () => {
    await world?.stop();
  });

  it('ping', async () => {
    const user = await world.user();
    const human = await user.ds(['ping']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^PONG from ${world.registry.url} in \\d+ ms: pong`));
    const json = (await user.ds(['ping', '--json'])).json<{ registry: string; response: string }>();
    assert.deepEqual([json.registry, json.response], [world.registry.url, 'pong']);
  });

  it('whoami with ENTROPIC_TOKEN, with ~/.entropicrc, and without a token', async () => {
    const alice = await world.user({ as: 'alice' });
    assert.equal((await alice.ds(['whoami'])).stdout, 'alice\n');
    assert.equal((await alice.ds(['whoami', '--json'])).json<{ username: string }>().username, 'alice');

    const configured = await world.user();
    await writeFile(
      join(configured.home, '.entropicrc'),
      `registry = "${world.registry.url}"\n[registries."${world.registry.url}/"]\ntoken = "${world.tokens.alice}"\n`,
    );
    const viaConfig = await configured.ds(['whoami'], { env: { ENTROPIC_REGISTRY: '' } });
    assert.equal(viaConfig.code, 0, viaConfig.stderr);
    assert.equal(viaConfig.stdout, 'alice\n');

    const anonymous = await world.user();
    const missing = await anonymous.ds(['whoami']);
    assert.equal(missing.code, 4);
    assert.equal(missing.stderr.split('\n')[0], `ds: error NOT_LOGGED_IN: You are not logged in to ${world.registry.url}.`);
    assert.match(missing.stderr, /^hint: Run `ds login/m);

    const wrong = await anonymous.ds(['whoami', '--json'], { env: { ENTROPIC_TOKEN: 'ent_v1_00000000-0000-4000-8000-000000000000' } });
    assert.equal(wrong.code, 4);
    assert.equal(wrong.json<{ error: { code: string } }>().error.code, 'INVALID_TOKEN');
    assert.doesNotMatch(wrong.stderr + wrong.stdout, /00000000-0000-4000/, 'tokens are redacted from errors');
  });

  it('token create, list and revoke', async () => {
    const alice = await world.user({ as: 'alice' });
    const missing = await alice.ds(['token', 'create']);
    assert.equal(missing.code, 2);
    const created = await alice.ds(['token', 'create', '--description', 'ci deploys', '--read-only', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const token = created.json<{ id: string; token: string; scope: string }>();
    assert.match(token.token, /^ent_v1_/);
    assert.equal(token.scope, 'read');

    const human = await alice.ds(['token', 'create', '--description', 'laptop']);
    assert.match(human.stdout, /^ent_v1_[0-9a-f-]+\nToken [0-9a-f-]+ \(publish\)\. It is shown only once/);

    const listed = await alice.ds(['token', 'list', '--json']);
    const ids = listed.json<{ tokens: Array<{ id: string; description: string }> }>().tokens.map((t) => t.description);
    assert.ok(ids.includes('ci deploys') && ids.includes('laptop'));
    assert.match((await alice.ds(['token', 'list'])).stdout, new RegExp(`${token.id}  read .* ci deploys`));

    const withNew = await alice.ds(['whoami'], { env: { ENTROPIC_TOKEN: token.token } });
    assert.equal(withNew.stdout, 'alice\n');
    const revoked = await alice.ds(['token', 'revoke', token.id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `Revoked ${token.id}.\n`);
    const afterRevoke = await alice.ds(['whoami'], { env: { ENTROPIC_TOKEN: token.token } });
    assert.equal(afterRevoke.code, 4);
    const again = await alice.ds(['token', 'revoke', token.id, '--json']);
    assert.equal(again.code, 6);
    assert.equal(again.json<{ error: { code: string } }>().error.code, 'TOKEN_NOT_FOUND');
  });

  it('logout forgets the saved token', async () => {
    const user = await world.user();
    const rc = join(user.home, '.entropicrc');
    await writeFile(rc, `[registries."${world.registry.url}"]\ntoken = "${world.tokens.alice}"\nusername = "alice"\n`);
    assert.equal((await user.ds(['whoami'])).stdout, 'alice\n');
    const out = await user.ds(['logout']);
    assert.equal(out.stdout, `Logged out of ${world.registry.url}.\n`);
    assert.doesNotMatch(await readFile(rc, 'utf8'), /token/);
    assert.equal((await user.ds(['whoami'])).code, 4);
    assert.equal((await user.ds(['logout', '--json'])).json<{ loggedOut: boolean }>().loggedOut, false);
  });

  it('login starts a web login, prints the URL and polls until it times out', async () => {
    // ds-login.test.ts completes a login through the website; this checks the timeout.
    const user = await world.user();
    const started = Date.now();
    const out = await user.ds(['login', '--no-browser', '--timeout', '3']);
    assert.equal(out.code, 4, out.stderr);
    assert.match(out.stderr, new RegExp(`Open this URL in a browser to log in:\\n  ${world.registry.url}/www/login\\?cli=[0-9a-f-]+`));
    assert.match(out.stderr, /ds: error LOGIN_TIMEOUT: Timed out waiting for the browser login to finish\./);
    assert.ok(Date.now() - started < 15_000);
  });
});
