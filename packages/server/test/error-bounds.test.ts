import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';
import { errorCatalogue } from '@entropic/types';
import { expectError } from './support/expect-error.ts';

/** An error message may quote user input, but only cut short. */
const MAX_MESSAGE = 300;

describe('every error leaves through the one mapping, with bounded quotes (issue 17.1)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const long = 'a'.repeat(10_000);
  const routes = [
    ['GET', `/packages/package/legacy/${long}`],
    ['GET', `/packages/package/${long}/x`],
    ['PUT', `/packages/package/legacy/${long}`],
    ['GET', `/packages/package/legacy/${long}/versions/1.0.0`],
    ['GET', `/${long}`],
    ['GET', `/@foo%2f${long}`],
    ['GET', `/-/package/${long}/dist-tags`],
    ['GET', `/-/v1/login/poll/${'x'.repeat(2000)}`],
  ] as const;

  for (const [method, url] of routes) {
    it(`${method} ${url.slice(0, 30)}… (${url.length} characters) answers a catalogue code without echoing it`, async () => {
      const response = await t.app.inject({ method, url, ...(method === 'PUT' ? { payload: {} } : {}) });
      const body = response.json() as { message: string; code: string; error?: unknown };
      assert.ok(body.code in errorCatalogue, `code ${body.code} is not in the catalogue`);
      assert.ok(!body.code.startsWith('FST_'), body.code);
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, String(response.statusCode));
      assert.ok(body.message.length <= MAX_MESSAGE, `message of ${body.message.length} characters`);
      assert.ok(response.body.length <= MAX_MESSAGE * 2, `body of ${response.body.length} characters`);
    });
  }

  it('a parameter over the router limit is 414 URI_TOO_LONG', async () => {
    expectError(await t.app.inject({ url: `/-/v1/login/poll/${'x'.repeat(2000)}` }), 414, 'URI_TOO_LONG');
  });

  it('an unknown route quotes the path cut short', async () => {
    const body = expectError(await t.app.inject({ url: `/-/nope/${'b/'.repeat(2000)}more` }), 404, 'NOT_FOUND');
    assert.ok(body.message.length <= MAX_MESSAGE, body.message);
  });

  it('framework errors of the body parsers map to catalogue codes', async () => {
    const json = { 'content-type': 'application/json' };
    expectError(
      await t.app.inject({ method: 'PUT', url: '/packages/package/legacy/x', headers: json, payload: '{"a":' }),
      400,
      'INVALID_JSON',
    );
    expectError(
      await t.app.inject({
        method: 'PUT',
        url: '/packages/package/legacy/x',
        headers: json,
        payload: `{"a":"${'z'.repeat(1024 * 1024 + 10)}"}`,
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectError(
      await t.app.inject({ method: 'PUT', url: '/packages/package/legacy/x', headers: { 'content-type': 'text/x-nope' }, payload: 'hi' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });
});
