// Issue 9.1/9.6: a private package reads, on every route, as a package that does not exist to
// anyone without read access — anonymous, a member of another namespace, a member's token limited
// to another package, a member's expired token, a member's revoked token — and normally to members
// (and a token limited to it), with `Cache-Control: private`. An expired or revoked token is
// refused outright (401 INVALID_TOKEN) on every route, for every name: uniform, so no oracle —
// asserted identical for the private name and a name that does not exist.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createToken } from '@entropic/core';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';

const secretFile = 'module.exports = "secret";\n';
const objectUrl = (content: string) => `/objects/object/sha512/${createHash('sha512').update(content).digest('base64')}`;

/** Who reads, and the status every read route answers them for the private name and a name that does not exist. */
interface Outsider {
  who: string;
  token: string | undefined;
  status: 404 | 401;
}

describe('private packages', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  /** those who must see the private package as absent (filled in `before`) */
  const outsiders: Outsider[] = [];
  /** alice's token limited to `alice/secret`: a member's token that covers it */
  let covering: string;
  const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers: { ...(token ? bearer(token) : {}), ...headers } });

  /** Every read route of a package, for `name` (the private `secret`, or `nothing`, which does not exist). */
  const routes = (name: string) => [
    `/packages/package/alice/${name}`,
    `/packages/package/alice/${name}/versions`,
    `/packages/package/alice/${name}/versions/1.0.0`,
    `/packages/package/alice/${name}/dist-tags`,
    `/packages/package/alice/${name}/maintainers`,
    `/packages/package/alice/${name}/access`,
    `/@alice/${name}`,
    `/@alice/${name}/-/${name}-1.0.0.tgz`,
    `/-/package/@alice%2f${name}/dist-tags`,
    `/-/downloads/point/last-week/@alice/${name}`,
    `/-/downloads/range/last-week/alice/${name}`,
    `/www/packages/alice/${name}`,
    `/www/packages/alice/${name}/versions`,
    `/www/packages/alice/${name}/v/1.0.0/files`,
    `/www/packages/alice/${name}/v/1.0.0/files/index.js`,
    `/www/packages/alice/${name}/access`,
    // a file only the private version has, and one nothing has
    objectUrl(name === 'secret' ? secretFile : 'nobody stored this\n'),
  ];
  const mint = async (body: Record<string, unknown>) => {
    const minted = await t.app.inject({
      method: 'POST',
      url: '/auth/tokens',
      headers: bearer(alice.token),
      payload: { description: 'matrix', scope: 'read', ...body },
    });
    assert.equal(minted.statusCode, 201, minted.body);
    return minted.json() as { id: string; token: string };
  };

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    carol = await t.createUser('carol');
    await publishVersion(t.app, 'alice/secret', '1.0.0', { token: alice.token, files: { 'index.js': secretFile } });
    await publishVersion(t.app, 'alice/open', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'bob/theirs', '1.0.0', { token: bob.token });
    const made = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/secret/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    assert.equal(made.statusCode, 200, made.body);
    assert.deepEqual(made.json(), { private: true, package_private: true, namespace_private: false });
    // carol joins alice's namespace: a member who is not the publisher
    const invited = await t.app.inject({ method: 'POST', url: '/namespaces/namespace/alice/members/carol', headers: bearer(alice.token) });
    assert.equal(invited.statusCode, 200, invited.body);
    const accepted = await t.app.inject({ method: 'POST', url: '/users/user/carol/memberships/alice', headers: bearer(carol.token) });
    assert.equal(accepted.statusCode, 200, accepted.body);
    await t.runJobs();

    // alice's own tokens that must not read it: limited to another package, expired, revoked
    const limited = await mint({ packages: ['alice/open'] });
    const expiring = await createToken(t.deps, { userId: alice.id, description: 'expired', expiresAt: new Date(Date.now() + 60_000) });
    await t.deps.db
      .updateTable('tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', expiring.info.id)
      .execute();
    const revoked = await mint({});
    assert.equal((await get('/auth/whoami', revoked.token)).statusCode, 200, 'the token worked (and is cached) before');
    const gone = await t.app.inject({ method: 'DELETE', url: `/auth/tokens/${revoked.id}`, headers: bearer(alice.token) });
    assert.equal(gone.statusCode, 204);
    outsiders.push(
      { who: 'anonymous', token: undefined, status: 404 },
      { who: 'bob (member of another namespace)', token: bob.token, status: 404 },
      { who: 'alice’s token limited to alice/open', token: limited.token, status: 404 },
      { who: 'alice’s expired token', token: expiring.token, status: 401 },
      { who: 'alice’s revoked token', token: revoked.token, status: 401 },
    );
    covering = (await mint({ packages: ['alice/secret'] })).token;
  });
  after(() => t?.close());

  it('outsiders (anonymous, another namespace, limited, expired and revoked tokens) get exactly the answer of a package that does not exist, on every route', async () => {
    const secret = routes('secret');
    const nothing = routes('nothing');
    assert.equal(outsiders.length, 5);
    for (const outsider of outsiders) {
      const { token } = outsider;
      for (const [i, url] of secret.entries()) {
        for (const accept of ['application/json', 'application/vnd.npm.install-v1+json']) {
          const seen = await get(url, token, { accept, 'accept-encoding': 'gzip' });
          const absent = await get(nothing[i] as string, token, { accept, 'accept-encoding': 'gzip' });
          const who = `${url} as ${outsider.who}`;
          assert.equal(seen.statusCode, outsider.status, `${who}: ${seen.statusCode} ${seen.body.slice(0, 200)}`);
          assert.equal(seen.statusCode, absent.statusCode, who);
          assert.equal(
            seen.body.replaceAll('secret', 'X'),
            absent.body.replaceAll('nothing', 'X').replace(/_csrf" value="[^"]+"/, ''),
            who,
          );
          for (const header of ['cache-control', 'content-type', 'etag', 'vary', 'www-authenticate']) {
            assert.equal(seen.headers[header], absent.headers[header], `${who}: ${header}`);
          }
        }
      }
    }
  });

  it('members (the publisher, another member of the namespace, a token limited to the package) read it, with Cache-Control: private', async () => {
    for (const [who, token] of [
      ['alice', alice.token],
      ['carol', carol.token],
      ['alice’s token limited to alice/secret', covering],
    ] as const) {
      for (const url of routes('secret')) {
        const seen = await get(url, token);
        assert.equal(seen.statusCode, 200, `${url} as ${who}: ${seen.body.slice(0, 200)}`);
        assert.match(String(seen.headers['cache-control']), /\bprivate\b/, `${url}: ${seen.headers['cache-control']}`);
        assert.doesNotMatch(String(seen.headers['cache-control']), /\bpublic\b/, url);
      }
    }
    const tarball = await get('/@alice/secret/-/secret-1.0.0.tgz', carol.token);
    // a revalidation by a member is a 304; the same ETag from an outsider is still a 404
    const etag = String(tarball.headers.etag);
    assert.equal((await get('/@alice/secret/-/secret-1.0.0.tgz', carol.token, { 'if-none-match': etag })).statusCode, 304);
    assert.equal((await get('/@alice/secret/-/secret-1.0.0.tgz', bob.token, { 'if-none-match': etag })).statusCode, 404);
    const doc = await get('/packages/package/alice/secret', carol.token);
    assert.equal((await get('/packages/package/alice/secret', undefined, { 'if-none-match': String(doc.headers.etag) })).statusCode, 404);
    // a public package stays public
    const open = await get('/packages/package/alice/open');
    assert.equal(open.statusCode, 200);
    assert.match(String(open.headers['cache-control']), /\bpublic\b/);
  });

  it('listings show it to members only; the home page lists public packages only', async () => {
    const names = (body: string) => (JSON.parse(body) as { objects: Array<{ name: string }> }).objects.map((p) => p.name);
    for (const url of [
      '/packages',
      '/packages/authored-by/alice',
      '/packages/maintained-by/alice',
      '/namespaces/namespace/alice/maintainerships',
    ]) {
      const anonymous = names((await get(url)).body);
      for (const token of [carol.token, covering]) {
        const member = names((await get(url, token)).body);
        assert.ok(member.includes(`alice@${t.host}/secret`), `${url} member: ${member}`);
      }
      for (const outsider of outsiders) {
        const seen = await get(url, outsider.token);
        if (outsider.status === 401) {
          // refused whatever it lists: the answer of any other route to that token
          assert.equal(seen.statusCode, 401, `${url} ${outsider.who}`);
          assert.equal(seen.body, (await get('/packages/maintained-by/bob', outsider.token)).body, `${url} ${outsider.who}`);
          continue;
        }
        const listed = names(seen.body);
        assert.ok(!listed.some((n) => n.endsWith('/secret')), `${url} ${outsider.who}: ${listed}`);
      }
      assert.ok(anonymous.includes(`alice@${t.host}/open`), url);
    }
    for (const url of ['/www', '/www/namespaces/alice', '/www/users/alice']) {
      const page = await get(url, bob.token);
      assert.equal(page.statusCode, 200, url);
      assert.ok(!page.body.includes('secret'), `${url} shows the private package to bob`);
    }
    assert.ok((await get('/www/namespaces/alice', carol.token)).body.includes('secret'), 'a member sees it on the namespace page');
  });

  it('search finds it for members only (Entropic website and npm search)', async () => {
    await t.runJobs();
    const npmNames = async (token?: string) =>
      ((await get('/-/v1/search?text=secret', token)).json() as { objects: Array<{ package: { name: string } }> }).objects.map(
        (o) => o.package.name,
      );
    assert.deepEqual(await npmNames(carol.token), ['@alice/secret']);
    assert.deepEqual(await npmNames(covering), ['@alice/secret']);
    for (const outsider of outsiders) {
      if (outsider.status === 401) {
        assert.equal((await get('/-/v1/search?text=secret', outsider.token)).statusCode, 401, outsider.who);
        assert.equal((await get('/www/search?q=secret', outsider.token)).statusCode, 401, outsider.who);
        continue;
      }
      assert.deepEqual(await npmNames(outsider.token), [], outsider.who);
      assert.doesNotMatch((await get('/www/search?q=secret', outsider.token)).body, /\/www\/packages\/alice[^/"]*\/secret/, outsider.who);
    }
    const npmTotal = (await get('/-/v1/search?text=secret')).json() as { total: number };
    assert.equal(npmTotal.total, 0);
    const link = /\/www\/packages\/alice[^/"]*\/secret/;
    assert.doesNotMatch((await get('/www/search?q=secret', bob.token)).body, link);
    assert.match((await get('/www/search?q=secret', carol.token)).body, link);
  });

  it('outsiders cannot write it either, and are told what a missing package would tell them', async () => {
    for (const name of ['secret', 'nothing']) {
      const tag = await t.app.inject({
        method: 'PUT',
        url: `/packages/package/alice/${name}/dist-tags/beta`,
        headers: bearer(bob.token),
        payload: { version: '1.0.0' },
      });
      assert.equal(tag.statusCode, 403, tag.body);
      assert.equal(tag.json().code, 'NOT_A_MEMBER');
    }
    const access = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/secret/access',
      headers: bearer(bob.token),
      payload: { private: false },
    });
    assert.equal(access.statusCode, 403);
  });

  it('a revoked member reads nothing once the removal answered; a private namespace makes all its packages private', async () => {
    const removed = await t.app.inject({
      method: 'DELETE',
      url: '/namespaces/namespace/alice/members/carol',
      headers: bearer(alice.token),
    });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal((await get('/@alice/secret', carol.token)).statusCode, 404);
    assert.equal((await get('/packages/package/alice/secret', carol.token)).statusCode, 404);
    const ns = await t.app.inject({
      method: 'PUT',
      url: '/namespaces/namespace/alice/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    assert.equal(ns.statusCode, 200, ns.body);
    assert.equal((await get('/@alice/open')).statusCode, 404, 'cached public answers were dropped');
    assert.equal((await get('/@alice/open', alice.token)).statusCode, 200);
    const refused = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/open/access',
      headers: bearer(alice.token),
      payload: { private: false },
    });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().code, 'NAMESPACE_IS_PRIVATE');
    await t.app.inject({
      method: 'PUT',
      url: '/namespaces/namespace/alice/access',
      headers: bearer(alice.token),
      payload: { private: false },
    });
    assert.equal((await get('/@alice/open')).statusCode, 200);
    assert.equal((await get('/@alice/secret')).statusCode, 404, 'its own setting stays');
  });
});
