import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('passkey repository (webauthn_credentials)', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let alice: number;
  let bob: number;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    const created = async (name: string) => {
      const result = await repos.users.createWithNamespace({ name, email: null, passwordHash: null });
      return result.outcome === 'created' ? result.user.id : -1;
    };
    alice = await created('alice');
    bob = await created('bob');
  });
  after(() => t.close());

  it('adds, finds and lists a passkey with its transports', async () => {
    await repos.security.addPasskey({
      id: 'cred-a',
      userId: alice,
      publicKey: 'pk',
      counter: 3,
      transports: ['internal', 'hybrid'],
      name: 'laptop',
    });
    const found = await repos.security.findPasskey('cred-a');
    assert.equal(found?.userId, alice);
    assert.equal(found?.counter, 3);
    assert.deepEqual(found?.transports, ['internal', 'hybrid']);
    assert.equal(found?.lastUsedAt, undefined);
    assert.deepEqual(
      (await repos.security.listPasskeys(alice)).map((p) => p.id),
      ['cred-a'],
    );
    assert.deepEqual(await repos.security.listPasskeys(bob), []);
  });

  it('usePasskey is a compare-and-set on the counter: of two sign-ins that read the same count, one wins', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const results = await Promise.all([
      repos.security.usePasskey('cred-a', { previous: 3, next: 4 }, now),
      repos.security.usePasskey('cred-a', { previous: 3, next: 4 }, now),
    ]);
    assert.deepEqual(results.sort(), [false, true]);
    const used = await repos.security.findPasskey('cred-a');
    assert.equal(used?.counter, 4);
    assert.equal(used?.lastUsedAt?.toISOString(), now.toISOString());
    assert.equal(await repos.security.usePasskey('cred-a', { previous: 3, next: 5 }, now), false, 'a stale count');
    assert.equal(await repos.security.usePasskey('missing', { previous: 0, next: 1 }, now), false);
  });

  it('deletePasskey removes only the owner’s passkey', async () => {
    assert.equal(await repos.security.deletePasskey(bob, 'cred-a'), false);
    assert.equal(await repos.security.deletePasskey(alice, 'cred-a'), true);
    assert.equal(await repos.security.findPasskey('cred-a'), undefined);
  });
});
