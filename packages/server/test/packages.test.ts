import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publish, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';
import { assertUnchanged, snapshotRegistry } from './support/registry-snapshot.ts';

describe('packages: create, read, abandon', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
  });
  after(() => t.close());

  const put = (path: string, token: string | undefined, payload: unknown = {}) =>
    t.app.inject({
      method: 'PUT',
      url: `/packages/package/${path}`,
      headers: token ? bearer(token) : {},
      payload: payload as object,
    });

  describe('PUT /packages/package/:namespace/:name', () => {
    it('creates a package → 201 with its document; again → 200', async () => {
      const created = await put('alice/created', alice.token);
      assert.equal(created.statusCode, 201);
      const doc = created.json();
      assert.equal(doc.name, `alice@${t.host}/created`);
      assert.equal(doc.owner, `alice@${t.host}`);
      assert.equal(doc.yanked, false);
      assert.equal(doc.require_tfa, false);
      assert.deepEqual(doc.versions, {});
      assert.deepEqual(doc.tags, {});
      const again = await put('alice/created', alice.token, { require_tfa: false });
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().name, doc.name);
      assert.ok(again.json().modified >= doc.modified);
      const maintainers = await t.deps.db
        .selectFrom('package_maintainers as pm')
        .innerJoin('packages as p', 'p.id', 'pm.package_id')
        .innerJoin('namespaces as n', 'n.id', 'pm.namespace_id')
        .select(['n.name', 'pm.accepted'])
        .where('p.name', '=', 'created')
        .execute();
      assert.deepEqual(maintainers, [{ name: 'alice', accepted: true }]);
    });

    it('accepts an empty body and the full ns@host form', async () => {
      const response = await t.app.inject({
        method: 'PUT',
        url: `/packages/package/alice@${t.host}/full-form`,
        headers: bearer(alice.token),
      });
      assert.equal(response.statusCode, 201);
      assert.equal(response.json().name, `alice@${t.host}/full-form`);
    });

    it('refuses a non-member of the namespace (403 NOT_A_MEMBER) and a non-maintainer (403 NOT_A_MAINTAINER)', async () => {
      const before = await snapshotRegistry(t.deps);
      expectError(await put('alice/bobs-attempt', bob.token), 403, 'NOT_A_MEMBER');
      expectError(await put('alice/created', bob.token, { require_tfa: false }), 403, 'NOT_A_MAINTAINER');
      await assertUnchanged(t.deps, before);
    });

    it('refuses bad names, bad bodies and remote hosts with 400 and stores nothing', async () => {
      const before = await snapshotRegistry(t.deps);
      const cases: Array<[string, unknown, number, string]> = [
        ['alice/Upper', {}, 400, 'INVALID_PACKAGE_NAME'],
        ['alice/.hidden', {}, 400, 'INVALID_PACKAGE_NAME'],
        ['alice/_private', {}, 400, 'INVALID_PACKAGE_NAME'],
        ['alice/node_modules', {}, 400, 'INVALID_PACKAGE_NAME'],
        ['alice/favicon.ico', {}, 400, 'INVALID_PACKAGE_NAME'],
        ['alice/a%20b', {}, 400, 'INVALID_PACKAGE_NAME'],
        ['alice/%40scope%2Fname', {}, 400, 'INVALID_PACKAGE_NAME'],
        [`alice/${'x'.repeat(215)}`, {}, 400, 'INVALID_PACKAGE_NAME'],
        ['Alice/pkg', {}, 400, 'INVALID_NAMESPACE'],
        ['a/pkg', {}, 400, 'INVALID_NAMESPACE'],
        ['alice@/pkg', {}, 400, 'INVALID_NAMESPACE'],
        ['alice@elsewhere.example/pkg', {}, 400, 'REMOTE_HOST'],
        ['nobody/pkg', {}, 404, 'NAMESPACE_NOT_FOUND'],
        ['alice/tfa', { require_tfa: 'yes' }, 400, 'INVALID_FIELD'],
        ['alice/tfa', { require_tfa: 1 }, 400, 'INVALID_FIELD'],
        ['alice/tfa', { require_tfa: true }, 400, 'INVALID_FIELD'],
        ['alice/tfa', [], 400, 'INVALID_JSON'],
      ];
      for (const [path, payload, status, code] of cases) expectError(await put(path, alice.token, payload), status, code);
      const broken = await t.app.inject({
        method: 'PUT',
        url: '/packages/package/alice/tfa',
        headers: { ...bearer(alice.token), 'content-type': 'application/json' },
        payload: '{not json',
      });
      expectError(broken, 400, 'INVALID_JSON');
      const text = await t.app.inject({
        method: 'PUT',
        url: '/packages/package/alice/tfa',
        headers: { ...bearer(alice.token), 'content-type': 'text/plain' },
        payload: 'hello',
      });
      assert.ok([400, 415].includes(text.statusCode), text.body);
      await assertUnchanged(t.deps, before);
    });
  });

  describe('GET /packages/package/:namespace/:name', () => {
    it('answers the package document of API.md §4', async () => {
      await publishVersion(t.app, 'alice/doc', '1.0.0', { token: alice.token });
      const v2 = await publishVersion(t.app, 'alice/doc', '2.0.0-beta.1', { token: alice.token, fields: { tag: 'next' } });
      const v1 = (await t.app.inject({ url: '/packages/package/alice/doc/versions/1.0.0' })).json();
      const response = await t.app.inject({ url: '/packages/package/alice/doc' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^application\/json; charset=utf-8/);
      const doc = response.json();
      assert.deepEqual(Object.keys(doc).sort(), [
        'created',
        'hostSignatures',
        'modified',
        'name',
        'owner',
        'require_tfa',
        'tags',
        'versions',
        'yanked',
      ]);
      assert.equal(doc.name, `alice@${t.host}/doc`);
      assert.equal(doc.owner, `alice@${t.host}`);
      assert.deepEqual(doc.versions, { '1.0.0': v1.integrity, '2.0.0-beta.1': v2.integrity });
      assert.deepEqual(doc.tags, { latest: '1.0.0', next: '2.0.0-beta.1' });
      assert.ok(!Number.isNaN(Date.parse(doc.created)) && doc.modified >= doc.created);
      // Same document under the full ns@host form.
      const full = await t.app.inject({ url: `/packages/package/alice@${t.host}/doc` });
      assert.deepEqual(full.json(), doc);
    });

    it('sends a strong ETag and short public caching; If-None-Match → 304; a write changes the ETag', async () => {
      const first = await t.app.inject({ url: '/packages/package/alice/doc' });
      const etag = String(first.headers.etag);
      assert.match(etag, /^"[^"]+"$/, 'a strong ETag');
      assert.match(String(first.headers['cache-control']), /^public, max-age=\d+$/);
      const cached = await t.app.inject({ url: '/packages/package/alice/doc', headers: { 'if-none-match': etag } });
      assert.equal(cached.statusCode, 304);
      assert.equal(cached.body, '');
      assert.equal(cached.headers.etag, etag);
      const other = await t.app.inject({ url: '/packages/package/alice/doc', headers: { 'if-none-match': '"something-else"' } });
      assert.equal(other.statusCode, 200);
      for (const header of [`"something-else", ${etag}`, `W/${etag}`]) {
        const listed = await t.app.inject({ url: '/packages/package/alice/doc', headers: { 'if-none-match': header } });
        assert.equal(listed.statusCode, 304, header);
      }
      await publishVersion(t.app, 'alice/doc', '1.1.0', { token: alice.token });
      const changed = await t.app.inject({ url: '/packages/package/alice/doc', headers: { 'if-none-match': etag } });
      assert.equal(changed.statusCode, 200);
      assert.notEqual(changed.headers.etag, etag);
      assert.equal(changed.json().tags.latest, '1.1.0');
    });

    it('answers HEAD like GET without a body', async () => {
      const head = await t.app.inject({ method: 'HEAD', url: '/packages/package/alice/doc' });
      assert.equal(head.statusCode, 200);
      assert.equal(head.body, '');
      assert.match(String(head.headers.etag), /^"/);
    });

    it('unknown package → 404 PACKAGE_NOT_FOUND, also once it is created (no stale cached 404)', async () => {
      expectError(await t.app.inject({ url: '/packages/package/alice/later' }), 404, 'PACKAGE_NOT_FOUND');
      expectError(await t.app.inject({ url: '/packages/package/alice/later' }), 404, 'PACKAGE_NOT_FOUND');
      assert.equal((await put('alice/later', alice.token)).statusCode, 201);
      assert.equal((await t.app.inject({ url: '/packages/package/alice/later' })).statusCode, 200);
    });

    it('unknown namespace or remote host → 404; bad names → 400', async () => {
      expectError(await t.app.inject({ url: '/packages/package/nobody/doc' }), 404, 'PACKAGE_NOT_FOUND');
      // a host not in FEDERATION_HOSTS is never contacted (docs/federation.md)
      expectError(await t.app.inject({ url: '/packages/package/alice@elsewhere.example/doc' }), 404, 'PEER_NOT_CONFIGURED');
      expectError(await t.app.inject({ url: '/packages/package/alice/Doc' }), 400, 'INVALID_PACKAGE_NAME');
      expectError(await t.app.inject({ url: '/packages/package/ALICE/doc' }), 400, 'INVALID_NAMESPACE');
    });
  });

  describe('legacy names', () => {
    it('a scoped legacy name travels percent-encoded in the URL and in the full name', async () => {
      const legacy = await t.deps.db.selectFrom('namespaces').select('id').where('name', '=', 'legacy').executeTakeFirstOrThrow();
      await t.deps.db
        .insertInto('namespace_members')
        .values({ namespace_id: legacy.id, user_id: alice.id, accepted: true, invited_by: null })
        .execute();
      const published = await publishVersion(t.app, 'legacy/%40types%2Fnode', '1.0.0', { token: alice.token });
      assert.equal(published.name, `legacy@${t.host}/%40types%2Fnode`);
      for (const url of ['/packages/package/legacy/%40types%2Fnode', '/packages/package/legacy/@types%2Fnode']) {
        const doc = await t.app.inject({ url });
        assert.equal(doc.statusCode, 200, url);
        assert.equal(doc.json().name, `legacy@${t.host}/%40types%2Fnode`);
        assert.deepEqual(Object.keys(doc.json().versions), ['1.0.0']);
      }
      const version = await t.app.inject({ url: '/packages/package/legacy/%40types%2Fnode/versions/1.0.0' });
      assert.equal(version.json().integrity, published.integrity);
      // Upper case and scopes stay legacy-only.
      expectError(await t.app.inject({ url: '/packages/package/alice/%40types%2Fnode' }), 400, 'INVALID_PACKAGE_NAME');
      await t.deps.db.deleteFrom('namespace_members').where('namespace_id', '=', legacy.id).execute();
    });
  });

  describe('DELETE /packages/package/:namespace/:name (abandon)', () => {
    it('refuses non-maintainers (403 NOT_A_MAINTAINER) and unknown packages (404)', async () => {
      await publishVersion(t.app, 'alice/old', '1.0.0', { token: alice.token });
      const before = await snapshotRegistry(t.deps);
      expectError(
        await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/old', headers: bearer(bob.token) }),
        403,
        'NOT_A_MAINTAINER',
      );
      expectError(
        await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/never', headers: bearer(alice.token) }),
        404,
        'PACKAGE_NOT_FOUND',
      );
      expectError(await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/old' }), 401, 'UNAUTHENTICATED');
      await assertUnchanged(t.deps, before);
    });

    it('yanks every version, drops the tags and hands maintainership to abandonware', async () => {
      await publishVersion(t.app, 'alice/old', '1.1.0', { token: alice.token });
      await publishVersion(t.app, 'alice/old', '2.0.0-rc.1', { token: alice.token, fields: { tag: 'next' } });
      const etag = (await t.app.inject({ url: '/packages/package/alice/old' })).headers.etag;
      const response = await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/old', headers: bearer(alice.token) });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');

      const doc = await t.app.inject({ url: '/packages/package/alice/old', headers: { 'if-none-match': String(etag) } });
      assert.equal(doc.statusCode, 200, 'the cached document was not invalidated');
      assert.equal(doc.json().yanked, true);
      assert.deepEqual(doc.json().versions, {});
      assert.deepEqual(doc.json().tags, {});
      assert.deepEqual((await t.app.inject({ url: '/packages/package/alice/old/versions' })).json(), {});
      assert.deepEqual((await t.app.inject({ url: '/packages/package/alice/old/dist-tags' })).json(), {});
      for (const version of ['1.0.0', '1.1.0', '2.0.0-rc.1']) {
        const v = await t.app.inject({ url: `/packages/package/alice/old/versions/${version}` });
        assert.equal(v.statusCode, 200, 'yanked versions stay fetchable by exact version');
        assert.equal(v.json().yanked, true);
      }
      const maintainers = await t.deps.db
        .selectFrom('package_maintainers as pm')
        .innerJoin('packages as p', 'p.id', 'pm.package_id')
        .innerJoin('namespaces as n', 'n.id', 'pm.namespace_id')
        .select(['n.name', 'pm.accepted'])
        .where('p.name', '=', 'old')
        .execute();
      assert.deepEqual(maintainers, [{ name: 'abandonware', accepted: true }]);
      const all = (await t.app.inject({ url: '/packages?limit=1000' })).json();
      assert.ok(!all.objects.some((p: { name: string }) => p.name === `alice@${t.host}/old`), 'an abandoned package is still listed');
    });

    it('refuses every later write with 409 PACKAGE_ABANDONED: republish (also a new version), update, tag, yank, abandon again', async () => {
      const before = await snapshotRegistry(t.deps);
      for (const version of ['1.0.0', '3.0.0']) {
        expectError(await publish(t.app, 'alice/old', version, { token: alice.token }), 409, 'PACKAGE_ABANDONED');
        expectError(await publish(t.app, 'alice/old', version, { token: bob.token }), 409, 'PACKAGE_ABANDONED');
      }
      for (const request of [
        { method: 'PUT', url: '/packages/package/alice/old', payload: {} },
        { method: 'DELETE', url: '/packages/package/alice/old' },
        { method: 'DELETE', url: '/packages/package/alice/old/versions/1.0.0' },
        { method: 'PUT', url: '/packages/package/alice/old/dist-tags/latest', payload: { version: '1.0.0' } },
      ] as const) {
        expectError(await t.app.inject({ ...request, headers: bearer(alice.token) }), 409, 'PACKAGE_ABANDONED');
      }
      await assertUnchanged(t.deps, before);
    });
  });
});
