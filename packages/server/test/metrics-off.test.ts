import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';

describe('METRICS=off', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { METRICS: 'off' } });
  });
  after(() => t.close());

  it('serves no /metrics and leaves the ports undecorated', async () => {
    const response = await t.app.inject({ url: '/metrics' });
    assert.equal(response.statusCode, 404);
    assert.equal(t.deps.metrics, undefined);
  });
});
