import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';

const HOUR = 3_600_000;
const ABBREVIATED = { accept: 'application/vnd.npm.install-v1+json' };

describe("a namespace's own release-age quarantine (issue 10.5)", () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let offsetMs = -48 * HOUR;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  before(async () => {
    t = await createTestApp({ clock });
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    await publishVersion(t.app, 'alice/lib', '1.0.0', { token: alice.token });
    offsetMs = 0;
    await publishVersion(t.app, 'alice/lib', '1.1.0', { token: alice.token });
    await t.runJobs();
  });
  after(() => t?.close());

  const packument = async () =>
    (await t.app.inject({ url: '/@alice/lib', headers: ABBREVIATED })).json() as {
      'dist-tags': Record<string, string>;
      versions: Record<string, { deprecated?: string }>;
    };
  const setHours = (hours: unknown, token = alice.token) =>
    t.app.inject({ method: 'PUT', url: '/namespaces/namespace/alice/release-age', headers: bearer(token), payload: { hours } });

  it('members set it; the packument then keeps younger versions from ranges and latest; null turns it off', async () => {
    assert.deepEqual((await t.app.inject({ url: '/namespaces/namespace/alice/release-age' })).json(), { hours: null });
    assert.equal((await packument())['dist-tags'].latest, '1.1.0');

    expectError(await setHours(24, bob.token), 403, 'NOT_A_MEMBER');
    for (const bad of [-1, 1.5, '24', 24 * 366]) expectError(await setHours(bad), 400, 'INVALID_FIELD');
    assert.deepEqual((await t.app.inject({ url: '/namespaces/namespace/alice/release-age' })).json(), { hours: null });

    const set = await setHours(24);
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual(set.json(), { hours: 24 });
    // the cached packument was dropped by the change
    const quarantined = await packument();
    assert.deepEqual(quarantined['dist-tags'], { latest: '1.0.0' });
    assert.match(quarantined.versions['1.1.0']?.deprecated ?? '', /^Quarantined by the registry until /);
    assert.equal(quarantined.versions['1.0.0']?.deprecated, undefined);

    const audit = (await t.app.inject({ url: '/auth/audit', headers: bearer(alice.token) })).json().objects as Array<{ action: string }>;
    assert.equal(audit[0]?.action, 'namespace-release-age');

    assert.equal((await setHours(null)).statusCode, 200);
    assert.equal((await packument())['dist-tags'].latest, '1.1.0');
  });
});
