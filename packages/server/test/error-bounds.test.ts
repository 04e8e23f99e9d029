import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestApp, encodePublishBody, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { appError, errorCatalogue } from '@entropic/types';
import type { LightMyRequestResponse } from 'fastify';
import { errorBody, MAX_ERROR_TEXT } from '../src/plugins/errors.ts';
import { assertNoLeak, expectError } from './support/expect-error.ts';
import { rawMultipart } from './support/raw-multipart.ts';

/** An error message may quote user input, but only cut short. */
const MAX_MESSAGE = 300;

/** Every error body: a catalogue code (never the framework's), `{message, code}`, bounded texts. */
function expectBoundedError(response: LightMyRequestResponse, status: number, code: string): void {
  const body = expectError(response, status, code);
  assert.ok(code in errorCatalogue, `code ${code} is not in the catalogue`);
  // `error` only on npm routes: the message (and hint) again, where the npm CLI prints it (issue 17.4)
  const { error, ...rest } = body as typeof body & { error?: string };
  assert.deepEqual(Object.keys(rest).sort(), body.hint === undefined ? ['code', 'message'] : ['code', 'hint', 'message']);
  if (error !== undefined) assert.equal(error, body.hint ? `${body.message} ${body.hint}` : body.message);
  assert.ok(body.message.length <= MAX_MESSAGE, `message of ${body.message.length} characters: ${body.message.slice(0, 120)}…`);
  assert.ok(response.body.length <= MAX_MESSAGE * 4, `body of ${response.body.length} characters`);
}

/** Sends raw bytes on a fresh connection; resolves with everything the server wrote before it closed. */
function rawHttp(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(request);
  });
}

describe('every error leaves through the one mapping, with bounded quotes (issue 17.1)', () => {
  let t: TestApp;
  let alice: TestUser;
  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    await publishVersion(t.app, 'alice/x', '1.0.0', { token: alice.token });
  });
  after(() => t.close());

  const long = 'a'.repeat(10_000);
  /** under the router's parameter limit, so the route itself sees (and must not echo) it */
  const medium = 'a'.repeat(1_000);

  describe('a package name of 10,000 characters, in every route that takes one, is 414 URI_TOO_LONG', () => {
    const routes = [
      ['GET', `/packages/package/legacy/${long}`],
      ['GET', `/packages/package/${long}/x`],
      ['PUT', `/packages/package/alice/${long}`],
      ['DELETE', `/packages/package/alice/${long}`],
      ['GET', `/packages/package/alice/${long}/versions`],
      ['GET', `/packages/package/alice/${long}/versions/1.0.0`],
      ['PUT', `/packages/package/alice/${long}/versions/1.0.0`],
      ['GET', `/packages/package/alice/${long}/dist-tags`],
      ['PUT', `/packages/package/alice/${long}/dist-tags/beta`],
      ['GET', `/packages/package/alice/${long}/maintainers`],
      ['GET', `/${long}`],
      ['PUT', `/${long}`],
      ['GET', `/@alice/${long}`],
      ['GET', `/@alice%2f${long}`],
      ['PUT', `/@alice%2f${long}`],
      ['GET', `/${long}/-/${long}-1.0.0.tgz`],
      ['GET', `/@alice/${long}/-/x-1.0.0.tgz`],
      ['DELETE', `/${long}/-rev/1`],
      ['GET', `/-/package/${long}/dist-tags`],
      ['GET', `/-/package/@alice%2f${long}/dist-tags`],
      ['PUT', `/-/package/${long}/dist-tags/beta`],
      ['DELETE', `/-/package/${long}/dist-tags/beta`],
      ['GET', `/-/v1/login/poll/${'x'.repeat(2000)}`],
    ] as const;
    for (const [method, url] of routes) {
      it(`${method} ${url.slice(0, 36)}… (${url.length} characters)`, async () => {
        const json = method === 'PUT' ? { headers: { 'content-type': 'application/json' }, payload: '{}' } : {};
        expectBoundedError(await t.app.inject({ method, url, ...json }), 414, 'URI_TOO_LONG');
      });
    }
  });

  describe('a name of 1,000 characters reaches the route, which quotes it cut short', () => {
    const routes = [
      ['GET', `/packages/package/alice/${medium}`, 400, 'INVALID_PACKAGE_NAME'],
      ['GET', `/${medium}`, 400, 'INVALID_PACKAGE_NAME'],
      ['GET', `/@alice%2f${medium}`, 400, 'INVALID_PACKAGE_NAME'],
      ['GET', `/-/package/${medium}/dist-tags`, 400, 'INVALID_PACKAGE_NAME'],
      ['GET', `/@${medium}/x`, 400, 'INVALID_PACKAGE_NAME'],
      ['GET', `/${medium}/${medium}`, 404, 'NOT_FOUND'],
      ['GET', `/x/-/${medium}.tgz`, 404, 'NOT_FOUND'],
      ['GET', `/@alice/x/-/${medium}.tgz`, 404, 'NOT_FOUND'],
      ['GET', `/@alice/x/-/x-1.0.0-${medium}.tgz`, 400, 'INVALID_VERSION'],
      ['GET', `/packages/package/alice/x/versions/${medium}`, 400, 'INVALID_VERSION'],
      ['GET', `/namespaces/namespace/${medium}/members`, 400, 'INVALID_NAMESPACE'],
      ['GET', `/-/v1/login/poll/${'x'.repeat(1000)}`, 400, 'INVALID_SESSION_ID'],
      ['GET', `/-/nope/${'b/'.repeat(2000)}more`, 404, 'NOT_FOUND'],
    ] as const;
    for (const [method, url, status, code] of routes) {
      it(`${method} ${url.slice(0, 36)}… is ${status} ${code}`, async () => {
        expectBoundedError(await t.app.inject({ method, url }), status, code);
      });
    }
  });

  describe('publish bodies with 10,000-character names are refused with bounded quotes', () => {
    const headers = () => ({ 'content-type': 'application/json', authorization: `Bearer ${alice.token}` });
    const attachment = { 'x-1.0.1.tgz': { data: 'aGk=', length: 2 } };
    it('npm publish: a body naming another package', async () => {
      const payload = { name: long, versions: {} };
      expectBoundedError(await t.app.inject({ method: 'PUT', url: '/@alice%2fx', headers: headers(), payload }), 400, 'INVALID_FIELD');
    });
    it('npm publish: a version key of 10,000 characters', async () => {
      const payload = { name: '@alice/x', versions: { [long]: { name: '@alice/x', version: long } }, _attachments: attachment };
      expectBoundedError(await t.app.inject({ method: 'PUT', url: '/@alice%2fx', headers: headers(), payload }), 400, 'INVALID_VERSION');
    });
    it('npm publish: a dependency name of 10,000 characters', async () => {
      const payload = {
        name: '@alice/x',
        versions: { '1.0.1': { name: '@alice/x', version: '1.0.1', dependencies: { [long]: '^1.0.0' } } },
        _attachments: attachment,
      };
      const response = await t.app.inject({ method: 'PUT', url: '/@alice%2fx', headers: headers(), payload });
      assert.ok([400].includes(response.statusCode), response.body.slice(0, 200));
      expectBoundedError(response, 400, (response.json() as { code: string }).code);
    });
    it('npm dist-tag add: a version of 10,000 characters', async () => {
      const response = await t.app.inject({
        method: 'PUT',
        url: '/-/package/@alice%2fx/dist-tags/beta',
        headers: headers(),
        payload: JSON.stringify(long),
      });
      expectBoundedError(response, 400, 'INVALID_VERSION');
    });
    it('Entropic publish: a dependency name and a file path of 10,000 characters', async () => {
      const auth = { authorization: `Bearer ${alice.token}` };
      const deps = await encodePublishBody({ files: { 'index.js': 'x' }, fields: { dependencies: { [long]: '^1.0.0' } } });
      const url = '/packages/package/alice/x/versions/1.0.2';
      expectBoundedError(
        await t.app.inject({ method: 'PUT', url, headers: { 'content-type': deps.contentType, ...auth }, payload: deps.payload }),
        400,
        'INVALID_DEPENDENCY',
      );
      const path = await encodePublishBody({ files: { [long]: 'x' } });
      expectBoundedError(
        await t.app.inject({ method: 'PUT', url, headers: { 'content-type': path.contentType, ...auth }, payload: path.payload }),
        400,
        'INVALID_PATH',
      );
    });
  });

  describe('framework errors map to catalogue codes', () => {
    const url = '/packages/package/alice/y';
    const json = { 'content-type': 'application/json' };
    it('bad JSON is 400 INVALID_JSON', async () => {
      expectBoundedError(await t.app.inject({ method: 'PUT', url, headers: json, payload: `{"a":"${long}` }), 400, 'INVALID_JSON');
    });
    it('a JSON body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
      const payload = `{"a":"${'z'.repeat(1024 * 1024 + 10)}"}`;
      expectBoundedError(await t.app.inject({ method: 'PUT', url, headers: json, payload }), 413, 'PAYLOAD_TOO_LARGE');
    });
    it('an unsupported media type is 415 UNSUPPORTED_MEDIA_TYPE, without quoting it', async () => {
      const headers = { 'content-type': `text/x-${long}` };
      expectBoundedError(await t.app.inject({ method: 'PUT', url, headers, payload: 'hi' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
    it('an unsupported Content-Encoding on publish is 415, quoted cut short', async () => {
      const { payload, contentType } = await encodePublishBody({ files: { 'index.js': 'x' } });
      const headers = { 'content-type': contentType, 'content-encoding': `x-${'e'.repeat(9000)}`, authorization: `Bearer ${alice.token}` };
      const response = await t.app.inject({ method: 'PUT', url: '/packages/package/alice/x/versions/1.0.3', headers, payload });
      expectBoundedError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
    it('a missing or empty body where JSON is expected is a field error, not a crash', async () => {
      const auth = { authorization: `Bearer ${alice.token}` };
      expectBoundedError(await t.app.inject({ method: 'POST', url: '/auth/tokens', headers: auth }), 400, 'INVALID_FIELD');
      expectBoundedError(
        await t.app.inject({ method: 'POST', url: '/auth/tokens', headers: { ...json, ...auth }, payload: '  ' }),
        400,
        'INVALID_FIELD',
      );
      expectBoundedError(
        await t.app.inject({ method: 'PUT', url: '/-/package/@alice%2fx/dist-tags/beta', headers: { ...json, ...auth }, payload: '' }),
        400,
        'INVALID_FIELD',
      );
      expectBoundedError(
        await t.app.inject({ method: 'PUT', url: '/packages/package/alice/x/dist-tags/beta', headers: auth }),
        400,
        'INVALID_FIELD',
      );
    });
    it('bad multipart is 400 INVALID_MULTIPART', async () => {
      const auth = { authorization: `Bearer ${alice.token}` };
      const publishUrl = '/packages/package/alice/x/versions/1.0.4';
      const garbage = { 'content-type': `multipart/form-data; boundary=${'b'.repeat(60)}`, ...auth };
      expectBoundedError(await t.app.inject({ method: 'PUT', url: publishUrl, headers: garbage, payload: long }), 400, 'INVALID_MULTIPART');
      const cut = rawMultipart([{ name: 'entry[]', filename: 'package%2Findex.js', content: 'x' }]);
      const truncated = cut.payload.subarray(0, cut.payload.length - 10);
      expectBoundedError(
        await t.app.inject({ method: 'PUT', url: publishUrl, headers: { 'content-type': cut.contentType, ...auth }, payload: truncated }),
        400,
        'INVALID_MULTIPART',
      );
    });
    it('a URL the router cannot decode is 400 BAD_REQUEST', async () => {
      expectBoundedError(
        await t.app.inject({ method: 'GET', url: `/packages/package/alice/%zz${long.slice(0, 500)}` }),
        400,
        'BAD_REQUEST',
      );
    });
  });

  describe('what Node refuses before there is a request leaves in the same shape', () => {
    before(() => t.listen());
    it('a request line of 20,000 characters is 431 HEADERS_TOO_LARGE', async () => {
      const raw = await rawHttp(t.url, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      assert.match(raw, /^HTTP\/1\.1 431 /);
      assert.match(raw, /content-type: application\/json/i);
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
      assert.deepEqual(body, { message: errorCatalogue.HEADERS_TOO_LARGE.message, code: 'HEADERS_TOO_LARGE' });
    });
    it('a malformed request is 400 BAD_REQUEST', async () => {
      const raw = await rawHttp(t.url, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x${long}\r\n\r\n`);
      assert.match(raw, /^HTTP\/1\.1 400 /);
      const text = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      assertNoLeak(text);
      assert.deepEqual(JSON.parse(text), { message: errorCatalogue.BAD_REQUEST.message, code: 'BAD_REQUEST' });
    });
  });

  it('the one exit bounds every message and hint, also one a route forgot to cut', () => {
    const body = errorBody(appError('NOT_FOUND', `No ${long}.`, { hint: long }));
    assert.equal(body.code, 'NOT_FOUND');
    assert.ok(body.message.length <= MAX_ERROR_TEXT, String(body.message.length));
    assert.ok((body.hint ?? '').length <= MAX_ERROR_TEXT);
    assert.ok(body.message.startsWith('No aaa'));
  });
});
