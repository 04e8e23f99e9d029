import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { assertNoLeak } from './support/expect-error.ts';

const HOSTILE_DESCRIPTION = '<img src=x onerror=alert(1)> "quoted" & <script>alert(2)</script>';

describe('search: /-/v1/search and /www/search, indexed off the request path', () => {
  let t: TestApp;
  let alice: TestUser;
  const packageJson = (description: string, keywords: string[] = []) => JSON.stringify({ name: 'x', description, keywords });
  const api = (query: string) => t.app.inject({ method: 'GET', url: `/-/v1/search?${query}` });
  const page = (query: string) => t.app.inject({ method: 'GET', url: `/www/search?${query}` });

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    await publishVersion(t.app, 'alice/express-lite', '1.2.0', {
      token: alice.token,
      files: {
        'package.json': packageJson('A smaller web framework', ['http', 'router']),
        'README.md': '# Express lite\n\nRuns on a capybara.\n',
      },
    });
    await publishVersion(t.app, 'alice/hostile', '0.0.1', {
      token: alice.token,
      files: { 'package.json': packageJson(HOSTILE_DESCRIPTION, ['<b>kw</b>']), 'README.md': '<script>alert(3)</script> platypus' },
    });
    // README text is indexed once the render-readme job has rendered it (its package-changed re-indexes)
    await t.runJobs();
  });
  after(() => t.close());

  it('answers npm’s search shape: objects[].package, score, searchScore, total, time', async () => {
    const response = await api('text=express-lite&size=5');
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.total, 1);
    assert.equal(typeof body.time, 'string');
    const [object] = body.objects;
    assert.deepEqual(object.package.keywords, ['http', 'router']);
    assert.equal(object.package.name, '@alice/express-lite');
    assert.equal(object.package.scope, 'alice');
    assert.equal(object.package.version, '1.2.0');
    assert.equal(object.package.description, 'A smaller web framework');
    assert.ok(!Number.isNaN(Date.parse(object.package.date)));
    assert.equal(object.package.links.npm, `${t.url || `http://${t.host}`}/www/packages/alice@${t.host}/express-lite`);
    assert.deepEqual(object.package.publisher, { username: 'alice' });
    assert.deepEqual(object.package.maintainers, [{ username: 'alice' }]);
    assert.ok(object.score.final > 0 && object.score.final <= 1);
    assert.deepEqual(Object.keys(object.score.detail).sort(), ['maintenance', 'popularity', 'quality']);
    assert.equal(typeof object.searchScore, 'number');
    // README text and a typo find it too
    assert.equal((await api('text=capybara')).json().objects[0]?.package.name, '@alice/express-lite');
    assert.equal((await api('text=expres')).json().objects[0]?.package.name, '@alice/express-lite');
  });

  it('hostile and bad input: catalogue errors for empty, too long and bad paging; metacharacters are text; never a 500', async () => {
    for (const [query, code] of [
      ['', 'SEARCH_QUERY_EMPTY'],
      ['text=', 'SEARCH_QUERY_EMPTY'],
      ['text=%20%00%20', 'SEARCH_QUERY_EMPTY'],
      [`text=${'a'.repeat(201)}`, 'SEARCH_QUERY_TOO_LONG'],
      ['text=a&size=0', 'INVALID_LIMIT'],
      ['text=a&size=abc', 'INVALID_LIMIT'],
      ['text=a&size=1000', 'INVALID_LIMIT'],
      ['text=a&from=-1', 'INVALID_CURSOR'],
      ['text=a&from=99999999999', 'INVALID_CURSOR'],
    ] as const) {
      const response = await api(query);
      assert.equal(response.statusCode, 400, `${query}: ${response.body}`);
      assert.equal(response.json().code, code, query);
      assertNoLeak(response.body);
    }
    for (const text of ["'; DROP TABLE packages; --", '%', '_%_', '\\', '.*+?^${}()|[]', 'a:* & !b', '<script>', '\u{1F4A9}']) {
      const response = await api(`text=${encodeURIComponent(text)}&text=again`);
      assert.equal(response.statusCode, 200, `${text}: ${response.body}`);
    }
    assert.equal((await api(`text=${'x'.repeat(200)}`)).statusCode, 200, '200 characters is the limit');
    assert.equal((await api('text=express-lite')).json().total, 1, 'still there');
    const huge = await t.app.inject({ method: 'GET', url: `/-/v1/search?text=${'a'.repeat(10_000)}` });
    assert.ok([400, 414].includes(huge.statusCode), `a huge query is refused: ${huge.statusCode}`);
  });

  it('/www/search renders escaped results, a hint without a query, and 400 pages for bad input', async () => {
    const found = await page('q=platypus');
    assert.equal(found.statusCode, 200);
    assert.match(found.body, /href="\/www\/packages\/alice@[^/]+\/hostile"/);
    assert.doesNotMatch(found.body, /<img src=x|<script>alert|<b>kw/);
    assert.match(found.body, /&lt;img src=x onerror=alert\(1\)&gt;/);
    const xss = await page(`q=${encodeURIComponent('"><script>alert(1)</script>')}`);
    assert.equal(xss.statusCode, 200);
    assert.doesNotMatch(xss.body, /<script>alert/);
    assert.match(xss.body, /No packages match/);
    const empty = await page('');
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /Search package names/);
    for (const query of [`q=${'b'.repeat(201)}`, 'q=a&page=0', 'q=a&page=x', 'q=a&page=100000']) {
      const response = await page(query);
      assert.equal(response.statusCode, 400, query);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assertNoLeak(response.body);
    }
  });

  it('pages through results 20 at a time with previous/next links', async () => {
    const ns = (await t.deps.repos.namespaces.find('alice', null))?.id as number;
    for (let i = 0; i < 23; i++) {
      const { id } = await t.deps.repos.packages.ensure(ns, `paged-${i}`);
      await t.deps.repos.search.save({
        packageId: id,
        npmName: `@alice/paged-${i}`,
        namespace: 'alice',
        host: null,
        name: `paged-${i}`,
        version: '1.0.0',
        description: 'okapi fixture',
        keywords: [],
        maintainers: ['alice'],
        readme: '',
        publishedAt: new Date(),
        sourceModifiedAt: new Date(),
      });
    }
    const first = await page('q=okapi');
    assert.match(first.body, /23 packages match/);
    assert.equal(first.body.match(/class="card search-hit"/g)?.length, 20);
    assert.match(first.body, /rel="next" href="\/www\/search\?q=okapi&amp;page=2"/);
    const second = await page('q=okapi&page=2');
    assert.equal(second.body.match(/class="card search-hit"/g)?.length, 3);
    assert.match(second.body, /rel="prev"/);
    const api2 = (await api('text=okapi&size=20&from=20')).json();
    assert.equal(api2.total, 23);
    assert.equal(api2.objects.length, 3);
  });

  it('a publish, a yank and an abandon reach the index through their search-index jobs, not on the request path', async () => {
    await publishVersion(t.app, 'alice/short-lived', '1.0.0', { token: alice.token, files: { 'package.json': packageJson('narwhal') } });
    assert.equal((await api('text=narwhal')).json().total, 0, 'indexed before its job ran');
    assert.ok((await t.deps.repos.jobs.list({ kind: 'search-index', limit: 10 })).length > 0, 'the publish enqueued no search-index job');
    await t.runJobs();
    assert.equal((await api('text=narwhal')).json().total, 1);
    const yank = await t.app.inject({
      method: 'DELETE',
      url: '/packages/package/alice/short-lived/versions/1.0.0',
      headers: bearer(alice.token),
    });
    assert.ok(yank.statusCode < 300, yank.body);
    assert.equal((await api('text=narwhal')).json().total, 1, 'the yank changed the index before its job ran');
    await t.runJobs();
    assert.equal((await api('text=narwhal')).json().total, 0);
    const abandon = await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/express-lite', headers: bearer(alice.token) });
    assert.ok(abandon.statusCode < 300, abandon.body);
    await t.runJobs();
    assert.equal((await api('text=capybara')).json().total, 0);
  });
});
