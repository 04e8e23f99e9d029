import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { bearer, createTestApp, encodePublishBody, publish, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import type { Integrity } from '@entropic/types';
import { expectError } from './support/expect-error.ts';
import { type RawPart, rawMultipart } from './support/raw-multipart.ts';
import { assertBlobsCollectable, assertUnchanged, snapshotRegistry } from './support/registry-snapshot.ts';

const sha512 = (data: string | Uint8Array) => `sha512-${createHash('sha512').update(data).digest('base64')}`;

describe('publish: PUT /packages/package/:namespace/:name/versions/:version', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    await publishVersion(t.app, 'alice/existing', '1.0.0', { token: alice.token });
  });
  after(() => t.close());

  const putRaw = (spec: string, version: string, body: { payload: Buffer; contentType: string }, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'PUT',
      url: `/packages/package/${spec}/versions/${version}`,
      headers: { ...bearer(alice.token), 'content-type': body.contentType, ...headers },
      payload: body.payload,
    });

  /** The version document once its jobs ran (the README is rendered by a job after the publish answers). */
  async function renderedDoc(spec: string, version: string): Promise<{ derivedFiles: Record<string, string> }> {
    await t.runJobs();
    const response = await t.app.inject({ url: `/packages/package/${spec}/versions/${version}` });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  }

  /** Runs a bad publish and checks it changed nothing and left only collectable blobs. */
  async function rejects(send: () => Promise<Parameters<typeof expectError>[0]>, status: number, code: string): Promise<string> {
    const before = await snapshotRegistry(t.deps);
    const body = expectError(await send(), status, code);
    await assertUnchanged(t.deps, before, code);
    return body.message;
  }

  describe('success', () => {
    it('creates the package and answers 201 with the version document of API.md §5', async () => {
      const files = { 'index.js': 'module.exports = 1;\n', 'lib/util.js': 'exports.x = 2;\n', 'package.json': '{"name":"fresh"}' };
      const response = await publish(t.app, 'alice/fresh', '1.0.0', {
        token: alice.token,
        files,
        fields: { dependencies: { 'alice/existing': '^1.0.0' } },
        signatures: ['sig-one', 'sig-two'],
      });
      assert.equal(response.statusCode, 201, response.body);
      const doc = response.json();
      assert.deepEqual(Object.keys(doc).sort(), [
        'bundledDependencies',
        'created',
        'dependencies',
        'derivedFiles',
        'devDependencies',
        'files',
        'hostSignatures',
        'integrity',
        'modified',
        'name',
        'optionalDependencies',
        'peerDependencies',
        'signatures',
        'version',
        'yanked',
      ]);
      assert.equal(doc.name, `alice@${t.host}/fresh`);
      assert.equal(doc.version, '1.0.0');
      assert.equal(doc.yanked, false);
      assert.match(doc.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/);
      assert.deepEqual(doc.files, {
        './package/index.js': sha512(files['index.js']),
        './package/lib/util.js': sha512(files['lib/util.js']),
        './package/package.json': sha512(files['package.json']),
      });
      assert.deepEqual(doc.derivedFiles, {});
      assert.deepEqual(doc.dependencies, { [`alice@${t.host}/existing`]: '^1.0.0' });
      assert.deepEqual(doc.signatures, ['sig-one', 'sig-two']);
      // The package exists, alice's namespace maintains it, latest points at the version.
      const pkg = (await t.app.inject({ url: '/packages/package/alice/fresh' })).json();
      assert.equal(pkg.owner, `alice@${t.host}`);
      assert.deepEqual(pkg.versions, { '1.0.0': doc.integrity });
      assert.deepEqual(pkg.tags, { latest: '1.0.0' });
      // What the publish answered is what a read answers.
      const read = (await t.app.inject({ url: '/packages/package/alice/fresh/versions/1.0.0' })).json();
      assert.deepEqual(read, doc);
      // Every blob exists and verifies.
      for (const integrity of [doc.integrity, ...Object.values(doc.files)] as Integrity[]) {
        assert.equal(await t.deps.blobs.verify(integrity), true);
      }
    });

    it('canonicalises dependency names in every field, and bundledDependencies as a list or a map', async () => {
      const h = t.host;
      const doc = await publishVersion(t.app, 'alice/deps', '1.0.0', {
        token: alice.token,
        fields: {
          dependencies: {
            'alice/dep': '^1.0.0',
            [`bob@${h}/x`]: '~2',
            lodash: '^4.17.0',
            '@types/node': '*',
            'carol@remote.example:8443/y': '1.x',
          },
          devDependencies: { 'bob/test-tool': '>=1 <3' },
          peerDependencies: { react: '^18 || ^19' },
          optionalDependencies: { 'legacy/fsevents': '^2' },
          bundledDependencies: ['lodash', 'left-pad'],
        },
      });
      assert.deepEqual(doc.dependencies, {
        [`alice@${h}/dep`]: '^1.0.0',
        [`bob@${h}/x`]: '~2',
        [`legacy@${h}/lodash`]: '^4.17.0',
        [`legacy@${h}/%40types%2Fnode`]: '*',
        'carol@remote.example:8443/y': '1.x',
      });
      assert.deepEqual(doc.devDependencies, { [`bob@${h}/test-tool`]: '>=1 <3' });
      assert.deepEqual(doc.peerDependencies, { [`legacy@${h}/react`]: '^18 || ^19' });
      assert.deepEqual(doc.optionalDependencies, { [`legacy@${h}/fsevents`]: '^2' });
      assert.deepEqual(doc.bundledDependencies, { [`legacy@${h}/lodash`]: '^4.17.0', [`legacy@${h}/left-pad`]: '*' });
      const map = await publishVersion(t.app, 'alice/deps', '1.0.1', {
        token: alice.token,
        fields: { bundledDependencies: { 'alice/dep': '^1' } },
      });
      assert.deepEqual(map.bundledDependencies, { [`alice@${h}/dep`]: '^1' });
    });

    it('sets latest to each new version unless the publish names another tag', async () => {
      await publishVersion(t.app, 'alice/tags', '2.0.0', { token: alice.token });
      await publishVersion(t.app, 'alice/tags', '3.0.0-beta.1', { token: alice.token, fields: { tag: 'next' } });
      let tags = (await t.app.inject({ url: '/packages/package/alice/tags/dist-tags' })).json();
      assert.deepEqual(tags, { latest: '2.0.0', next: '3.0.0-beta.1' });
      await publishVersion(t.app, 'alice/tags', '1.5.0', { token: alice.token });
      tags = (await t.app.inject({ url: '/packages/package/alice/tags/dist-tags' })).json();
      assert.deepEqual(tags, { latest: '1.5.0', next: '3.0.0-beta.1' });
    });

    it('lets a maintainer publish into an existing package', async () => {
      const doc = await publishVersion(t.app, 'alice/existing', '1.1.0', { token: alice.token });
      assert.equal(doc.version, '1.1.0');
    });

    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
    ] as const) {
      it(`accepts a ${encoding}-compressed body`, async () => {
        const files = { 'index.js': `// ${encoding}\n${'x'.repeat(5000)}\n`, 'README.md': `# ${encoding}\n` };
        const body = await encodePublishBody({ files, fields: { dependencies: { lodash: '^4' } } });
        const response = await putRaw(
          `alice/compressed-${encoding}`,
          '1.0.0',
          { payload: compress(body.payload), contentType: body.contentType },
          { 'content-encoding': encoding },
        );
        assert.equal(response.statusCode, 201, response.body);
        const doc = response.json();
        assert.equal(doc.files['./package/index.js'], sha512(files['index.js']));
        assert.deepEqual(doc.dependencies, { [`legacy@${t.host}/lodash`]: '^4' });
        assert.ok((await renderedDoc(`alice/compressed-${encoding}`, '1.0.0')).derivedFiles['./readme.html']);
      });
    }

    it('renders the root README to sanitised HTML in ./readme.html by a job: until it ran, the version shows no ./readme.html (pending)', async () => {
      const readme = '# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[link](javascript:alert(3))\n\n**bold**\n';
      const published = await publishVersion(t.app, 'alice/readme', '1.0.0', {
        token: alice.token,
        files: { 'index.js': '1', 'README.md': readme, 'docs/README.md': '# nested, not the root' },
      });
      assert.deepEqual(published.derivedFiles, {}, 'the publish answers before the README is rendered');
      const pending = (await t.app.inject({ url: '/packages/package/alice/readme/versions/1.0.0' })).json();
      assert.deepEqual(pending.derivedFiles, {}, 'a read before the job ran shows it pending (absent)');
      const doc = await renderedDoc('alice/readme', '1.0.0');
      const integrity = doc.derivedFiles['./readme.html'] as string;
      assert.ok(integrity, 'no ./readme.html');
      const html = (await t.deps.blobs.getBytes(integrity as Integrity))?.toString('utf8') ?? '';
      assert.match(html, /<h1[^>]*>Title<\/h1>/);
      assert.match(html, /<strong>bold<\/strong>/);
      assert.doesNotMatch(html, /<script/i);
      assert.doesNotMatch(html, /<img/i);
      assert.doesNotMatch(html, /<[^>]+\son\w+=/i);
      assert.doesNotMatch(html, /href="javascript:/i);
      assert.doesNotMatch(html, /nested/);
    });

    it('finds READMEs case-insensitively, preferring .md over .markdown over none', async () => {
      await publishVersion(t.app, 'alice/readme', '1.1.0', {
        token: alice.token,
        files: { readme: 'plain', 'ReadMe.MarkDown': 'markdown', 'Readme.MD': '*md*' },
      });
      const doc = await renderedDoc('alice/readme', '1.1.0');
      const html = (await t.deps.blobs.getBytes(doc.derivedFiles['./readme.html'] as Integrity))?.toString('utf8') ?? '';
      assert.match(html, /<em>md<\/em>/);
      await publishVersion(t.app, 'alice/readme', '1.2.0', { token: alice.token, files: { 'index.js': '1' } });
      assert.deepEqual((await renderedDoc('alice/readme', '1.2.0')).derivedFiles, {});
    });

    it('stores identical content once', async () => {
      const same = 'identical content\n';
      const doc = await publishVersion(t.app, 'alice/dedupe', '1.0.0', { token: alice.token, files: { 'a.js': same, 'b/c.js': same } });
      assert.equal(doc.files['./package/a.js'], doc.files['./package/b/c.js']);
      let count = 0;
      for await (const blob of t.deps.blobs.list()) if (blob.integrity === sha512(same)) count += 1;
      assert.equal(count, 1);
    });
  });

  describe('authentication and authorization', () => {
    it('no token → 401, read token → 403, non-member → 403 NOT_A_MEMBER, non-maintainer → 403 NOT_A_MAINTAINER', async () => {
      await rejects(() => publish(t.app, 'alice/newpkg', '1.0.0'), 401, 'UNAUTHENTICATED');
      await rejects(() => publish(t.app, 'alice/newpkg', '1.0.0', { token: bob.token }), 403, 'NOT_A_MEMBER');
      await rejects(() => publish(t.app, 'alice/existing', '9.0.0', { token: bob.token }), 403, 'NOT_A_MAINTAINER');
      await rejects(() => publish(t.app, 'nobody/newpkg', '1.0.0', { token: alice.token }), 404, 'NAMESPACE_NOT_FOUND');
      await rejects(() => publish(t.app, 'alice@elsewhere.example/newpkg', '1.0.0', { token: alice.token }), 400, 'REMOTE_HOST');
      await assertBlobsCollectable(t.deps);
    });
  });

  describe('bad input: status, code, nothing stored', () => {
    it('non-canonical versions → 400 INVALID_VERSION with a suggestion', async () => {
      for (const [version, suggestion] of [
        ['v1.0.0', '1.0.0'],
        ['1.0', '1.0.0'],
        ['1.0.0+build.1', '1.0.0'],
        ['=2.0.0', '2.0.0'],
      ]) {
        const message = await rejects(
          () => publish(t.app, 'alice/versions', encodeURIComponent(version as string), { token: alice.token }),
          400,
          'INVALID_VERSION',
        );
        assert.match(message, new RegExp(`"${(suggestion as string).replaceAll('.', '\\.')}"`));
      }
      await rejects(() => publish(t.app, 'alice/versions', 'latest', { token: alice.token }), 400, 'INVALID_VERSION');
    });

    it('bad package and namespace names → 400', async () => {
      await rejects(() => publish(t.app, 'alice/Upper', '1.0.0', { token: alice.token }), 400, 'INVALID_PACKAGE_NAME');
      await rejects(() => publish(t.app, 'alice/_x', '1.0.0', { token: alice.token }), 400, 'INVALID_PACKAGE_NAME');
      await rejects(() => publish(t.app, 'AL/x', '1.0.0', { token: alice.token }), 400, 'INVALID_NAMESPACE');
    });

    it('a body that is not multipart/form-data → 415', async () => {
      const body = await encodePublishBody({ files: { 'index.js': '1' } });
      for (const contentType of [
        'application/json',
        'text/plain',
        'application/octet-stream',
        'multipart/form-data',
        'multipart/mixed; boundary=x',
      ]) {
        await rejects(() => putRaw('alice/ctype', '1.0.0', { payload: body.payload, contentType }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      const none = await t.app.inject({ method: 'PUT', url: '/packages/package/alice/ctype/versions/1.0.0', headers: bearer(alice.token) });
      expectError(none, 415, 'UNSUPPORTED_MEDIA_TYPE');
      await rejects(() => putRaw('alice/ctype', '1.0.0', body, { 'content-encoding': 'br' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('a malformed, truncated, empty or undecompressable body → 400 INVALID_MULTIPART', async () => {
      const body = await encodePublishBody({ files: { 'index.js': 'content that will be cut off' } });
      const truncated = { payload: body.payload.subarray(0, body.payload.length - 30), contentType: body.contentType };
      await rejects(() => putRaw('alice/broken', '1.0.0', truncated), 400, 'INVALID_MULTIPART');
      await rejects(
        () => putRaw('alice/broken', '1.0.0', { payload: Buffer.from('garbage'), contentType: body.contentType }),
        400,
        'INVALID_MULTIPART',
      );
      await rejects(
        () => putRaw('alice/broken', '1.0.0', { payload: body.payload, contentType: 'multipart/form-data; charset=utf-8' }),
        400,
        'INVALID_MULTIPART',
      );
      await rejects(() => putRaw('alice/broken', '1.0.0', body, { 'content-encoding': 'gzip' }), 400, 'INVALID_MULTIPART');
      const fieldsOnly = rawMultipart([{ name: 'dependencies', content: '{}' }]);
      await rejects(() => putRaw('alice/broken', '1.0.0', fieldsOnly), 400, 'INVALID_MULTIPART');
      await assertBlobsCollectable(t.deps);
    });

    it('every bad path kind → 400 INVALID_PATH', async () => {
      const encoded = [
        'package/',
        'package',
        '/etc/passwd',
        '/package/index.js',
        'C:/package/x.js',
        'package/../../etc/passwd',
        'package/a/../b.js',
        'package/./a.js',
        'package/.',
        'package/..',
        'package//a.js',
        'package/a//b.js',
        'package/a/',
        'package\\a.js',
        'package/a\\..\\..\\b.js',
        'package/a\u0000b.js',
        'package/a\u0001b.js',
        'package/a\nb.js',
        'package/a\u007fb.js',
        'package/a\u0085b.js',
        `package/${'a'.repeat(1017)}`,
        `package/${'€'.repeat(339)}`,
        'index.js',
        'pkg/index.js',
      ].map(encodeURIComponent);
      // Also sent unencoded, and with bad percent-encoding.
      const raw = ['', '/package/a.js', 'package/../a.js', 'package%2Fa%E0%A4%A', 'package/%'];
      for (const filename of [...encoded, ...raw]) {
        // A good file first: its blob is written, and must stay unreferenced.
        const parts: RawPart[] = [
          { name: 'entry[]', filename: 'package%2Fgood.js', content: `good ${filename}` },
          { name: 'entry[]', filename, content: 'bad' },
        ];
        await rejects(() => putRaw('alice/paths', '1.0.0', rawMultipart(parts)), 400, 'INVALID_PATH');
      }
      // The longest allowed path works.
      const longest = `package/${'a'.repeat(1016)}`;
      assert.equal(Buffer.byteLength(longest), 1024);
      const ok = await putRaw(
        'alice/paths',
        '1.0.0',
        rawMultipart([{ name: 'entry[]', filename: encodeURIComponent(longest), content: 'x' }]),
      );
      assert.equal(ok.statusCode, 201, ok.body);
      await assertBlobsCollectable(t.deps);
    });

    it('duplicate paths, also differing only by case or Unicode normalisation → 400 DUPLICATE_PATH', async () => {
      const pairs = [
        ['package/index.js', 'package/index.js'],
        ['package/README.md', 'package/readme.md'],
        ['package/Lib/A.js', 'package/lib/a.js'],
        ['package/caf\u00e9.js', 'package/cafe\u0301.js'],
        ['package/\u212Bngstrom', 'package/\u00C5ngstrom'],
      ];
      for (const [a, b] of pairs) {
        const parts: RawPart[] = [
          { name: 'entry[]', filename: encodeURIComponent(a as string), content: `first ${a}` },
          { name: 'entry[]', filename: encodeURIComponent(b as string), content: `second ${b}` },
        ];
        await rejects(() => putRaw('alice/dupes', '1.0.0', rawMultipart(parts)), 400, 'DUPLICATE_PATH');
      }
      await assertBlobsCollectable(t.deps);
    });

    it('bad dependency names, ranges and fields → 400', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ dependencies: { 'alice/UPPER': '^1' } }, 'INVALID_DEPENDENCY'],
        [{ dependencies: { 'ALICE/x': '^1' } }, 'INVALID_DEPENDENCY'],
        [{ dependencies: { 'alice/': '^1' } }, 'INVALID_DEPENDENCY'],
        [{ dependencies: { '@scope': '^1' } }, 'INVALID_DEPENDENCY'],
        [{ dependencies: { '': '^1' } }, 'INVALID_DEPENDENCY'],
        [{ dependencies: { lodash: 'latest' } }, 'INVALID_DEPENDENCY'],
        [{ dependencies: { lodash: 'not a range' } }, 'INVALID_DEPENDENCY'],
        [{ dependencies: { lodash: 4 } }, 'INVALID_DEPENDENCY'],
        [{ devDependencies: { lodash: 'git+https://example.com/x.git' } }, 'INVALID_DEPENDENCY'],
        [{ peerDependencies: { lodash: null } }, 'INVALID_DEPENDENCY'],
        [{ optionalDependencies: { 'alice/%ZZ': '^1' } }, 'INVALID_DEPENDENCY'],
        [{ dependencies: { lodash: '^1', 'legacy/lodash': '^2' } }, 'INVALID_DEPENDENCY'],
        [{ bundledDependencies: [1] }, 'INVALID_DEPENDENCY'],
        [{ bundledDependencies: ['Not/Valid'] }, 'INVALID_DEPENDENCY'],
        [{ dependencies: '{not json' }, 'INVALID_FIELD'],
        [{ dependencies: '["lodash"]' }, 'INVALID_FIELD'],
        [{ dependencies: 'null' }, 'INVALID_FIELD'],
        [{ devDependencies: '"^1"' }, 'INVALID_FIELD'],
        [{ bundledDependencies: '{oops' }, 'INVALID_FIELD'],
      ];
      for (const [fields, code] of cases) {
        await rejects(
          () =>
            publish(t.app, 'alice/baddeps', '1.0.0', {
              token: alice.token,
              files: { 'index.js': `unique ${JSON.stringify(fields)}` },
              fields,
            }),
          400,
          code,
        );
      }
      await assertBlobsCollectable(t.deps);
    });

    it('a bad tag field → 400 INVALID_TAG', async () => {
      for (const tag of ['1.x', '^2', '1.0.0', 'has space', '']) {
        await rejects(() => publish(t.app, 'alice/badtag', '1.0.0', { token: alice.token, fields: { tag } }), 400, 'INVALID_TAG');
      }
    });

    it('a field larger than 1 MiB → 400 INVALID_FIELD', async () => {
      const huge = JSON.stringify({ lodash: `^1 ${' '.repeat(1024 * 1024)}` });
      await rejects(
        () => publish(t.app, 'alice/hugefield', '1.0.0', { token: alice.token, fields: { dependencies: huge } }),
        400,
        'INVALID_FIELD',
      );
    });

    it('republishing a version → 409 VERSION_EXISTS, also after it was yanked', async () => {
      await publishVersion(t.app, 'alice/again', '1.0.0', { token: alice.token, files: { 'index.js': 'original' } });
      await publishVersion(t.app, 'alice/again', '1.0.1', { token: alice.token });
      await rejects(
        () => publish(t.app, 'alice/again', '1.0.0', { token: alice.token, files: { 'index.js': 'changed' } }),
        409,
        'VERSION_EXISTS',
      );
      const yank = await t.app.inject({
        method: 'DELETE',
        url: '/packages/package/alice/again/versions/1.0.0',
        headers: bearer(alice.token),
      });
      assert.equal(yank.statusCode, 204);
      await rejects(
        () => publish(t.app, 'alice/again', '1.0.0', { token: alice.token, files: { 'index.js': 'changed' } }),
        409,
        'VERSION_EXISTS',
      );
      const doc = (await t.app.inject({ url: '/packages/package/alice/again/versions/1.0.0' })).json();
      assert.equal(doc.files['./package/index.js'], sha512('original'));
      assert.equal(doc.yanked, true);
      await assertBlobsCollectable(t.deps);
    });

    it('a publish cut off mid-upload (client gone) stores nothing and the server keeps serving', async () => {
      const address = new URL(await t.listen());
      const before = await snapshotRegistry(t.deps);
      const big = Buffer.alloc(512 * 1024, 'a');
      const body = await encodePublishBody({ files: { 'small.js': 'small', 'big.bin': big } });
      for (const cut of [0.1, 0.5, 0.99]) {
        const sent = body.payload.subarray(0, Math.floor(body.payload.length * cut));
        await new Promise<void>((resolve, reject) => {
          const socket = connect(Number(address.port), address.hostname, () => {
            socket.write(
              `PUT /packages/package/alice/cutoff/versions/1.0.0 HTTP/1.1\r\nHost: ${address.host}\r\n` +
                `Authorization: Bearer ${alice.token}\r\nContent-Type: ${body.contentType}\r\n` +
                `Content-Length: ${body.payload.length}\r\n\r\n`,
            );
            socket.write(sent, () => setTimeout(() => socket.destroy(), 50));
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve());
          socket.setTimeout(5000, () => reject(new Error('socket timeout')));
        });
      }
      // Give the server a moment to notice; it must still answer.
      await new Promise((r) => setTimeout(r, 200));
      const ping = await fetch(new URL('/ping', address));
      assert.equal(ping.status, 200);
      await assertUnchanged(t.deps, before);
      expectError(await t.app.inject({ url: '/packages/package/alice/cutoff' }), 404, 'PACKAGE_NOT_FOUND');
      await assertBlobsCollectable(t.deps);
    });

    it('leaves the blobs of a failed publish unreferenced, for gc to reclaim', async () => {
      const content = `only in a failed publish ${Date.now()}`;
      const integrity = sha512(content) as Integrity;
      await rejects(
        () =>
          publish(t.app, 'alice/failed', '1.0.0', {
            token: alice.token,
            files: { 'index.js': content },
            fields: { dependencies: { lodash: 'nope' } },
          }),
        400,
        'INVALID_DEPENDENCY',
      );
      assert.ok(await t.deps.blobs.stat(integrity), 'the file was streamed to the store before the failure');
      await assertBlobsCollectable(t.deps);
      assert.equal(await t.deps.blobs.stat(integrity), undefined, 'gc did not reclaim the unreferenced blob');
      expectError(await t.app.inject({ url: '/packages/package/alice/failed' }), 404, 'PACKAGE_NOT_FOUND');
    });
  });
});
