import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';
import { assertUnchanged, snapshotRegistry } from './support/registry-snapshot.ts';

describe('dist-tags', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let readToken: string;

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    readToken = (
      await t.app.inject({
        method: 'POST',
        url: '/auth/tokens',
        headers: bearer(alice.token),
        payload: { description: 'r', scope: 'read' },
      })
    ).json().token;
    for (const version of ['1.0.0', '1.1.0', '2.0.0-beta.1']) {
      await publishVersion(t.app, 'alice/tagged', version, {
        token: alice.token,
        ...(version.includes('-') ? { fields: { tag: 'beta' } } : {}),
      });
    }
  });
  after(() => t.close());

  const setTag = (tag: string, payload: unknown, token: string | null = alice.token, spec = 'alice/tagged') =>
    t.app.inject({
      method: 'PUT',
      url: `/packages/package/${spec}/dist-tags/${tag}`,
      headers: token ? bearer(token) : {},
      payload: payload as object,
    });
  const deleteTag = (tag: string, token: string | null = alice.token, spec = 'alice/tagged') =>
    t.app.inject({ method: 'DELETE', url: `/packages/package/${spec}/dist-tags/${tag}`, headers: token ? bearer(token) : {} });
  const tags = async () => (await t.app.inject({ url: '/packages/package/alice/tagged/dist-tags' })).json();

  it('GET lists {tag: version}; unknown package → 404', async () => {
    const response = await t.app.inject({ url: '/packages/package/alice/tagged/dist-tags' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { beta: '2.0.0-beta.1', latest: '1.1.0' });
    expectError(await t.app.inject({ url: '/packages/package/alice/none/dist-tags' }), 404, 'PACKAGE_NOT_FOUND');
  });

  it('PUT sets or moves a tag → 200 with every tag, visible in the package document', async () => {
    const etag = (await t.app.inject({ url: '/packages/package/alice/tagged' })).headers.etag;
    const response = await setTag('stable', { version: '1.0.0' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { beta: '2.0.0-beta.1', latest: '1.1.0', stable: '1.0.0' });
    const moved = await setTag('stable', { version: '1.1.0' });
    assert.deepEqual(moved.json().stable, '1.1.0');
    const latest = await setTag('latest', { version: '1.0.0' });
    assert.equal(latest.json().latest, '1.0.0');
    const pkg = await t.app.inject({ url: '/packages/package/alice/tagged', headers: { 'if-none-match': String(etag) } });
    assert.equal(pkg.statusCode, 200, 'the cached package document was not invalidated');
    assert.deepEqual(pkg.json().tags, { beta: '2.0.0-beta.1', latest: '1.0.0', stable: '1.1.0' });
    await setTag('latest', { version: '1.1.0' });
  });

  it('PUT refuses bad tags and versions, unknown and yanked versions — and changes nothing', async () => {
    await publishVersion(t.app, 'alice/tagged', '1.2.0', { token: alice.token, fields: { tag: 'gone' } });
    await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/tagged/versions/1.2.0', headers: bearer(alice.token) });
    const before = await snapshotRegistry(t.deps);
    for (const tag of ['1.x', '%5E2', '1.0.0', 'v1', '*', '-x', 'a%20b', 'x'.repeat(65)]) {
      expectError(await setTag(tag, { version: '1.0.0' }), 400, 'INVALID_TAG');
    }
    expectError(await setTag('next', {}), 400, 'INVALID_FIELD');
    expectError(await setTag('next', { version: 1 }), 400, 'INVALID_FIELD');
    expectError(await setTag('next', []), 400, 'INVALID_JSON');
    expectError(await setTag('next', { version: 'v1.0.0' }), 400, 'INVALID_VERSION');
    expectError(await setTag('next', { version: '^1.0.0' }), 400, 'INVALID_VERSION');
    expectError(await setTag('next', { version: '9.9.9' }), 404, 'VERSION_NOT_FOUND');
    expectError(await setTag('next', { version: '1.2.0' }), 409, 'CONFLICT');
    expectError(await setTag('latest', { version: '1.2.0' }), 409, 'CONFLICT');
    expectError(await setTag('next', { version: '1.0.0' }, alice.token, 'alice/none'), 404, 'PACKAGE_NOT_FOUND');
    const broken = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/tagged/dist-tags/next',
      headers: { ...bearer(alice.token), 'content-type': 'application/json' },
      payload: '{"version":',
    });
    expectError(broken, 400, 'INVALID_JSON');
    await assertUnchanged(t.deps, before);
    assert.equal((await tags()).gone, undefined);
  });

  it('DELETE removes a tag → 204; again → 404 TAG_NOT_FOUND; latest → 400 CANNOT_DELETE_LATEST', async () => {
    await setTag('temp', { version: '1.0.0' });
    const response = await deleteTag('temp');
    assert.equal(response.statusCode, 204);
    assert.equal((await tags()).temp, undefined);
    const before = await snapshotRegistry(t.deps);
    expectError(await deleteTag('temp'), 404, 'TAG_NOT_FOUND');
    expectError(await deleteTag('latest'), 400, 'CANNOT_DELETE_LATEST');
    expectError(await deleteTag('1.x'), 400, 'INVALID_TAG');
    expectError(await deleteTag('beta', alice.token, 'alice/none'), 404, 'PACKAGE_NOT_FOUND');
    await assertUnchanged(t.deps, before);
    assert.equal((await tags()).latest, '1.1.0');
  });

  it('writes need a maintainer with a publish token', async () => {
    const before = await snapshotRegistry(t.deps);
    expectError(await setTag('next', { version: '1.0.0' }, null), 401, 'UNAUTHENTICATED');
    expectError(await setTag('next', { version: '1.0.0' }, readToken), 403, 'INSUFFICIENT_SCOPE');
    expectError(await setTag('next', { version: '1.0.0' }, bob.token), 403, 'NOT_A_MAINTAINER');
    expectError(await setTag('next', { version: '1.0.0' }, 'garbage'), 401, 'INVALID_TOKEN');
    expectError(await deleteTag('beta', null), 401, 'UNAUTHENTICATED');
    expectError(await deleteTag('beta', readToken), 403, 'INSUFFICIENT_SCOPE');
    expectError(await deleteTag('beta', bob.token), 403, 'NOT_A_MAINTAINER');
    await assertUnchanged(t.deps, before);
  });
});
