import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { canonicalVersionDocument } from '@entropic/types';
import { expectError } from './support/expect-error.ts';

const digestOf = (data: string | Uint8Array) => createHash('sha512').update(data).digest('base64');
const objectUrl = (integrity: string) => `/objects/object/sha512/${integrity.slice('sha512-'.length)}`;

/** Content whose base64 digest contains both "/" and "+", so URL handling of both is exercised. */
function contentWithSlashAndPlus(): string {
  for (let i = 0; ; i += 1) {
    const content = `slash and plus ${i}\n`;
    const digest = digestOf(content);
    if (digest.includes('/') && digest.includes('+')) return content;
  }
}

describe('objects: GET /objects/object/:algo/*', () => {
  let t: TestApp;
  let alice: TestUser;
  const text = 'hello, content-addressed world\n';
  const binary = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
  const slashy = contentWithSlashAndPlus();

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    await publishVersion(t.app, 'alice/objects', '1.0.0', {
      token: alice.token,
      files: { 'hello.txt': text, 'data.bin': binary, 'slashy.txt': slashy, 'README.md': '# Objects\n' },
      fields: { dependencies: { lodash: '^4.0.0' }, devDependencies: { 'alice/tool': '1.x' } },
    });
  });
  after(() => t.close());

  it('answers the bytes with Content-Length, ETag and immutable caching', async () => {
    const response = await t.app.inject({ url: `/objects/object/sha512/${digestOf(text)}` });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, text);
    assert.equal(response.headers['content-type'], 'application/octet-stream');
    assert.equal(response.headers['content-length'], String(Buffer.byteLength(text)));
    assert.equal(response.headers.etag, `"sha512-${digestOf(text)}"`);
    assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    const big = await t.app.inject({ url: `/objects/object/sha512/${digestOf(binary)}` });
    assert.equal(big.statusCode, 200);
    assert.equal(big.headers['content-length'], String(binary.length));
    assert.ok(big.rawPayload.equals(binary), 'the bytes differ');
  });

  it('accepts the digest with "/" raw or as %2F (and "+" raw or as %2B)', async () => {
    const digest = digestOf(slashy);
    for (const form of [digest, digest.replaceAll('/', '%2F'), digest.replaceAll('/', '%2f'), encodeURIComponent(digest)]) {
      const response = await t.app.inject({ url: `/objects/object/sha512/${form}` });
      assert.equal(response.statusCode, 200, `${form}: ${response.body}`);
      assert.equal(response.body, slashy);
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await t.app.inject({ method: 'HEAD', url: `/objects/object/sha512/${digestOf(binary)}` });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '');
    assert.equal(response.headers['content-length'], String(binary.length));
    assert.equal(response.headers.etag, `"sha512-${digestOf(binary)}"`);
    assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    const missing = await t.app.inject({ method: 'HEAD', url: `/objects/object/sha512/${digestOf('nope')}` });
    assert.equal(missing.statusCode, 404);
  });

  it('answers If-None-Match with 304 and no body', async () => {
    const etag = `"sha512-${digestOf(text)}"`;
    const response = await t.app.inject({ url: `/objects/object/sha512/${digestOf(text)}`, headers: { 'if-none-match': etag } });
    assert.equal(response.statusCode, 304);
    assert.equal(response.body, '');
    assert.equal(response.headers.etag, etag);
    const other = await t.app.inject({ url: `/objects/object/sha512/${digestOf(text)}`, headers: { 'if-none-match': '"sha512-other"' } });
    assert.equal(other.statusCode, 200);
    // Lists, weak validators and * match too (RFC 9110 §13.1.2).
    for (const header of [`"sha512-other", ${etag}`, `W/${etag}`, '*']) {
      const response = await t.app.inject({ url: `/objects/object/sha512/${digestOf(text)}`, headers: { 'if-none-match': header } });
      assert.equal(response.statusCode, 304, header);
    }
  });

  it('answers Range with 206 and Content-Range', async () => {
    const url = `/objects/object/sha512/${digestOf(binary)}`;
    const size = binary.length;
    const cases: Array<[string, number, number]> = [
      ['bytes=0-9', 0, 9],
      ['bytes=100-100', 100, 100],
      [`bytes=${size - 10}-`, size - 10, size - 1],
      ['bytes=-5', size - 5, size - 1],
      [`bytes=1000-${size + 5000}`, 1000, size - 1],
      ['bytes=65530-131080', 65530, 131080],
    ];
    for (const [range, start, end] of cases) {
      const response = await t.app.inject({ url, headers: { range } });
      assert.equal(response.statusCode, 206, range);
      assert.equal(response.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
      assert.equal(response.headers['content-length'], String(end - start + 1), range);
      assert.ok(response.rawPayload.equals(binary.subarray(start, end + 1)), `${range}: wrong bytes`);
    }
    assert.equal((await t.app.inject({ url: `/objects/object/sha512/${digestOf(text)}`, headers: { range: 'bytes=0-4' } })).body, 'hello');
    const head = await t.app.inject({ method: 'HEAD', url, headers: { range: 'bytes=0-9' } });
    assert.equal(head.statusCode, 206);
    assert.equal(head.headers['content-length'], '10');
  });

  it('answers an unsatisfiable Range with 416 and Content-Range: bytes */size', async () => {
    const size = Buffer.byteLength(text);
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`]) {
      const response = await t.app.inject({ url: `/objects/object/sha512/${digestOf(text)}`, headers: { range } });
      expectError(response, 416, 'RANGE_NOT_SATISFIABLE');
      assert.equal(response.headers['content-range'], `bytes */${size}`);
    }
  });

  it('ignores a malformed Range and answers the whole object', async () => {
    const response = await t.app.inject({ url: `/objects/object/sha512/${digestOf(text)}`, headers: { range: 'lines=1-2' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, text);
  });

  it('unknown algorithm → 400, bad digest → 400, missing object → 404', async () => {
    expectError(await t.app.inject({ url: `/objects/object/sha256/${digestOf(text)}` }), 400, 'INVALID_ALGORITHM');
    expectError(await t.app.inject({ url: `/objects/object/md5/${digestOf(text)}` }), 400, 'INVALID_ALGORITHM');
    expectError(await t.app.inject({ url: `/objects/object/SHA512/${digestOf(text)}` }), 400, 'INVALID_ALGORITHM');
    for (const digest of [
      '',
      'abc',
      digestOf(text).slice(0, -2),
      `${digestOf(text)}x`,
      digestOf(text).replace(/=+$/, ''),
      '%E0%A4%A',
      '../../etc/passwd',
    ]) {
      const response = await t.app.inject({ url: `/objects/object/sha512/${digest}` });
      assert.ok([400, 404].includes(response.statusCode), `${digest}: ${response.statusCode}`);
      if (digest.length > 20 && !digest.includes('..')) expectError(response, 400, 'INVALID_DIGEST');
    }
    expectError(await t.app.inject({ url: `/objects/object/sha512/${digestOf('never stored')}` }), 404, 'OBJECT_NOT_FOUND');
  });

  it('lets a client verify package → version → files without trusting the server', async () => {
    // 1. The package document names the version's integrity.
    const pkg = (await t.app.inject({ url: '/packages/package/alice/objects' })).json();
    const integrity = pkg.versions['1.0.0'] as string;
    assert.match(integrity, /^sha512-/);
    // 2. The canonical version document is an object whose bytes hash to that integrity.
    const canonical = await t.app.inject({ url: objectUrl(integrity) });
    assert.equal(canonical.statusCode, 200);
    assert.equal(`sha512-${digestOf(canonical.rawPayload)}`, integrity);
    const parsed = JSON.parse(canonical.body);
    assert.deepEqual(Object.keys(parsed), [
      'files',
      'dependencies',
      'devDependencies',
      'peerDependencies',
      'optionalDependencies',
      'bundledDependencies',
    ]);
    // It is exactly the canonical form (sorted keys, no whitespace).
    assert.equal(canonicalVersionDocument(parsed), canonical.body);
    // 3. It agrees with the version document the API serves (once the README job ran).
    await t.runJobs();
    const doc = (await t.app.inject({ url: '/packages/package/alice/objects/versions/1.0.0' })).json();
    assert.equal(doc.integrity, integrity);
    assert.deepEqual(parsed.files, doc.files);
    assert.deepEqual(parsed.dependencies, doc.dependencies);
    assert.deepEqual(parsed.devDependencies, doc.devDependencies);
    assert.deepEqual(parsed.dependencies, { [`legacy@${t.host}/lodash`]: '^4.0.0' });
    // 4. Every file it names is an object whose bytes hash to its name.
    assert.deepEqual(Object.keys(parsed.files).sort(), [
      './package/README.md',
      './package/data.bin',
      './package/hello.txt',
      './package/slashy.txt',
    ]);
    for (const [path, fileIntegrity] of Object.entries(parsed.files as Record<string, string>)) {
      const file = await t.app.inject({ url: objectUrl(fileIntegrity) });
      assert.equal(file.statusCode, 200, path);
      assert.equal(`sha512-${digestOf(file.rawPayload)}`, fileIntegrity, path);
    }
    // The derived README is an object too (outside the canonical document).
    const readme = await t.app.inject({ url: objectUrl(doc.derivedFiles['./readme.html']) });
    assert.equal(readme.statusCode, 200);
    assert.match(readme.body, /<h1[^>]*>Objects<\/h1>/);
  });
});
