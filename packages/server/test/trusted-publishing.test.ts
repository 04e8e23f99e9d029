import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken } from '@entropic/core';
import { bearer, createTestApp, publish as publishMultipart, type TestApp, type TestUser } from '@entropic/testkit';
import { OAuth2Server } from 'oauth2-mock-server';
import { expectError } from './support/expect-error.ts';
import { npmPublishBody, packageTarball } from './support/npm-publish-body.ts';
import { signUpLocal, WebClient } from './support/web-client.ts';

const REPO = 'alice/widgets';
const WORKFLOW = `${REPO}/.github/workflows/release.yml@refs/heads/main`;

/**
 * Issue 10.2: trusted publishing against a real OpenID Connect issuer (oauth2-mock-server: its
 * discovery document, its key set, tokens it signs). The registry's clock is a fake the test
 * moves to expire the exchanged token.
 */
describe('trusted publishing (issue 10.2)', () => {
  let t: TestApp;
  let issuer: OAuth2Server;
  let stranger: OAuth2Server;
  let alice: TestUser;
  let bob: TestUser;
  let now = new Date();
  let jti = 0;

  /** An id token as GitHub Actions issues it for the registry (`aud` npm:<host>), changed by `change`. */
  const idToken = (server: OAuth2Server, change: (payload: Record<string, unknown>) => void = () => {}, expiresIn = 300) => {
    jti += 1;
    const id = `jti-${jti}`;
    return server.issuer.buildToken({
      expiresIn,
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, {
          aud: 'npm:127.0.0.1',
          sub: `repo:${REPO}:ref:refs/heads/main`,
          repository: REPO,
          repository_owner: 'alice',
          workflow_ref: WORKFLOW,
          ref: 'refs/heads/main',
          sha: 'a'.repeat(40),
          run_id: '4242',
          jti: id,
        });
        change(payload as Record<string, unknown>);
      },
    });
  };

  const exchange = (name: string, token: string) =>
    t.app.inject({ method: 'POST', url: `/-/npm/v1/oidc/token/exchange/package/${encodeURIComponent(name)}`, headers: bearer(token) });
  const put = (name: string, body: unknown, token: string) =>
    t.app.inject({ method: 'PUT', url: `/${name.replace('/', '%2f')}`, headers: bearer(token), payload: body as Record<string, unknown> });
  const publish = async (name: string, version: string, token: string) =>
    put(name, npmPublishBody(name, version, await packageTarball(name, version)), token);

  before(async () => {
    issuer = new OAuth2Server();
    await issuer.issuer.keys.generate('RS256');
    await issuer.start(0, '127.0.0.1');
    stranger = new OAuth2Server();
    await stranger.issuer.keys.generate('RS256');
    await stranger.start(0, '127.0.0.1');
    t = await createTestApp({ env: { TRUSTED_PUBLISHING_ISSUERS: String(issuer.issuer.url) } });
    t.deps.clock = { now: () => now };
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    assert.equal((await publish('@alice/widgets', '1.0.0', alice.token)).statusCode, 201);
    assert.equal((await publish('@alice/gadgets', '1.0.0', alice.token)).statusCode, 201);
  });
  after(async () => {
    await t?.close();
    await issuer?.stop();
    await stranger?.stop();
  });

  const publishers = '/packages/package/alice/widgets/trusted-publishers';

  it('a maintainer adds a trusted publisher; bad ones and outsiders are refused', async () => {
    const add = (payload: Record<string, unknown>, token = alice.token) =>
      t.app.inject({ method: 'POST', url: publishers, headers: bearer(token), payload });
    expectError(await add({ issuer: 'https://token.actions.githubusercontent.com', claims: { repository: REPO } }), 400, 'INVALID_FIELD');
    expectError(await add({ issuer: issuer.issuer.url, claims: { ref: 'refs/heads/main' } }), 400, 'INVALID_FIELD');
    expectError(await add({ issuer: issuer.issuer.url, claims: { repository: REPO } }, bob.token), 403, 'NOT_A_MAINTAINER');
    const created = await add({ issuer: issuer.issuer.url, claims: { repository: REPO, workflow_ref: WORKFLOW } });
    assert.equal(created.statusCode, 201, created.body);
    const listed = await t.app.inject({ url: publishers, headers: bearer(alice.token) });
    assert.deepEqual(
      listed.json().objects.map((p: { issuer: string; claims: unknown; createdBy: string }) => [p.issuer, p.claims, p.createdBy]),
      [[issuer.issuer.url, { repository: REPO, workflow_ref: WORKFLOW }, 'alice']],
    );
    expectError(await t.app.inject({ url: publishers, headers: bearer(bob.token) }), 403, 'NOT_A_MAINTAINER');
  });

  it('refuses an id token for another repository, an expired one, one from an unknown issuer, a forged one, one for another audience', async () => {
    const before = await t.deps.db.selectFrom('tokens').select('id').execute();
    const mismatch = expectError(
      await exchange('@alice/widgets', await idToken(issuer, (p) => (p.repository = 'mallory/widgets'))),
      403,
      'TRUSTED_PUBLISHER_MISMATCH',
    );
    assert.match(mismatch.message, /No trusted publisher of "alice@127\.0\.0\.1:\d+\/widgets"|No trusted publisher/);
    expectError(
      await exchange(
        '@alice/widgets',
        await idToken(issuer, (p) => (p.workflow_ref = `${REPO}/.github/workflows/other.yml@refs/heads/main`)),
      ),
      403,
      'TRUSTED_PUBLISHER_MISMATCH',
    );
    const expired = expectError(await exchange('@alice/widgets', await idToken(issuer, () => {}, -120)), 401, 'OIDC_TOKEN_INVALID');
    assert.match(expired.message, /expired/);
    const unknown = expectError(await exchange('@alice/widgets', await idToken(stranger)), 401, 'OIDC_TOKEN_INVALID');
    assert.match(unknown.message, /not trusted/);
    // signed by the stranger's key, claiming to come from the trusted issuer
    const forged = expectError(
      await exchange('@alice/widgets', await idToken(stranger, (p) => (p.iss = issuer.issuer.url))),
      401,
      'OIDC_TOKEN_INVALID',
    );
    assert.match(forged.message, /signature/);
    const audience = expectError(
      await exchange('@alice/widgets', await idToken(issuer, (p) => (p.aud = 'npm:registry.npmjs.org'))),
      401,
      'OIDC_TOKEN_INVALID',
    );
    assert.match(audience.message, /audience/);
    expectError(await exchange('@alice/widgets', 'not-a-jwt'), 401, 'OIDC_TOKEN_INVALID');
    // the right identity, but for a package that does not name it
    expectError(await exchange('@alice/gadgets', await idToken(issuer)), 403, 'TRUSTED_PUBLISHER_MISMATCH');
    assert.deepEqual(await t.deps.db.selectFrom('tokens').select('id').execute(), before, 'no token was minted');
  });

  it('exchanges the right id token once for a short-lived token that publishes that package only, and records the identity', async () => {
    const oidc = await idToken(issuer);
    const answer = await exchange('@alice/widgets', oidc);
    assert.equal(answer.statusCode, 200, answer.body);
    const { token, expires } = answer.json() as { token: string; expires: string };
    assert.match(token, /^ent_v1_/);
    assert.equal(new Date(expires).getTime(), now.getTime() + 900_000);
    expectError(await exchange('@alice/widgets', oidc), 401, 'OIDC_TOKEN_INVALID'); // replayed

    const published = await publish('@alice/widgets', '1.1.0', token);
    assert.equal(published.statusCode, 201, published.body);
    const packument = (await t.app.inject({ url: '/@alice%2fwidgets' })).json();
    const npmUser = packument.versions['1.1.0']._npmUser;
    assert.equal(npmUser.trustedPublisher.issuer, issuer.issuer.url);
    assert.equal(npmUser.trustedPublisher.claims.repository, REPO);
    assert.equal(npmUser.trustedPublisher.claims.workflow_ref, WORKFLOW);
    assert.equal(npmUser.trustedPublisher.claims.sha, 'a'.repeat(40));
    assert.equal(packument.versions['1.0.0']._npmUser?.trustedPublisher, undefined, 'published with a maintainer token');
    const page = (await t.app.inject({ url: '/www/packages/alice/widgets/v/1.1.0' })).body;
    assert.match(
      page,
      /data-testid="published-by">Published from CI by trusted publishing: <span class="anywhere">alice\/widgets · alice\/widgets\/\.github\/workflows\/release\.yml@refs\/heads\/main<\/span>/,
    );
    assert.doesNotMatch((await t.app.inject({ url: '/www/packages/alice/widgets/v/1.0.0' })).body, /data-testid="published-by"/);

    // another package, other writes, account-wide actions: refused
    expectError(await publish('@alice/gadgets', '1.1.0', token), 403, 'INSUFFICIENT_SCOPE');
    const tag = await t.app.inject({
      method: 'PUT',
      url: '/-/package/@alice%2fwidgets/dist-tags/beta',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      payload: JSON.stringify('1.0.0'),
    });
    expectError(tag, 403, 'INSUFFICIENT_SCOPE');
    expectError(
      await t.app.inject({
        method: 'POST',
        url: publishers,
        headers: bearer(token),
        payload: { issuer: issuer.issuer.url, claims: { repository: 'x/y' } },
      }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    const list = await t.app.inject({ url: '/-/npm/v1/tokens', headers: bearer(alice.token) });
    assert.ok(!list.body.includes('trusted publishing'), "not in the owner's token list");

    // the audit log names the identity
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('action', 'like', 'trusted-publisher%')
      .execute();
    assert.deepEqual(audit.map((a) => a.action).sort(), ['trusted-publisher-added', 'trusted-publisher-exchange']);

    // the Entropic API's publish (what `ds publish` sends) takes it too
    const viaApi = await publishMultipart(t.app, 'alice/widgets', '1.1.1', { token });
    assert.equal(viaApi.statusCode, 201, viaApi.body);
    const row = await t.deps.db.selectFrom('versions').select('published_by').where('version', '=', '1.1.1').executeTakeFirstOrThrow();
    assert.equal(row.published_by?.claims.repository, REPO);

    // 15 minutes later the token is dead
    now = new Date(now.getTime() + 901_000);
    expectError(await publish('@alice/widgets', '1.2.0', token), 401, 'INVALID_TOKEN');
  });

  it('removing the trusted publisher kills the tokens exchanged for it', async () => {
    now = new Date();
    const answer = await exchange('@alice/widgets', await idToken(issuer));
    assert.equal(answer.statusCode, 200, answer.body);
    const { token } = answer.json() as { token: string };
    const [publisher] = (await t.app.inject({ url: publishers, headers: bearer(alice.token) })).json().objects;
    expectError(
      await t.app.inject({ method: 'DELETE', url: `${publishers}/${publisher.id}`, headers: bearer(bob.token) }),
      403,
      'NOT_A_MAINTAINER',
    );
    const removed = await t.app.inject({ method: 'DELETE', url: `${publishers}/${publisher.id}`, headers: bearer(alice.token) });
    assert.equal(removed.statusCode, 200, removed.body);
    expectError(
      await t.app.inject({ method: 'DELETE', url: `${publishers}/${publisher.id}`, headers: bearer(alice.token) }),
      404,
      'TRUSTED_PUBLISHER_NOT_FOUND',
    );
    expectError(await publish('@alice/widgets', '1.3.0', token), 401, 'INVALID_TOKEN');
    expectError(await exchange('@alice/widgets', await idToken(issuer)), 403, 'TRUSTED_PUBLISHER_MISMATCH');
  });
  it('the website lists, adds and removes trusted publishers for maintainers only', async () => {
    const carol = await signUpLocal(t.app, 'carol');
    const user = await t.deps.db.selectFrom('users').select('id').where('name', '=', 'carol').executeTakeFirstOrThrow();
    const { token } = await createToken(t.deps, { userId: Number(user.id), description: 'publish' });
    assert.equal((await publish('@carol/site', '1.0.0', token)).statusCode, 201);
    const page = '/www/packages/carol/site/trusted-publishers';

    assert.match(
      (await carol.get('/www/packages/carol/site')).body,
      /For maintainers: <a href="\/www\/packages\/carol@127\.0\.0\.1:\d+\/site\/trusted-publishers"/,
    );
    const anonymous = await new WebClient(t.app).get(page);
    assert.equal(anonymous.statusCode, 303, 'a sign-in first');
    const dave = await signUpLocal(t.app, 'dave');
    assert.equal((await dave.get(page)).statusCode, 403, 'not a maintainer');

    const empty = await carol.get(page);
    assert.equal(empty.statusCode, 200, empty.body);
    assert.match(empty.body, /data-testid="no-publishers"/);
    assert.match(empty.body, new RegExp(`<option value="${issuer.issuer.url}">`));
    const refused = await carol.post(page, { issuer: String(issuer.issuer.url), claims: 'ref=refs/heads/main' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /must name at least one of sub, repository/);
    const added = await carol.post(page, {
      issuer: String(issuer.issuer.url),
      claims: 'repository=carol/site\r\nworkflow_ref=carol/site/.github/workflows/ci.yml@refs/heads/main\r\n',
    });
    assert.equal(added.statusCode, 303, added.body);
    const listed = await carol.follow(added);
    assert.match(listed.body, /Trusted publisher added/);
    assert.match(listed.body, /<code class="anywhere">repository=carol\/site<\/code>/);
    assert.match(listed.body, /<code class="anywhere">workflow_ref=carol\/site\/\.github\/workflows\/ci\.yml@refs\/heads\/main<\/code>/);
    const stored = await t.app.inject({ url: '/packages/package/carol/site/trusted-publishers', headers: bearer(token) });
    const [publisher] = stored.json().objects;
    assert.deepEqual(publisher.claims, { repository: 'carol/site', workflow_ref: 'carol/site/.github/workflows/ci.yml@refs/heads/main' });

    assert.equal((await dave.post(`${page}/${publisher.id}/remove`, {})).statusCode, 403);
    const removed = await carol.post(`${page}/${publisher.id}/remove`, {});
    assert.equal(removed.statusCode, 303, removed.body);
    assert.match((await carol.follow(removed)).body, /data-testid="no-publishers"/);
  });
});
