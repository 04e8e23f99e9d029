import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('token repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let alice: number;
  let bob: number;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    const created = async (name: string) => {
      const result = await repos.users.createWithNamespace({ name, email: null, passwordHash: null });
      assert.equal(result.outcome, 'created');
      return result.outcome === 'created' ? result.user.id : -1;
    };
    alice = await created('alice');
    bob = await created('bob');
  });
  after(() => t.close());

  const newToken = (userId: number, hash: string, extra: { scope?: 'read' | 'publish'; expiresAt?: Date | null } = {}) => ({
    userId,
    hash,
    description: `token ${hash}`,
    scope: extra.scope ?? ('publish' as const),
    expiresAt: extra.expiresAt ?? null,
    prefix: 'ent_v1_0000',
    namespaces: [] as string[],
    packages: [] as string[],
    cidrs: [] as string[],
    automation: false,
  });

  it('insert stores the hash and answers the row without it', async () => {
    const expiresAt = new Date('2040-01-01T00:00:00Z');
    const row = await repos.tokens.insert(newToken(alice, 'hash-1', { scope: 'read', expiresAt }));
    assert.match(row.id, /^[0-9a-f-]{36}$/);
    assert.equal(row.description, 'token hash-1');
    assert.equal(row.scope, 'read');
    assert.equal(row.expires_at?.toISOString(), expiresAt.toISOString());
    assert.equal(row.last_used_at, null);
    assert.ok(row.created_at instanceof Date);
    assert.equal('hash' in row, false);
  });

  it('findByHash joins the user; unknown hashes are undefined', async () => {
    const found = await repos.tokens.findByHash('hash-1');
    assert.equal(found?.user_id, alice);
    assert.equal(found?.name, 'alice');
    assert.equal(found?.hash, 'hash-1');
    assert.equal(found?.revoked_at, null);
    assert.equal(await repos.tokens.findByHash('nope'), undefined);
  });

  it('listActive lists one user’s live tokens, newest first', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    await repos.tokens.insert(newToken(alice, 'hash-2'));
    await repos.tokens.insert(newToken(bob, 'hash-3'));
    assert.deepEqual(
      (await repos.tokens.listActive(alice)).map((row) => row.description),
      ['token hash-2', 'token hash-1'],
    );
  });

  it('revoke answers the hash once, only for the owner; revoked tokens leave the list but stay findable', async () => {
    const [second] = await repos.tokens.listActive(alice);
    assert.ok(second);
    const now = new Date();
    assert.equal(await repos.tokens.revoke(bob, { id: second.id }, now), undefined, 'not bob’s');
    assert.equal(await repos.tokens.revoke(alice, { id: second.id }, now), 'hash-2');
    assert.equal(await repos.tokens.revoke(alice, { id: second.id }, now), undefined, 'already revoked');
    assert.equal(await repos.tokens.revoke(alice, { id: '00000000-0000-4000-8000-000000000000' }, now), undefined);
    assert.deepEqual(
      (await repos.tokens.listActive(alice)).map((row) => row.description),
      ['token hash-1'],
    );
    assert.equal((await repos.tokens.findByHash('hash-2'))?.revoked_at?.toISOString(), now.toISOString());
  });

  it('touch records the last use', async () => {
    const found = await repos.tokens.findByHash('hash-1');
    assert.ok(found);
    const now = new Date('2031-05-06T07:08:09Z');
    await repos.tokens.touch(found.id, now);
    assert.equal((await repos.tokens.findByHash('hash-1'))?.last_used_at?.toISOString(), now.toISOString());
  });
});
