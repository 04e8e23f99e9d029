import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publish, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';

describe('registry smoke', () => {
  let t: TestApp;
  let alice: TestUser;
  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
  });
  after(() => t.close());

  it('publishes and reads a version', async () => {
    const doc = await publishVersion(t.app, 'alice/hello', '1.0.0', { token: alice.token });
    assert.equal(doc.name, `alice@${t.host}/hello`);
    const pkg = await t.app.inject({ url: '/packages/package/alice/hello' });
    assert.equal(pkg.statusCode, 200);
    assert.deepEqual(pkg.json().tags, { latest: '1.0.0' });
    const who = await t.app.inject({ url: '/auth/whoami', headers: bearer(alice.token) });
    assert.deepEqual(who.json(), { username: 'alice' });
  });

  it('answers 20 concurrent publishes of one version with one 201 and 409s', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => publish(t.app, 'alice/race', '1.0.0', { token: alice.token })));
    const codes = results.map((r) => r.statusCode).sort();
    assert.equal(codes.filter((c) => c === 201).length, 1, codes.join(','));
    assert.equal(codes.filter((c) => c === 409).length, 19, codes.join(','));
  });
});
