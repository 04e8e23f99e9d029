// Issue 16.4: the home page, the namespace list, users' pages and their pagination, and creating
// an organisation from the website (a CSRF-protected form calling the same use case as the API).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken, type DownloadCounter } from '@entropic/core';
import { createTestApp, publishVersion, type TestApp } from '@entropic/testkit';
import { signUpLocal, type WebClient } from './support/web-client.ts';

describe('website: home and listings', () => {
  let t: TestApp;
  let alice: WebClient;
  let token: string;
  const links = (body: string) => [...body.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] as string).replaceAll('&amp;', '&'));

  before(async () => {
    t = await createTestApp({ env: { DOWNLOAD_FLUSH_SECONDS: '3600' } });
    alice = await signUpLocal(t.app, 'alice');
    const user = await t.deps.db.selectFrom('users').select('id').where('name', '=', 'alice').executeTakeFirstOrThrow();
    token = (await createToken(t.deps, { userId: user.id, description: 'api', scope: 'publish' })).token;
    // 30 packages: more than one website page (25)
    for (let i = 0; i < 30; i++) await publishVersion(t.app, `alice/pkg-${String(i).padStart(2, '0')}`, '1.0.0', { token });
    await publishVersion(t.app, 'alice/pkg-03', '1.1.0', { token });
    for (let i = 0; i < 3; i++) await t.app.inject({ url: '/@alice/pkg-07/-/pkg-07-1.0.0.tgz' });
    await t.app.inject({ url: '/@alice/pkg-11/-/pkg-11-1.0.0.tgz' });
    await (t.app.downloads as DownloadCounter).flush();
  });
  after(() => t?.close());

  it('the home page: a search form, recently published and most downloaded packages, links onwards', async () => {
    const page = await t.app.inject({ url: '/www' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<form class="card" role="search" method="get" action="\/www\/search">/);
    assert.match(page.body, /<label for="home-search-q">[^<]+<\/label>\s*<input id="home-search-q" name="q"/);
    const recent = /data-testid="recent">([\s\S]*?)<\/ul>/.exec(page.body)?.[1] ?? '';
    const recentNames = [...recent.matchAll(/data-package="alice@[^/]+\/([^"]+)"/g)].map((m) => m[1]);
    assert.equal(recentNames.length, 10);
    assert.deepEqual(recentNames.slice(0, 3), ['pkg-03', 'pkg-29', 'pkg-28'], 'newest publish first, each package once');
    assert.match(recent, /1\.1\.0/);
    const popular = /data-testid="popular">([\s\S]*?)<\/ul>/.exec(page.body)?.[1] ?? '';
    assert.deepEqual(
      [...popular.matchAll(/data-package="alice@[^/]+\/([^"]+)"/g)].map((m) => m[1]),
      ['pkg-07', 'pkg-11'],
    );
    assert.match(popular, /3 downloads/);
    const hrefs = links(page.body);
    for (const href of ['/www/namespaces', '/www/search', '/www/login', `/www/packages/alice@${t.host}/pkg-07`]) {
      assert.ok(hrefs.includes(href), `the home page links to ${href}`);
    }
    const signedIn = await alice.get('/www');
    for (const href of ['/www/orgs/new', '/www/users/alice', '/www/tokens']) assert.ok(links(signedIn.body).includes(href), href);
  });

  it('namespaces → a namespace → its packages, 25 a page, with a next link', async () => {
    const list = await t.app.inject({ url: '/www/namespaces' });
    assert.equal(list.statusCode, 200);
    assert.ok(links(list.body).includes(`/www/namespaces/${encodeURIComponent(`alice@${t.host}`)}`));
    const first = await t.app.inject({ url: `/www/namespaces/alice` });
    assert.equal(first.statusCode, 200);
    const names = (body: string) => [...body.matchAll(/data-package="alice@[^/]+\/(pkg-\d+)"/g)].map((m) => m[1]);
    assert.equal(names(first.body).length, 25);
    const next = links(first.body).find((href) => href.includes('cursor='));
    assert.ok(next, 'a next page link');
    assert.ok(links(first.body).includes('/www/users/alice'), 'members link to their user page');
    const second = await t.app.inject({ url: next });
    assert.equal(second.statusCode, 200);
    assert.equal(names(second.body).length, 5);
    assert.equal(new Set([...names(first.body), ...names(second.body)]).size, 30, 'no package twice, none skipped');
    assert.equal(links(second.body).filter((href) => href.includes('cursor=')).length, 0);
    assert.equal((await t.app.inject({ url: '/www/namespaces/alice?cursor=bogus' })).statusCode, 400);
  });

  it("a user's page lists their packages (paginated) and namespaces", async () => {
    const page = await t.app.inject({ url: '/www/users/alice' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1>alice<\/h1>/);
    assert.equal([...page.body.matchAll(/data-package="/g)].length, 25);
    const next = links(page.body).find((href) => href.startsWith('/www/users/alice?packages='));
    assert.ok(next);
    assert.equal([...(await t.app.inject({ url: next })).body.matchAll(/data-package="/g)].length, 5);
    assert.match(page.body, new RegExp(`data-namespace="alice@${t.host.replaceAll('.', '\\.')}"`));
    assert.equal((await t.app.inject({ url: '/www/users/nobody' })).statusCode, 404);
  });

  it('creates an organisation from the website, with CSRF and the API rules', async () => {
    const anonymous = await t.app.inject({ url: '/www/orgs/new' });
    assert.equal(anonymous.statusCode, 303, 'signing in first');
    assert.match(String(anonymous.headers.location), /^\/www\/login/);
    const form = await alice.get('/www/orgs/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<label for="org-name">Name<\/label>/);
    const forged = await alice.post('/www/orgs/new', { name: 'forged' }, { csrf: false });
    assert.equal(forged.statusCode, 403);
    const invalid = await alice.post('/www/orgs/new', { name: 'Not Valid!' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /role="alert"/);
    assert.match(invalid.body, /value="Not Valid!"/, 'the form keeps what was typed (escaped)');
    const created = await alice.post('/www/orgs/new', { name: 'acme' });
    assert.equal(created.statusCode, 303);
    assert.equal(created.headers.location, `/www/namespaces/${encodeURIComponent(`acme@${t.host}`)}`);
    const page = await alice.follow(created);
    assert.match(page.body, /organisation/);
    assert.match(page.body, /data-member="alice"/);
    const taken = await alice.post('/www/orgs/new', { name: 'acme' });
    assert.equal(taken.statusCode, 409);
    const rows = await t.deps.db.selectFrom('namespaces').select('name').where('kind', '=', 'org').execute();
    assert.deepEqual(
      rows.map((r) => r.name),
      ['acme'],
      'only the valid, unforged request created one',
    );
    const mine = await alice.get('/www/users/alice');
    assert.match(mine.body, /data-namespace="acme@/);
  });
});
