import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';
import { assertUnchanged, snapshotRegistry } from './support/registry-snapshot.ts';

describe('versions: read, list, yank', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let readToken: string;

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    const created = await t.app.inject({
      method: 'POST',
      url: '/auth/tokens',
      headers: bearer(alice.token),
      payload: { description: 'read', scope: 'read' },
    });
    readToken = created.json().token;
  });
  after(() => t.close());

  const yank = (spec: string, version: string, token: string | null = alice.token) =>
    t.app.inject({ method: 'DELETE', url: `/packages/package/${spec}/versions/${version}`, headers: token ? bearer(token) : {} });
  const tags = async (spec: string) => (await t.app.inject({ url: `/packages/package/${spec}/dist-tags` })).json();
  const versions = async (spec: string) => (await t.app.inject({ url: `/packages/package/${spec}/versions` })).json();

  describe('GET …/versions/:version', () => {
    it('answers the version document, with ETag and 304', async () => {
      const published = await publishVersion(t.app, 'alice/read', '1.0.0', { token: alice.token });
      const response = await t.app.inject({ url: '/packages/package/alice/read/versions/1.0.0' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^application\/json; charset=utf-8/);
      assert.deepEqual(response.json(), published);
      const etag = String(response.headers.etag);
      assert.match(etag, /^"[^"]+"$/);
      const cached = await t.app.inject({ url: '/packages/package/alice/read/versions/1.0.0', headers: { 'if-none-match': etag } });
      assert.equal(cached.statusCode, 304);
      const full = await t.app.inject({ url: `/packages/package/alice@${t.host}/read/versions/1.0.0` });
      assert.deepEqual(full.json(), published);
    });

    it('unknown version → 404 VERSION_NOT_FOUND (also once published), unknown package → 404, bad version → 400', async () => {
      expectError(await t.app.inject({ url: '/packages/package/alice/read/versions/1.0.1' }), 404, 'VERSION_NOT_FOUND');
      await publishVersion(t.app, 'alice/read', '1.0.1', { token: alice.token });
      assert.equal((await t.app.inject({ url: '/packages/package/alice/read/versions/1.0.1' })).statusCode, 200);
      expectError(await t.app.inject({ url: '/packages/package/alice/nope/versions/1.0.0' }), 404, 'PACKAGE_NOT_FOUND');
      const bad = expectError(await t.app.inject({ url: '/packages/package/alice/read/versions/v1.0.0' }), 400, 'INVALID_VERSION');
      assert.match(bad.message, /"1\.0\.0"/);
      expectError(await t.app.inject({ url: '/packages/package/alice/read/versions/1.0' }), 400, 'INVALID_VERSION');
    });
  });

  describe('GET …/versions', () => {
    it('maps each non-yanked version to its integrity, in semver order', async () => {
      const integrity: Record<string, string> = {};
      for (const version of ['1.10.0', '1.2.0', '1.2.0-beta.1', '0.9.0']) {
        integrity[version] = (await publishVersion(t.app, 'alice/list', version, { token: alice.token })).integrity;
      }
      const list = await versions('alice/list');
      assert.deepEqual(Object.keys(list), ['0.9.0', '1.2.0-beta.1', '1.2.0', '1.10.0']);
      assert.deepEqual(list, integrity);
      assert.equal((await yank('alice/list', '1.2.0')).statusCode, 204);
      assert.deepEqual(Object.keys(await versions('alice/list')), ['0.9.0', '1.2.0-beta.1', '1.10.0']);
    });

    it('unknown package → 404, a package without versions → {}', async () => {
      expectError(await t.app.inject({ url: '/packages/package/alice/nope/versions' }), 404, 'PACKAGE_NOT_FOUND');
      await t.app.inject({ method: 'PUT', url: '/packages/package/alice/empty', headers: bearer(alice.token), payload: {} });
      assert.deepEqual(await versions('alice/empty'), {});
    });
  });

  describe('DELETE …/versions/:version (yank)', () => {
    it('keeps the version fetchable by exact version, marked yanked, out of `versions` and every tag', async () => {
      await publishVersion(t.app, 'alice/yank', '1.0.0', { token: alice.token });
      const v = await publishVersion(t.app, 'alice/yank', '1.1.0', { token: alice.token });
      await publishVersion(t.app, 'alice/yank', '1.2.0', { token: alice.token });
      const tagged = await t.app.inject({
        method: 'PUT',
        url: '/packages/package/alice/yank/dist-tags/stable',
        headers: bearer(alice.token),
        payload: { version: '1.1.0' },
      });
      assert.equal(tagged.statusCode, 200);
      const etag = (await t.app.inject({ url: '/packages/package/alice/yank' })).headers.etag;
      const response = await yank('alice/yank', '1.1.0');
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      const doc = (await t.app.inject({ url: '/packages/package/alice/yank/versions/1.1.0' })).json();
      assert.equal(doc.yanked, true);
      assert.equal(doc.integrity, v.integrity);
      assert.ok(doc.modified >= v.modified);
      const pkg = await t.app.inject({ url: '/packages/package/alice/yank', headers: { 'if-none-match': String(etag) } });
      assert.equal(pkg.statusCode, 200, 'the cached package document was not invalidated');
      assert.deepEqual(Object.keys(pkg.json().versions), ['1.0.0', '1.2.0']);
      assert.deepEqual(pkg.json().tags, { latest: '1.2.0' });
      assert.deepEqual(Object.keys(await versions('alice/yank')), ['1.0.0', '1.2.0']);
    });

    it('moves latest to the highest remaining non-yanked, non-prerelease version, or drops it', async () => {
      for (const version of ['1.0.0', '1.5.0', '2.0.0-rc.1', '1.4.0', '3.0.0-beta.1']) {
        await publishVersion(t.app, 'alice/latest', version, { token: alice.token });
      }
      assert.equal((await tags('alice/latest')).latest, '3.0.0-beta.1');
      await yank('alice/latest', '3.0.0-beta.1');
      assert.deepEqual(await tags('alice/latest'), { latest: '1.5.0' });
      await yank('alice/latest', '1.5.0');
      assert.deepEqual(await tags('alice/latest'), { latest: '1.4.0' });
      // Yanking a version that is not latest leaves latest alone.
      await yank('alice/latest', '1.0.0');
      assert.deepEqual(await tags('alice/latest'), { latest: '1.4.0' });
      await yank('alice/latest', '1.4.0');
      assert.deepEqual(await tags('alice/latest'), {}, 'only a prerelease is left: no latest');
      const pkg = (await t.app.inject({ url: '/packages/package/alice/latest' })).json();
      assert.deepEqual(pkg.versions, { '2.0.0-rc.1': pkg.versions['2.0.0-rc.1'] });
      assert.deepEqual(pkg.tags, {});
      // A new publish sets latest again.
      await publishVersion(t.app, 'alice/latest', '1.6.0', { token: alice.token });
      assert.deepEqual(await tags('alice/latest'), { latest: '1.6.0' });
    });

    it('yanking a yanked version again is harmless (204, nothing changes)', async () => {
      await publishVersion(t.app, 'alice/twice', '1.0.0', { token: alice.token });
      await publishVersion(t.app, 'alice/twice', '1.0.1', { token: alice.token });
      assert.equal((await yank('alice/twice', '1.0.0')).statusCode, 204);
      const before = await snapshotRegistry(t.deps);
      assert.equal((await yank('alice/twice', '1.0.0')).statusCode, 204);
      await assertUnchanged(t.deps, before);
    });

    it('refuses without a token, with a read token, for non-maintainers, unknown or bad versions — and changes nothing', async () => {
      await publishVersion(t.app, 'alice/guarded', '1.0.0', { token: alice.token });
      const before = await snapshotRegistry(t.deps);
      expectError(await yank('alice/guarded', '1.0.0', null), 401, 'UNAUTHENTICATED');
      expectError(await yank('alice/guarded', '1.0.0', readToken), 403, 'INSUFFICIENT_SCOPE');
      expectError(await yank('alice/guarded', '1.0.0', bob.token), 403, 'NOT_A_MAINTAINER');
      expectError(await yank('alice/guarded', '1.0.0', `ent_v1_${crypto.randomUUID()}`), 401, 'INVALID_TOKEN');
      expectError(await yank('alice/guarded', '9.9.9'), 404, 'VERSION_NOT_FOUND');
      expectError(await yank('alice/missing', '1.0.0'), 404, 'PACKAGE_NOT_FOUND');
      expectError(await yank('alice/guarded', 'v1.0.0'), 400, 'INVALID_VERSION');
      expectError(await yank('alice/Guarded', '1.0.0'), 400, 'INVALID_PACKAGE_NAME');
      expectError(await yank('alice@elsewhere.example/guarded', '1.0.0'), 400, 'REMOTE_HOST');
      await assertUnchanged(t.deps, before);
      assert.equal((await t.app.inject({ url: '/packages/package/alice/guarded/versions/1.0.0' })).json().yanked, false);
    });
  });
});
