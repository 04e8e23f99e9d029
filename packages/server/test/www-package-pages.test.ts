import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DownloadCounter } from '@entropic/core';
import { createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';

const HOSTILE_README = [
  '# Hello <script>alert(1)</script>',
  '',
  '<img src=x onerror=alert(2)> [click](javascript:alert(3))',
  '',
  '```js',
  'const x = "</pre><script>alert(4)</script>";',
  '```',
].join('\n');

describe('website: package pages', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    const manifest = (version: string, description: string) =>
      JSON.stringify({
        name: 'lib',
        version,
        description,
        keywords: ['tools', '<b>bold</b>'],
        license: 'MIT',
        homepage: 'javascript:alert(5)',
      });
    await publishVersion(t.app, 'alice/lib', '1.0.0', {
      token: alice.token,
      files: { 'package.json': manifest('1.0.0', 'first'), 'README.md': '# Lib\n\nThe first one.', 'index.js': 'module.exports = 1;\n' },
    });
    await publishVersion(t.app, 'alice/lib', '1.1.0', {
      token: alice.token,
      files: {
        'package.json': manifest('1.1.0', 'A library <for> "tests"'),
        'README.md': HOSTILE_README,
        'index.js': 'module.exports = 2;\n',
      },
      fields: { dependencies: { 'bob/util': '^2.0.0', 'left-pad': '^1.3.0', 'carol@elsewhere.example/x': '*' } },
    });
    await publishVersion(t.app, 'bob/app', '0.1.0', { token: bob.token, fields: { dependencies: { 'alice/lib': '^1.0.0' } } });
    await t.runJobs(); // READMEs are rendered by the render-readme job
  });
  after(() => t?.close());

  const get = (url: string) => t.app.inject({ url });

  it('shows the default version: README (sanitised), description, versions, tags, dependencies, dependents, maintainers, install commands, integrity, size', async () => {
    const page = await get('/www/packages/alice/lib');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const body = page.body;
    assert.match(body, /<h1>alice@[^/]+\/lib<\/h1>/);
    assert.match(body, /data-testid="shown-version">1\.1\.0</);
    assert.match(body, /A library &lt;for&gt; &quot;tests&quot;/, 'the description is escaped');
    assert.doesNotMatch(body, /<script>alert|<img|href="javascript/, 'nothing from the README or manifest runs');
    assert.match(body, /&lt;script&gt;alert\(1\)/, 'it is shown as text');
    assert.match(body, /&lt;b&gt;bold&lt;\/b&gt;/, 'keywords are escaped');
    assert.match(body, /data-version="1\.1\.0"[\s\S]*data-version="1\.0\.0"/, 'newest first');
    assert.match(body, /latest: <a href="\/www\/packages\/alice@[^/]+\/lib\/v\/1\.1\.0">1\.1\.0<\/a>/);
    assert.match(body, /href="\/www\/packages\/bob@[^/]+\/util">bob@[^/]+\/util<\/a> <code>\^2\.0\.0<\/code>/);
    assert.match(body, /href="\/www\/packages\/legacy@[^/]+\/left-pad">/, 'npm names are legacy packages');
    assert.match(body, /href="\/www\/packages\/carol@elsewhere\.example\/x">/, 'other hosts too');
    assert.match(body, /data-testid="dependents"><li><a href="\/www\/packages\/bob@[^/]+\/app">/);
    assert.match(body, /data-testid="maintainers"><li><a href="\/www\/namespaces\/alice%40/);
    assert.match(body, /<code id="install-ds"[^>]*>ds install alice\/lib<\/code>/);
    assert.match(body, /<code id="install-npm"[^>]*>npm install @alice\/lib<\/code>/);
    assert.match(body, /<code id="install-yarn"[^>]*>yarn add @alice\/lib<\/code>/);
    assert.match(body, /data-testid="integrity">sha512-/);
    assert.match(body, /data-testid="signature">signed by this host<\/span> <span class="muted">key <code class="anywhere">[^<]+<\/code>/);
    assert.match(body, /data-testid="size">\d+ B</);
    assert.match(body, /Changes since 1\.0\.0/);
    assert.ok(Buffer.byteLength(body) < 100 * 1024, 'under 100 KB');
  });

  it('shows an explicit version with its own install commands and README', async () => {
    const page = await get('/www/packages/alice/lib/v/1.0.0');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /The first one\./);
    assert.match(page.body, /npm install @alice\/lib@1\.0\.0/);
    assert.match(page.body, /data-testid="dependents"/, 'dependents are of the package');
  });

  it('marks yanked and deprecated versions; the cache follows the change (a domain event, no hand invalidation)', async () => {
    assert.doesNotMatch((await get('/www/packages/alice/lib/versions')).body, /yanked/);
    const yank = await t.app.inject({
      method: 'DELETE',
      url: `/packages/package/alice/lib/versions/1.0.0`,
      headers: { authorization: `Bearer ${alice.token}` },
    });
    assert.ok(yank.statusCode < 300, yank.body);
    const versions = await get('/www/packages/alice/lib/versions');
    assert.match(versions.body, /data-version="1\.0\.0">[\s\S]*?yanked/);
    const yanked = await get('/www/packages/alice/lib/v/1.0.0');
    assert.match(yanked.body, /This version is yanked/);
  });

  it('a new dependent appears on the page of the package it depends on', async () => {
    assert.doesNotMatch((await get('/www/packages/alice/lib')).body, /bob@[^/]+\/tool"/);
    await publishVersion(t.app, 'bob/tool', '1.0.0', { token: bob.token, fields: { dependencies: { 'alice/lib': '*' } } });
    assert.match((await get('/www/packages/alice/lib')).body, /href="\/www\/packages\/bob@[^/]+\/tool"/);
  });

  it('shows download counts: the package over a day, a week and a month, and the shown version', async () => {
    await publishVersion(t.app, 'alice/counted', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'alice/counted', '2.0.0', { token: alice.token });
    for (const version of ['1.0.0', '2.0.0', '2.0.0']) {
      assert.equal((await get(`/@alice/counted/-/counted-${version}.tgz`)).statusCode, 200);
    }
    await (t.app.downloads as DownloadCounter).flush();
    const body = (await get('/www/packages/alice/counted')).body;
    assert.match(body, /data-testid="downloads-day">3</);
    assert.match(body, /data-testid="downloads-week">3</);
    assert.match(body, /data-testid="downloads-month">3</);
    assert.match(body, /data-testid="downloads-version">2</, 'the shown (latest) version was downloaded twice');
    assert.match((await get('/www/packages/alice/counted/v/1.0.0')).body, /data-testid="downloads-version">1</);
  });

  it('answers 404 pages for what is not here, with the reason, and 400 for bad names and versions', async () => {
    const missing = await get('/www/packages/alice/nothing');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /does not exist/);
    const legacy = await get('/www/packages/legacy/left-pad');
    assert.equal(legacy.statusCode, 404);
    assert.match(legacy.body, /not been mirrored here yet/);
    const remote = await get('/www/packages/carol@elsewhere.example/x');
    assert.equal(remote.statusCode, 404);
    assert.match(remote.body, /published on elsewhere\.example/);
    assert.equal((await get('/www/packages/alice/lib/v/9.9.9')).statusCode, 404);
    const badVersion = await get('/www/packages/alice/lib/v/%3Cscript%3E');
    assert.equal(badVersion.statusCode, 400);
    assert.doesNotMatch(badVersion.body, /<script>/);
    const badName = await get(`/www/packages/alice/${encodeURIComponent('<img src=x onerror=alert(1)>')}`);
    assert.equal(badName.statusCode, 400);
    assert.doesNotMatch(badName.body, /<img/);
  });
});
