import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories, createUnitOfWork } from '../src/index.ts';
import { insertNamespace } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

const identity = (subject: string, username: string | null = 'octo') => ({
  provider: 'github',
  subject,
  username,
  email: null,
  accessTokenSealed: null,
});

describe('user repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
  });
  after(() => t.close());

  it('createWithNamespace makes the user, its user namespace and an accepted membership', async () => {
    const created = await repos.users.createWithNamespace({ name: 'alice', email: 'alice@example.test', passwordHash: 'h' });
    assert.equal(created.outcome, 'created');
    if (created.outcome !== 'created') return;
    assert.equal(created.user.name, 'alice');
    const namespace = await repos.namespaces.find('alice', null);
    assert.deepEqual(namespace, { id: created.user.namespaceId, name: 'alice', host: null, kind: 'user', private: false });
    assert.equal(await repos.teams.isAcceptedMember(created.user.id, created.user.namespaceId), true);
    const row = await repos.users.findByName('alice');
    assert.equal(row?.id, created.user.id);
    assert.equal(row?.email, 'alice@example.test');
    assert.equal(row?.password_hash, 'h');
    assert.ok(row?.created_at instanceof Date);
    assert.deepEqual(await repos.users.findById(created.user.id), { id: created.user.id, name: 'alice' });
  });

  it('no user stands for the legacy mirror (0005): the legacy namespace has no members', async () => {
    assert.equal(await repos.users.findByName('legacy'), undefined);
    const legacy = await repos.namespaces.find('legacy', null);
    assert.equal(legacy?.kind, 'system');
    const members = await t.db
      .selectFrom('namespace_members')
      .select('user_id')
      .where('namespace_id', '=', legacy?.id ?? -1)
      .execute();
    assert.deepEqual(members, []);
  });

  it('unknown users are undefined', async () => {
    assert.equal(await repos.users.findByName('nobody'), undefined);
    assert.equal(await repos.users.findById(999_999), undefined);
  });

  it('a taken name (as a user or a namespace) or email answers taken with the constraint, and a transaction keeps nothing', async () => {
    const uow = createUnitOfWork(t.db);
    await insertNamespace(t.db, 'acme', 'org');
    const cases = [
      { name: 'alice', email: null, expect: /name/ },
      { name: 'acme', email: null, expect: /name/ },
      { name: 'carol', email: 'alice@example.test', expect: /email/ },
    ];
    for (const { name, email, expect } of cases) {
      const outcome = await uow
        .transaction(async (tx) => {
          const result = await tx.users.createWithNamespace({ name, email, passwordHash: null });
          if (result.outcome === 'taken') throw Object.assign(new Error('taken'), { result });
          return result;
        })
        .catch((error: { result?: unknown }) => error.result);
      assert.equal((outcome as { outcome: string }).outcome, 'taken', name);
      assert.match((outcome as { constraint: string }).constraint, expect, name);
    }
    assert.equal(await repos.users.findByName('carol'), undefined, 'the rolled back user is gone');
    assert.equal(await repos.namespaces.find('carol', null), undefined);
  });

  it('an identity links once; updateIdentity records the profile and answers the user id', async () => {
    const alice = await repos.users.findByName('alice');
    assert.ok(alice);
    assert.equal(await repos.users.updateIdentity(identity('42'), new Date()), undefined, 'unknown identity');
    assert.equal(await repos.users.insertIdentity(alice.id, identity('42')), 'linked');
    assert.equal(await repos.users.insertIdentity(alice.id, identity('42')), 'taken');
    const now = new Date('2030-01-02T03:04:05Z');
    assert.equal(
      await repos.users.updateIdentity({ ...identity('42', 'octocat'), email: 'o@example.test', accessTokenSealed: 's' }, now),
      alice.id,
    );
    const row = await t.db.selectFrom('identities').selectAll().where('subject', '=', '42').executeTakeFirstOrThrow();
    assert.equal(row.remote_username, 'octocat');
    assert.equal(row.email, 'o@example.test');
    assert.equal(row.access_token_sealed, 's');
    assert.equal(row.updated_at.toISOString(), now.toISOString());
    assert.equal(
      await repos.users.updateIdentity({ ...identity('42'), provider: 'oidc:https://id.example' }, now),
      undefined,
      'provider is part of the key',
    );
  });
});
