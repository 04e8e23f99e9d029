import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';

describe('GET / (issue 17.13)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('sends a browser to the website', async () => {
    const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const response = await t.app.inject({ url: '/', headers: { accept } });
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers.location, '/www/');
    assert.match(String(response.headers.vary), /Accept/i);
    const page = await t.app.inject({ url: '/www/', headers: { accept } });
    assert.ok([200, 303].includes(page.statusCode), String(page.statusCode));
  });

  it('answers programs with the registry document', async () => {
    for (const accept of [
      undefined,
      '*/*',
      'application/json',
      'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*',
    ]) {
      const response = await t.app.inject({ url: '/', headers: accept ? { accept } : {} });
      assert.equal(response.statusCode, 200, accept);
      assert.equal(response.json().server, 'entropic');
      assert.equal(response.json().host, t.host);
    }
  });
});
