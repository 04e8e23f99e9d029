// Issue 9.1/9.6: a private package reads, on every route, as a package that does not exist to
// anyone without read access (anonymous, a member of another namespace), and normally to members,
// with `Cache-Control: private`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';

describe('private packages', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
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
  ];

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    carol = await t.createUser('carol');
    await publishVersion(t.app, 'alice/secret', '1.0.0', { token: alice.token, files: { 'index.js': 'module.exports = "secret";\n' } });
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
  });
  after(() => t?.close());

  it('outsiders (anonymous, another namespace) get exactly the answer of a package that does not exist, on every route', async () => {
    const secret = routes('secret');
    const nothing = routes('nothing');
    for (const token of [undefined, bob.token]) {
      for (const [i, url] of secret.entries()) {
        for (const accept of ['application/json', 'application/vnd.npm.install-v1+json']) {
          const seen = await get(url, token, { accept, 'accept-encoding': 'gzip' });
          const absent = await get(nothing[i] as string, token, { accept, 'accept-encoding': 'gzip' });
          const who = `${url} as ${token ? 'bob' : 'anonymous'}`;
          assert.equal(seen.statusCode, 404, `${who}: ${seen.statusCode} ${seen.body.slice(0, 200)}`);
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

  it('members (the publisher and another member of the namespace) read it, with Cache-Control: private', async () => {
    for (const user of [alice, carol]) {
      for (const url of routes('secret')) {
        const seen = await get(url, user.token);
        assert.equal(seen.statusCode, 200, `${url} as ${user.name}: ${seen.body.slice(0, 200)}`);
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
      const outsider = names((await get(url, bob.token)).body);
      const anonymous = names((await get(url)).body);
      const member = names((await get(url, carol.token)).body);
      assert.ok(member.includes(`alice@${t.host}/secret`), `${url} member: ${member}`);
      assert.ok(!outsider.some((n) => n.endsWith('/secret')), `${url} bob: ${outsider}`);
      assert.ok(!anonymous.some((n) => n.endsWith('/secret')), `${url} anonymous: ${anonymous}`);
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
    assert.deepEqual(await npmNames(bob.token), []);
    assert.deepEqual(await npmNames(), []);
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
