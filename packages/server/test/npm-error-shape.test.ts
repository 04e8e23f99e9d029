import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import type { LightMyRequestResponse } from 'fastify';

type Body = { message: string; code: string; hint?: string; error?: string };

/** npm prints only the status line and an error body's `error` field (npm-registry-fetch). */
function npmError(response: LightMyRequestResponse, status: number, code: string): Body {
  assert.equal(response.statusCode, status, response.body);
  const body = response.json() as Body;
  assert.equal(body.code, code);
  assert.ok(body.error?.startsWith(body.message), `"error" should carry the message: ${response.body}`);
  return body;
}

describe('npm routes carry the message where npm prints it (issue 17.4)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    await publishVersion(t.app, 'alice/x', '1.0.0', { token: alice.token });
  });
  after(() => t.close());

  it('a dist-tag change without rights, an unknown version, a bad name, a missing package', async () => {
    const json = { 'content-type': 'application/json' };
    const forbidden = await t.app.inject({
      method: 'PUT',
      url: '/-/package/@alice%2fx/dist-tags/beta',
      headers: { ...json, ...bearer(bob.token) },
      payload: '"1.0.0"',
    });
    assert.ok(forbidden.statusCode === 403, forbidden.body);
    npmError(forbidden, 403, (forbidden.json() as Body).code);
    npmError(await t.app.inject({ url: '/@alice/x/-/x-9.9.9.tgz' }), 404, 'VERSION_NOT_FOUND');
    npmError(await t.app.inject({ url: `/${'a'.repeat(300)}` }), 400, 'INVALID_PACKAGE_NAME');
    // twice: the second answer is the cached 404
    npmError(await t.app.inject({ url: '/@alice/missing' }), 404, 'PACKAGE_NOT_FOUND');
    npmError(await t.app.inject({ url: '/@alice/missing' }), 404, 'PACKAGE_NOT_FOUND');
    npmError(await t.app.inject({ method: 'PUT', url: '/@alice%2fx', headers: json, payload: '{"a":' }), 400, 'INVALID_JSON');
  });

  it('the hint follows the message in "error"', async () => {
    const body = npmError(
      await t.app.inject({
        method: 'PUT',
        url: '/x',
        headers: { 'content-type': 'application/json', ...bearer(alice.token) },
        payload: {},
      }),
      403,
      'FORBIDDEN',
    );
    assert.ok(body.hint);
    assert.equal(body.error, `${body.message} ${body.hint}`);
  });

  it('the Entropic API keeps its {message, code} shape', async () => {
    const response = await t.app.inject({ url: '/packages/package/alice/missing' });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(Object.keys(response.json() as Body).sort(), ['code', 'message']);
    const unknown = await t.app.inject({ url: '/-/nope/x' });
    assert.equal((unknown.json() as Body).error, undefined);
  });
});
