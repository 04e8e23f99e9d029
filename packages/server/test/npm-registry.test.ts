import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import tar from 'tar-stream';
import { countFiles } from './support/count-files.ts';

type Entry = {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'symlink' | 'link' | 'character-device' | 'fifo';
  linkname?: string;
  size?: number;
};

async function makeTarball(entries: Entry[], options: { raw?: boolean } = {}): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const content = typeof e.content === 'string' ? Buffer.from(e.content) : e.content;
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        {
          name: e.name,
          type: e.type ?? 'file',
          ...(e.linkname ? { linkname: e.linkname } : {}),
          ...(content ? { size: content.length } : { size: 0 }),
        },
        content ?? Buffer.alloc(0),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  await done;
  const tarBytes = Buffer.concat(chunks);
  return options.raw ? tarBytes : gzipSync(tarBytes);
}

function npmPublishBody(name: string, version: string, tarball: Buffer, manifest: Record<string, unknown> = {}, tag = 'latest') {
  const file = `${name.split('/').pop()}-${version}.tgz`;
  return {
    _id: name,
    name,
    'dist-tags': { [tag]: version },
    versions: {
      [version]: {
        name,
        version,
        ...manifest,
        dist: {
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
          tarball: `http://x/${name}/-/${file}`,
        },
      },
    },
    _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  };
}

describe('npm registry protocol', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  before(async () => {
    t = await createTestApp({ env: { MAX_VERSION_BYTES: String(1024 * 1024), MAX_FILE_BYTES: String(512 * 1024), MAX_FILES: '50' } });
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
  });
  after(() => t.close());

  const put = (name: string, body: unknown, token = alice.token) =>
    t.app.inject({
      method: 'PUT',
      url: `/${name.replace('/', '%2f')}`,
      headers: { ...bearer(token), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });

  it('publishes with npm, answers full and abbreviated packuments with translated dependencies', async () => {
    const tarball = await makeTarball([
      { name: 'package/package.json', content: JSON.stringify({ name: '@alice/lib', version: '1.0.0', bin: { lib: 'cli.js' } }) },
      { name: 'package/index.js', content: 'module.exports = 1;\n' },
      { name: 'package/cli.js', content: '#!/usr/bin/env node\n' },
    ]);
    const body = npmPublishBody('@alice/lib', '1.0.0', tarball, {
      dependencies: { '@bob/util': '^1.0.0', 'left-pad': '^1.3.0' },
      bin: { lib: 'cli.js' },
    });
    const res = await put('@alice/lib', body);
    assert.equal(res.statusCode, 201, res.body);
    // stored as an Entropic version with canonical dependency names
    const doc = await t.app.inject({ url: '/packages/package/alice/lib/versions/1.0.0' });
    assert.deepEqual(Object.keys(doc.json().files).sort(), ['./package/cli.js', './package/index.js', './package/package.json']);
    assert.deepEqual(doc.json().dependencies, { [`bob@${t.host}/util`]: '^1.0.0', [`legacy@${t.host}/left-pad`]: '^1.3.0' });

    for (const url of ['/@alice%2flib', '/@alice%2Flib', '/@alice/lib']) {
      const full = await t.app.inject({ url });
      assert.equal(full.statusCode, 200, `${url}: ${full.body}`);
      const p = full.json();
      assert.equal(p.name, '@alice/lib');
      assert.deepEqual(p['dist-tags'], { latest: '1.0.0' });
      assert.ok(p.time['1.0.0']);
      const v = p.versions['1.0.0'];
      assert.deepEqual(v.dependencies, { '@bob/util': '^1.0.0', 'left-pad': '^1.3.0' });
      assert.deepEqual(v.bin, { lib: 'cli.js' });
      assert.equal(v.dist.tarball, `${t.app.deps.config.externalUrl}/@alice/lib/-/lib-1.0.0.tgz`);
      assert.match(v.dist.integrity, /^sha512-/);
      assert.match(v.dist.shasum, /^[0-9a-f]{40}$/);
    }
    const abbr = await t.app.inject({
      url: '/@alice%2flib',
      headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
    });
    assert.match(String(abbr.headers['content-type']), /vnd\.npm\.install-v1\+json/);
    assert.equal(abbr.json().versions['1.0.0'].time, undefined);
    assert.deepEqual(Object.keys(abbr.json()).sort(), ['dist-tags', 'modified', 'name', 'versions']);
  });

  it('serves an npm-published version with the exact tarball npm uploaded (issue 17.11), its files exploded too', async () => {
    // a tarball as npm packs it (not in the registry's canonical form: its own mtimes, entry order, gzip level)
    const uploaded = await makeTarball([
      { name: 'package/package.json', content: JSON.stringify({ name: '@alice/exact', version: '1.0.0', bin: { exact: 'cli.js' } }) },
      { name: 'package/lib/b.js', content: 'module.exports = 2;\n' },
      { name: 'package/cli.js', content: '#!/usr/bin/env node\n' },
    ]);
    const integrity = `sha512-${createHash('sha512').update(uploaded).digest('base64')}`;
    const shasum = createHash('sha1').update(uploaded).digest('hex');
    assert.equal((await put('@alice/exact', npmPublishBody('@alice/exact', '1.0.0', uploaded))).statusCode, 201);
    for (const accept of ['application/json', 'application/vnd.npm.install-v1+json']) {
      const dist = (await t.app.inject({ url: '/@alice%2fexact', headers: { accept } })).json().versions['1.0.0'].dist;
      assert.equal(dist.integrity, integrity, 'the integrity npm printed at publish');
      assert.equal(dist.shasum, shasum);
      assert.equal(dist.fileCount, 3);
    }
    const full = (await t.app.inject({ url: '/@alice%2fexact' })).json();
    assert.deepEqual(full.versions['1.0.0'].bin, { exact: 'cli.js' }, 'package.json fields from the tarball');
    const res = await t.app.inject({ url: '/@alice/exact/-/exact-1.0.0.tgz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, uploaded, 'byte for byte');
    // the files are in the store as for any version (ds and the Entropic API read them)
    const doc = (await t.app.inject({ url: '/packages/package/alice/exact/versions/1.0.0' })).json();
    assert.deepEqual(Object.keys(doc.files).sort(), ['./package/cli.js', './package/lib/b.js', './package/package.json']);
    const blob = await t.app.inject({ url: `/objects/object/sha512/${encodeURIComponent(doc.files['./package/lib/b.js'].slice(7))}` });
    assert.equal(blob.body, 'module.exports = 2;\n');
    assert.equal((await t.app.inject({ url: '/@alice/exact/-/exact-9.9.9.tgz' })).statusCode, 404);
    assert.equal((await t.app.inject({ url: '/@alice/exact/-/other-1.0.0.tgz' })).statusCode, 404);
  });

  it('answers ETag/304 and gzip on packuments', async () => {
    const first = await t.app.inject({ url: '/@alice%2flib' });
    const etag = String(first.headers.etag);
    const cached = await t.app.inject({ url: '/@alice%2flib', headers: { 'if-none-match': etag } });
    assert.equal(cached.statusCode, 304);
    const gz = await t.app.inject({ url: '/@alice%2flib', headers: { 'accept-encoding': 'gzip, deflate' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.notEqual(gz.headers.etag, etag);
    assert.deepEqual(JSON.parse(gunzipSync(gz.rawPayload).toString()), first.json());
    assert.equal(
      (await t.app.inject({ url: '/@alice%2flib', headers: { 'accept-encoding': 'gzip', 'if-none-match': String(gz.headers.etag) } }))
        .statusCode,
      304,
    );
  });

  it('builds tarballs for versions published through the Entropic API (with a generated package.json)', async () => {
    await publishVersion(t.app, 'alice/plain', '0.1.0', {
      token: alice.token,
      files: { 'index.js': 'x\n' },
      fields: { dependencies: JSON.stringify({ 'alice/lib': '^1.0.0' }) },
    });
    const p = (await t.app.inject({ url: '/@alice%2fplain' })).json();
    assert.deepEqual(p.versions['0.1.0'].dependencies, { '@alice/lib': '^1.0.0' });
    const tgz = await t.app.inject({ url: '/@alice/plain/-/plain-0.1.0.tgz' });
    const text = gunzipSync(tgz.rawPayload).toString('latin1');
    assert.match(text, /"name": "@alice\/plain"/);
  });

  it('serves a deterministic tarball built from the files of a version published through the Entropic API', async () => {
    await publishVersion(t.app, 'alice/built', '1.0.0', {
      token: alice.token,
      files: { 'package.json': JSON.stringify({ name: '@alice/built', version: '1.0.0' }), 'index.js': '1\n', 'cli.js': '2\n' },
    });
    const dist = (await t.app.inject({ url: '/@alice%2fbuilt' })).json().versions['1.0.0'].dist;
    const res = await t.app.inject({ url: '/@alice/built/-/built-1.0.0.tgz' });
    assert.equal(res.statusCode, 200);
    const bytes = res.rawPayload;
    assert.equal(`sha512-${createHash('sha512').update(bytes).digest('base64')}`, dist.integrity);
    assert.equal(createHash('sha1').update(bytes).digest('hex'), dist.shasum);
    assert.equal(bytes.readUInt32LE(4), 0, 'gzip mtime is zero');
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (h, s, next) => {
      names.push(`${h.name}:${(h.mode ?? 0).toString(8)}:${h.mtime?.toISOString()}`);
      s.resume();
      s.on('end', next);
    });
    extract.end(gunzipSync(bytes));
    await new Promise<void>((r) => extract.on('finish', () => r()));
    assert.deepEqual(names, [
      'package/cli.js:644:1985-10-26T08:15:00.000Z',
      'package/index.js:644:1985-10-26T08:15:00.000Z',
      'package/package.json:644:1985-10-26T08:15:00.000Z',
    ]);
    // built once: the same bytes again
    const again = await t.app.inject({ url: '/@alice/built/-/built-1.0.0.tgz' });
    assert.deepEqual(again.rawPayload, bytes);
  });

  it('a cached 404 packument gives way to a publish (npm and Entropic API); tarballs served from memory stay byte-identical', async () => {
    for (const accept of ['application/json', 'application/vnd.npm.install-v1+json']) {
      const missing = await t.app.inject({ url: '/@alice%2flater', headers: { accept, 'accept-encoding': 'gzip' } });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'PACKAGE_NOT_FOUND');
    }
    const tarball = await makeTarball([{ name: 'package/package.json', content: '{"name":"@alice/later","version":"1.0.0"}' }]);
    assert.equal((await put('@alice/later', npmPublishBody('@alice/later', '1.0.0', tarball))).statusCode, 201);
    assert.deepEqual(Object.keys((await t.app.inject({ url: '/@alice%2flater' })).json().versions), ['1.0.0']);
    assert.equal((await t.app.inject({ url: '/@alice%2flater-api' })).statusCode, 404);
    await publishVersion(t.app, 'alice/later-api', '0.1.0', { token: alice.token, files: { 'index.js': 'x\n' } });
    assert.equal((await t.app.inject({ url: '/@alice%2flater-api' })).statusCode, 200);
    const first = await t.app.inject({ url: '/@alice/later/-/later-1.0.0.tgz' });
    const second = await t.app.inject({ url: '/@alice/later/-/later-1.0.0.tgz' });
    assert.equal(second.statusCode, 200);
    assert.deepEqual(second.rawPayload, first.rawPayload);
    assert.equal(second.headers['content-length'], String(first.rawPayload.length));
    assert.equal(second.headers.etag, first.headers.etag);
    assert.equal((await t.app.inject({ url: '/@alice/later/-/later-1.0.1.tgz' })).statusCode, 404);
  });

  it('dist-tags add, ls and rm; deprecate keeps tags; unpublish yanks', async () => {
    const tarball = await makeTarball([{ name: 'package/package.json', content: '{"name":"@alice/lib","version":"1.1.0"}' }]);
    assert.equal((await put('@alice/lib', npmPublishBody('@alice/lib', '1.1.0', tarball, {}, 'next'))).statusCode, 201);
    let tags = await t.app.inject({ url: '/-/package/@alice%2flib/dist-tags' });
    assert.deepEqual(tags.json(), { latest: '1.0.0', next: '1.1.0' });
    const add = await t.app.inject({
      method: 'PUT',
      url: '/-/package/@alice%2flib/dist-tags/beta',
      headers: { ...bearer(alice.token), 'content-type': 'application/json' },
      payload: '"1.1.0"',
    });
    assert.equal(add.statusCode, 201, add.body);
    const denied = await t.app.inject({
      method: 'PUT',
      url: '/-/package/@alice%2flib/dist-tags/beta',
      headers: { ...bearer(bob.token), 'content-type': 'application/json' },
      payload: '"1.0.0"',
    });
    assert.equal(denied.statusCode, 403);
    const rm = await t.app.inject({ method: 'DELETE', url: '/-/package/@alice%2flib/dist-tags/next', headers: bearer(alice.token) });
    assert.equal(rm.statusCode, 200);
    tags = await t.app.inject({ url: '/-/package/@alice%2flib/dist-tags' });
    assert.deepEqual(tags.json(), { beta: '1.1.0', latest: '1.0.0' });
    assert.equal((await t.app.inject({ url: '/@alice%2flib' })).json()['dist-tags'].beta, '1.1.0', 'the packument cache was invalidated');

    // npm deprecate: PUT of the packument with `deprecated` set (issue 17.12: a message, not a yank)
    const packument = (await t.app.inject({ url: '/@alice%2flib' })).json();
    packument.versions['1.1.0'].deprecated = 'use 2';
    assert.equal((await put('@alice/lib', packument)).statusCode, 200);
    const after = (await t.app.inject({ url: '/@alice%2flib' })).json();
    assert.equal(after.versions['1.1.0'].deprecated, 'use 2');
    assert.deepEqual(after['dist-tags'], { beta: '1.1.0', latest: '1.0.0' }, 'tags stay');
    assert.equal((await t.app.inject({ url: '/packages/package/alice/lib/versions/1.1.0' })).json().yanked, false);

    // npm unpublish @alice/lib@1.0.0: PUT /-rev without the version
    delete after.versions['1.0.0'];
    const unpub = await t.app.inject({
      method: 'PUT',
      url: `/@alice%2flib/-rev/${after._rev}`,
      headers: { ...bearer(alice.token), 'content-type': 'application/json' },
      payload: JSON.stringify(after),
    });
    assert.equal(unpub.statusCode, 200, unpub.body);
    assert.equal((await t.app.inject({ url: '/packages/package/alice/lib/versions/1.0.0' })).json().yanked, true);
    // yanked versions stay installable by exact version
    assert.equal((await t.app.inject({ url: '/@alice/lib/-/lib-1.0.0.tgz' })).statusCode, 200);
  });

  it('npm deprecate stores the maintainer message in full and abbreviated packuments; "" un-deprecates; a yank is final', async () => {
    const tarball = (v: string) => makeTarball([{ name: 'package/package.json', content: `{"name":"@alice/dep","version":"${v}"}` }]);
    for (const v of ['1.0.0', '1.1.0', '2.0.0'])
      assert.equal(
        (await put('@alice/dep', npmPublishBody('@alice/dep', v, await tarball(v), {}, v === '2.0.0' ? 'next' : 'latest'))).statusCode,
        201,
      );
    const full = async () => (await t.app.inject({ url: '/@alice%2fdep' })).json();
    const abbreviated = async () =>
      (await t.app.inject({ url: '/@alice%2fdep', headers: { accept: 'application/vnd.npm.install-v1+json' } })).json();
    const tags = (await full())['dist-tags'];
    assert.deepEqual(tags, { latest: '1.1.0', next: '2.0.0' });

    // `npm deprecate @alice/dep@"<2" "…"`: the packument comes back with both versions marked
    const marked = await full();
    for (const v of ['1.0.0', '1.1.0']) marked.versions[v].deprecated = 'Upgrade to 2.x: 1.x leaks memory';
    assert.equal((await put('@alice/dep', marked)).statusCode, 200);
    for (const p of [await full(), await abbreviated()]) {
      assert.equal(p.versions['1.0.0'].deprecated, 'Upgrade to 2.x: 1.x leaks memory');
      assert.equal(p.versions['1.1.0'].deprecated, 'Upgrade to 2.x: 1.x leaks memory');
      assert.equal(p.versions['2.0.0'].deprecated, undefined);
      assert.deepEqual(p['dist-tags'], tags, 'tags untouched');
    }
    assert.equal(
      (await t.app.inject({ url: '/packages/package/alice/dep/versions/1.1.0' })).json().deprecated,
      'Upgrade to 2.x: 1.x leaks memory',
    );
    assert.deepEqual(Object.keys((await t.app.inject({ url: '/packages/package/alice/dep/versions' })).json()), [
      '1.0.0',
      '1.1.0',
      '2.0.0',
    ]);
    assert.equal((await t.app.inject({ url: '/@alice/dep/-/dep-1.1.0.tgz' })).statusCode, 200);
    // the package document and the website (where the latest version is shown) carry the message
    const doc = (await t.app.inject({ url: '/packages/package/alice/dep' })).json();
    assert.deepEqual(doc.deprecated, { '1.0.0': 'Upgrade to 2.x: 1.x leaks memory', '1.1.0': 'Upgrade to 2.x: 1.x leaks memory' });
    assert.deepEqual(doc.tags, tags);
    const depOnPage = async () => (await t.app.inject({ url: '/www/namespaces/alice' })).body.split(/data-package="[^"]*\/dep"/)[1] ?? '';
    assert.match(await depOnPage(), /data-deprecated="1\.1\.0"><strong>Deprecated:<\/strong> Upgrade to 2\.x: 1\.x leaks memory</);

    // a round trip that changes nothing else keeps the message; a version sent without the field is left alone
    const roundTrip = await full();
    delete roundTrip.versions['1.0.0'].deprecated;
    roundTrip.versions['2.0.0'].deprecated = 'try 3';
    assert.equal((await put('@alice/dep', roundTrip)).statusCode, 200);
    let p = await full();
    assert.equal(p.versions['1.0.0'].deprecated, 'Upgrade to 2.x: 1.x leaks memory');
    assert.equal(p.versions['2.0.0'].deprecated, 'try 3');

    // `npm deprecate @alice/dep@1.1.0 ""` un-deprecates (npm sends an empty string)
    p.versions['1.1.0'].deprecated = '';
    assert.equal((await put('@alice/dep', p)).statusCode, 200);
    p = await full();
    assert.equal(p.versions['1.1.0'].deprecated, undefined);
    assert.equal((await abbreviated()).versions['1.1.0'].deprecated, undefined);
    assert.equal(p.versions['1.0.0'].deprecated, 'Upgrade to 2.x: 1.x leaks memory');
    assert.equal('deprecated' in (await t.app.inject({ url: '/packages/package/alice/dep/versions/1.1.0' })).json(), false);
    assert.deepEqual((await t.app.inject({ url: '/packages/package/alice/dep' })).json().deprecated, {
      '1.0.0': 'Upgrade to 2.x: 1.x leaks memory',
      '2.0.0': 'try 3',
    });
    assert.match(await depOnPage(), /latest 1\.1\.0/);
    assert.doesNotMatch(await depOnPage(), /data-deprecated/);

    // a yanked version keeps the yank notice (npm skips it for ranges); un-deprecating it is refused with a clear answer
    const yank = await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/dep/versions/1.0.0', headers: bearer(alice.token) });
    assert.equal(yank.statusCode, 204, yank.body);
    p = await full();
    assert.equal(p.versions['1.0.0'].deprecated, 'This version was yanked by its maintainers. Upgrade to 2.x: 1.x leaks memory');
    p.versions['1.0.0'].deprecated = '';
    p.versions['2.0.0'].deprecated = '';
    const refused = await put('@alice/dep', p);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().code, 'VERSION_YANKED');
    assert.match(refused.json().message, /^@alice\/dep@1\.0\.0 was yanked: a yank is final/);
    assert.equal((await full()).versions['2.0.0'].deprecated, 'try 3', 'all or nothing');
    // the same packument without the yanked version's change goes through
    p.versions['1.0.0'].deprecated = 'This version was yanked by its maintainers. Upgrade to 2.x: 1.x leaks memory';
    assert.equal((await put('@alice/dep', p)).statusCode, 200);
    assert.equal((await full()).versions['2.0.0'].deprecated, undefined);

    // only maintainers deprecate; a bad field stores nothing
    const other = await full();
    other.versions['2.0.0'].deprecated = 'mine now';
    assert.equal((await put('@alice/dep', other, bob.token)).statusCode, 403);
    other.versions['2.0.0'].deprecated = 42;
    const bad = await put('@alice/dep', other);
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'INVALID_FIELD');
    assert.equal((await full()).versions['2.0.0'].deprecated, undefined);
  });

  it('refuses publishing into legacy, without a token, and over an existing version', async () => {
    const tarball = await makeTarball([{ name: 'package/index.js', content: '1' }]);
    assert.equal((await put('left-pad', npmPublishBody('left-pad', '1.0.0', tarball))).statusCode, 403);
    assert.equal((await put('@nobody/x', npmPublishBody('@nobody/x', '1.0.0', tarball))).statusCode, 403);
    const anon = await t.app.inject({
      method: 'PUT',
      url: '/@alice%2fother',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(npmPublishBody('@alice/other', '1.0.0', tarball)),
    });
    assert.equal(anon.statusCode, 401);
    const again = await put('@alice/lib', npmPublishBody('@alice/lib', '1.1.0', tarball));
    assert.equal(again.statusCode, 409);
    const bad = npmPublishBody('@alice/other', '1.0.0', tarball);
    (bad.versions['1.0.0'] as { dist: { shasum: string } }).dist.shasum = '0'.repeat(40);
    assert.equal((await put('@alice/other', bad)).statusCode, 400);
  });

  describe('hostile tarballs are refused and nothing is stored', () => {
    const cases: Array<[string, () => Promise<Buffer>, number, string]> = [
      ['a .. path', () => makeTarball([{ name: 'package/../../etc/passwd', content: 'x' }]), 400, 'INVALID_PATH'],
      ['an absolute path', () => makeTarball([{ name: '/etc/passwd', content: 'x' }]), 400, 'INVALID_PATH'],
      [
        'a symlink',
        () =>
          makeTarball([
            { name: 'package/a', content: 'x' },
            { name: 'package/link', type: 'symlink', linkname: '/etc/passwd' },
          ]),
        400,
        'INVALID_TARBALL',
      ],
      [
        'a hard link',
        () =>
          makeTarball([
            { name: 'package/a', content: 'x' },
            { name: 'package/link', type: 'link', linkname: 'package/a' },
          ]),
        400,
        'INVALID_TARBALL',
      ],
      ['a device', () => makeTarball([{ name: 'package/dev', type: 'character-device' }]), 400, 'INVALID_TARBALL'],
      ['a fifo', () => makeTarball([{ name: 'package/fifo', type: 'fifo' }]), 400, 'INVALID_TARBALL'],
      [
        'duplicate names',
        () =>
          makeTarball([
            { name: 'package/a.js', content: '1' },
            { name: 'package/a.js', content: '2' },
          ]),
        400,
        'DUPLICATE_PATH',
      ],
      [
        'names differing by case',
        () =>
          makeTarball([
            { name: 'package/A.js', content: '1' },
            { name: 'package/a.js', content: '2' },
          ]),
        400,
        'DUPLICATE_PATH',
      ],
      ['an oversize file', () => makeTarball([{ name: 'package/big', content: Buffer.alloc(600 * 1024, 1) }]), 413, 'FILE_TOO_LARGE'],
      [
        'too many files',
        () => makeTarball(Array.from({ length: 51 }, (_, i) => ({ name: `package/f${i}`, content: `${i}` }))),
        400,
        'TOO_MANY_FILES',
      ],
      [
        'a compression bomb',
        async () => {
          const tarHeader = await makeTarball([{ name: 'package/zero', content: Buffer.alloc(1) }], { raw: true });
          // a header claiming 1 byte followed by 64 MiB of zeros: tiny compressed, huge inflated
          return gzipSync(Buffer.concat([tarHeader.subarray(0, 512), Buffer.alloc(64 * 1024 * 1024)]), { level: 9 });
        },
        413,
        'VERSION_TOO_LARGE',
      ],
      ['a file that is not gzip', () => makeTarball([{ name: 'package/a', content: 'x' }], { raw: true }), 400, 'INVALID_TARBALL'],
      [
        'truncated gzip',
        async () => (await makeTarball([{ name: 'package/a', content: 'x'.repeat(5000) }])).subarray(0, 40),
        400,
        'INVALID_TARBALL',
      ],
    ];
    let n = 0;
    for (const [what, build, status, code] of cases) {
      it(`refuses ${what}`, async () => {
        n += 1;
        const name = `@alice/hostile${n}`;
        const blobsBefore = await countFiles(t.app.deps.config.cacheDir).catch(() => 0);
        const res = await put(name, npmPublishBody(name, '1.0.0', await build()));
        assert.equal(res.statusCode, status, res.body);
        assert.equal(res.json().code, code);
        assert.equal((await t.app.inject({ url: `/packages/package/alice/hostile${n}` })).statusCode, 404);
        assert.equal(await countFiles(t.app.deps.config.cacheDir).catch(() => 0), blobsBefore, 'no blob was written');
      });
    }
  });

  it('does not shadow registry routes and answers 404 for unknown packages', async () => {
    assert.equal((await t.app.inject({ url: '/ping' })).body, 'pong');
    assert.equal((await t.app.inject({ url: '/packages' })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/-/ping' })).statusCode, 200);
    const missing = await t.app.inject({ url: '/left-pad' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().message, /legacy mirror is off/);
    assert.equal((await t.app.inject({ url: '/@alice%2fnope' })).statusCode, 404);
    assert.equal((await t.app.inject({ url: '/-/whoami', headers: bearer(alice.token) })).json().username, 'alice');
  });
});
