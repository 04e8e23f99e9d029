import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, publishVersion, type TestApp } from '@entropic/testkit';
import { validate } from '@scalar/openapi-parser';
import { API_SCHEMAS } from '../src/api-schemas.ts';

describe('GET /-/openapi.json and the page that renders it', () => {
  let t: TestApp;
  let document: { openapi: string; paths: Record<string, Record<string, unknown>> };
  before(async () => {
    t = await createTestApp();
    const response = await t.app.inject({ url: '/-/openapi.json' });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    document = response.json();
  });
  after(() => t.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(document.openapi, '3.1.0');
    const result = await validate(document as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it('lists the main routes of the API, and neither the website nor the npm protocol', () => {
    const expected: Array<[string, string]> = [
      ['/packages/package/{namespace}/{name}', 'get'],
      ['/packages/package/{namespace}/{name}/versions/{version}', 'put'],
      ['/packages/package/{namespace}/{name}/versions/{version}', 'get'],
      ['/packages/package/{namespace}/{name}/dist-tags/{tag}', 'put'],
      ['/namespaces/namespace/{namespace}/members/{user}', 'post'],
      ['/auth/whoami', 'get'],
      ['/-/v1/login', 'post'],
      ['/metrics', 'get'],
      ['/ping', 'get'],
    ];
    for (const [path, method] of expected) assert.ok(document.paths[path]?.[method], `${method.toUpperCase()} ${path} is described`);
    const paths = Object.keys(document.paths);
    assert.ok(!paths.some((p) => p.startsWith('/www')), 'no website page');
    assert.ok(!paths.some((p) => p.includes('{scope}') || p === '/{name}'), 'no npm protocol route');
    // every described route is listed (each key of API_SCHEMAS names a registered route)
    const operations = Object.values(document.paths).flatMap((methods) => Object.keys(methods).filter((m) => m !== 'head'));
    assert.equal(operations.length, Object.keys(API_SCHEMAS).length);
  });

  it('describes without validating: a handler still answers bad input with its own catalogue code', async () => {
    const badName = await t.app.inject({ url: '/packages/package/alice/Not_Valid!' });
    assert.equal(badName.statusCode, 400);
    assert.notEqual(badName.json().code, 'BAD_REQUEST');
    const badLimit = await t.app.inject({ url: '/packages?limit=abc' });
    assert.equal(badLimit.statusCode, 400);
    assert.notEqual(badLimit.json().code, 'BAD_REQUEST');
    const { token } = await t.createUser('carol');
    await publishVersion(t.app, 'carol/described', '1.0.0', { token });
    // an unknown field is kept (a response schema would strip it): the package document as the handler made it
    const read = await t.app.inject({ url: '/packages/package/carol/described' });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().versions['1.0.0'] !== undefined, true);
  });

  it('serves the page and its assets from this server (no CDN)', async () => {
    const page = await t.app.inject({ url: '/-/api/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(
      assets.some((a) => a.endsWith('swagger-ui-bundle.js')),
      page.body,
    );
    for (const asset of assets) {
      assert.ok(!/^(https?:)?\/\//.test(asset), `${asset} is local`);
      const url = new URL(asset, 'http://registry.test/-/api/').pathname;
      const response = await t.app.inject({ url });
      assert.equal(response.statusCode, 200, `${url}: ${response.statusCode}`);
    }
    const initializer = await t.app.inject({ url: '/-/api/static/swagger-initializer.js' });
    assert.match(initializer.body, /\.\/json/);
    const json = await t.app.inject({ url: '/-/api/json' });
    assert.deepEqual(json.json(), document);
  });
});
