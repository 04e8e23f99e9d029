// Issue 9.2: objects are read by hash; one that only private packages reference reads, to an
// outsider, as a hash nothing has (no probing), while one a public package also has stays public
// (docs/decisions/private-objects.md).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';

const digestOf = (data: string) => createHash('sha512').update(data).digest('base64');
const objectUrl = (content: string) => `/objects/object/sha512/${digestOf(content)}`;

describe('objects of private packages', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  const secretFile = 'the private implementation\n';
  const sharedFile = 'MIT licence text shared by both\n';
  const get = (url: string, token?: string, method: 'GET' | 'HEAD' = 'GET', headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers: { ...(token ? bearer(token) : {}), ...headers } });

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    await publishVersion(t.app, 'alice/secret', '1.0.0', {
      token: alice.token,
      files: { 'index.js': secretFile, LICENSE: sharedFile, 'README.md': '# secret\n' },
    });
    await publishVersion(t.app, 'alice/open', '1.0.0', { token: alice.token, files: { LICENSE: sharedFile } });
    const made = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/secret/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    assert.equal(made.statusCode, 200, made.body);
    await t.runJobs(); // the npm tarball and the rendered README: objects of the private package too
  });
  after(() => t?.close());

  it('a file only the private package has: outsiders get the answer of an unknown hash (GET, HEAD, ranges, revalidation)', async () => {
    const unknown = objectUrl('nobody stored this\n');
    for (const token of [undefined, bob.token]) {
      for (const method of ['GET', 'HEAD'] as const) {
        const variants: Record<string, string>[] = [{}, { range: 'bytes=0-3' }, { 'if-none-match': `"sha512-${digestOf(secretFile)}"` }];
        for (const headers of variants) {
          const seen = await get(objectUrl(secretFile), token, method, headers);
          const absent = await get(unknown, token, method, headers);
          assert.equal(seen.statusCode, 404, `${method} ${JSON.stringify(headers)}`);
          assert.equal(seen.body, absent.body);
          assert.equal(seen.headers['cache-control'], absent.headers['cache-control']);
          assert.equal(seen.headers.etag, absent.headers.etag);
        }
      }
    }
    const member = await get(objectUrl(secretFile), alice.token);
    assert.equal(member.statusCode, 200);
    assert.equal(member.body, secretFile);
    assert.equal(member.headers['cache-control'], 'private, max-age=31536000, immutable');
  });

  it('the version document, npm tarball and rendered README of a private version are private objects too', async () => {
    const doc = (await get('/packages/package/alice/secret/versions/1.0.0', alice.token)).json() as {
      integrity?: string;
      derivedFiles?: Record<string, string>;
    };
    const versions = (await get('/packages/package/alice/secret', alice.token)).json() as { versions: Record<string, string> };
    const integrities = [versions.versions['1.0.0'] as string, ...Object.values(doc.derivedFiles ?? {})];
    const packument = (await get('/@alice/secret', alice.token)).json() as { versions: Record<string, { dist: { integrity: string } }> };
    integrities.push(packument.versions['1.0.0']?.dist.integrity as string);
    assert.ok(integrities.length >= 3, JSON.stringify(integrities));
    for (const integrity of integrities) {
      const url = `/objects/object/sha512/${integrity.slice('sha512-'.length)}`;
      assert.equal((await get(url)).statusCode, 404, `${integrity} anonymous`);
      assert.equal((await get(url, bob.token)).statusCode, 404, `${integrity} bob`);
      assert.equal((await get(url, alice.token)).statusCode, 200, `${integrity} alice`);
    }
  });

  it('a file a public package also has stays public; making the package public again opens its files', async () => {
    const shared = await get(objectUrl(sharedFile));
    assert.equal(shared.statusCode, 200);
    assert.equal(shared.headers['cache-control'], 'public, max-age=31536000, immutable');
    await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/secret/access',
      headers: bearer(alice.token),
      payload: { private: false },
    });
    assert.equal((await get(objectUrl(secretFile))).statusCode, 200);
    await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/secret/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    assert.equal((await get(objectUrl(secretFile))).statusCode, 404, 'no verdict is cached past a visibility change');
  });

  it('a public verdict read before a namespace is made private is not served after it (the verdict cache is emptied)', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get(objectUrl(sharedFile))).statusCode, 200, 'public while alice/open is');
    const made = await t.app.inject({
      method: 'PUT',
      url: '/namespaces/namespace/alice/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    assert.equal(made.statusCode, 200, made.body);
    assert.equal((await get(objectUrl(sharedFile))).statusCode, 404, 'only private packages have it now');
    assert.equal((await get(objectUrl(sharedFile), bob.token)).statusCode, 404);
    assert.equal((await get(objectUrl(sharedFile), alice.token)).statusCode, 200);
    const open = await t.app.inject({
      method: 'PUT',
      url: '/namespaces/namespace/alice/access',
      headers: bearer(alice.token),
      payload: { private: false },
    });
    assert.equal(open.statusCode, 200, open.body);
    assert.equal((await get(objectUrl(sharedFile))).statusCode, 200);
  });
});
