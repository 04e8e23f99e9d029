import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories, createUnitOfWork } from '../src/index.ts';
import { insertNamespace } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('package repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let alice: number;
  let bob: number;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    alice = await insertNamespace(t.db, 'alice');
    bob = await insertNamespace(t.db, 'bob');
  });
  after(() => t.close());

  const maintainers = (packageId: number) =>
    t.db
      .selectFrom('package_maintainers')
      .select(['namespace_id', 'accepted'])
      .where('package_id', '=', packageId)
      .orderBy('namespace_id')
      .execute();

  it('ensure creates a package once, its namespace the first accepted maintainer; find reads it back', async () => {
    const first = await repos.packages.ensure(alice, 'one');
    assert.equal(first.created, true);
    const again = await repos.packages.ensure(alice, 'one');
    assert.deepEqual(again, { id: first.id, created: false });
    assert.deepEqual(await maintainers(first.id), [{ namespace_id: alice, accepted: true }]);
    const row = await repos.packages.find('alice', null, 'one');
    assert.equal(row?.id, first.id);
    assert.equal(row?.namespace_name, 'alice');
    assert.equal(row?.namespace_host, null);
    assert.equal(row?.yanked, false);
    assert.equal(await repos.packages.find('alice', 'elsewhere.test', 'one'), undefined);
    assert.equal(await repos.packages.find('alice', null, 'missing'), undefined);
  });

  it('concurrent ensure of the same name: exactly one creates it, both answer the same id', async () => {
    const results = await Promise.all([repos.packages.ensure(alice, 'race'), repos.packages.ensure(alice, 'race')]);
    assert.deepEqual(results.map((r) => r.created).sort(), [false, true]);
    assert.equal(results[0]?.id, results[1]?.id);
    assert.equal((await maintainers(results[0]?.id as number)).length, 1);
  });

  it('ensure inside a transaction that fails leaves nothing behind', async () => {
    const uow = createUnitOfWork(t.db);
    await assert.rejects(
      uow.transaction(async (tx) => {
        await tx.packages.ensure(alice, 'rolled-back');
        throw new Error('abort');
      }),
      /abort/,
    );
    assert.equal(await repos.packages.find('alice', null, 'rolled-back'), undefined);
  });

  it('update sets modified_at and, when given, require_tfa and yanked', async () => {
    const { id } = await repos.packages.ensure(alice, 'updated');
    const when = new Date('2030-01-02T03:04:05.000Z');
    await repos.packages.update(id, { modifiedAt: when, requireTfa: true });
    let row = await repos.packages.find('alice', null, 'updated');
    assert.equal(row?.modified_at.toISOString(), when.toISOString());
    assert.equal(row?.require_tfa, true);
    assert.equal(row?.yanked, false);
    await repos.packages.update(id, { modifiedAt: when, yanked: true });
    row = await repos.packages.find('alice', null, 'updated');
    assert.equal(row?.require_tfa, true, 'untouched when not given');
    assert.equal(row?.yanked, true);
  });

  it('findForWrite: the namespace with its second-factor requirement, and the package as find reads it (or none); none for a missing namespace', async () => {
    const { id } = await repos.packages.ensure(bob, 'writable');
    await repos.packages.update(id, { modifiedAt: new Date('2030-01-02T03:04:05.000Z'), private: true });
    await repos.security.setNamespaceRequiresSecondFactor(bob, true);
    const found = await repos.packages.findForWrite('bob', null, 'writable');
    assert.deepEqual(found?.namespace, { id: bob, name: 'bob', host: null, kind: 'user', private: false, require_tfa: true });
    assert.deepEqual(found?.pkg, await repos.packages.find('bob', null, 'writable'));
    assert.equal(found?.pkg?.private, true);
    const fresh = await repos.packages.findForWrite('bob', null, 'not-yet');
    assert.equal(fresh?.namespace.id, bob);
    assert.equal(fresh?.pkg, undefined);
    assert.equal(await repos.packages.findForWrite('bob', 'elsewhere.test', 'writable'), undefined);
    assert.equal(await repos.packages.findForWrite('nobody', null, 'writable'), undefined);
    await repos.security.setNamespaceRequiresSecondFactor(bob, false);
  });

  it('touch sets modified_at of a package that is not abandoned; false, and nothing changed, for an abandoned one', async () => {
    const { id } = await repos.packages.ensure(alice, 'touched');
    const when = new Date('2031-01-01T00:00:00.000Z');
    assert.equal(await repos.packages.touch(id, when), true);
    assert.equal((await repos.packages.find('alice', null, 'touched'))?.modified_at.toISOString(), when.toISOString());
    await repos.packages.update(id, { modifiedAt: when, yanked: true });
    assert.equal(await repos.packages.touch(id, new Date('2032-01-01T00:00:00.000Z')), false);
    assert.equal((await repos.packages.find('alice', null, 'touched'))?.modified_at.toISOString(), when.toISOString());
  });

  it('replaceMaintainers leaves exactly the one given namespace', async () => {
    const { id } = await repos.packages.ensure(alice, 'handed-over');
    await t.db.insertInto('package_maintainers').values({ package_id: id, namespace_id: bob, accepted: false }).execute();
    await repos.packages.replaceMaintainers(id, bob);
    assert.deepEqual(await maintainers(id), [{ namespace_id: bob, accepted: true }]);
  });

  it('list pages by id over packages that are not yanked, filtered by author or (pending) maintainer', async () => {
    const db = await createTestDatabase();
    try {
      const r = createRepositories(db.db);
      const a = await insertNamespace(db.db, 'alice');
      const b = await insertNamespace(db.db, 'bob');
      const p1 = await r.packages.ensure(a, 'p1');
      const p2 = await r.packages.ensure(a, 'p2');
      const p3 = await r.packages.ensure(b, 'p3');
      const gone = await r.packages.ensure(a, 'gone');
      await r.packages.update(gone.id, { modifiedAt: new Date(), yanked: true });
      await db.db.insertInto('package_maintainers').values({ package_id: p1.id, namespace_id: b, accepted: true }).execute();
      await db.db.insertInto('package_maintainers').values({ package_id: p2.id, namespace_id: b, accepted: false }).execute();
      const ids = async (query: Parameters<typeof r.packages.list>[0]) => (await r.packages.list(query)).map((row) => row.id);

      assert.deepEqual(await ids({ filter: { kind: 'all' }, afterId: 0, limit: 10 }), [p1.id, p2.id, p3.id]);
      assert.deepEqual(await ids({ filter: { kind: 'all' }, afterId: p1.id, limit: 1 }), [p2.id]);
      assert.deepEqual(await ids({ filter: { kind: 'authored-by', namespaceId: a }, afterId: 0, limit: 10 }), [p1.id, p2.id]);
      assert.deepEqual(await ids({ filter: { kind: 'maintained-by', namespaceId: b }, afterId: 0, limit: 10 }), [p1.id, p3.id]);
      assert.deepEqual(await ids({ filter: { kind: 'maintained-by', namespaceId: b, pending: true }, afterId: 0, limit: 10 }), [p2.id]);
      const [first] = await r.packages.list({ filter: { kind: 'all' }, afterId: 0, limit: 1 });
      assert.equal(first?.name, 'p1');
      assert.equal(first?.namespace_name, 'alice');
    } finally {
      await db.close();
    }
  });
  it('listLocalNames pages by id over every local package (yanked too) with its namespace; countLocal counts them; namespaces likewise', async () => {
    const db = await createTestDatabase();
    try {
      const r = createRepositories(db.db);
      const system = await r.namespaces.listLocalNames(0, 10); // the migrations' system namespaces
      const carol = await insertNamespace(db.db, 'carol');
      const dave = await insertNamespace(db.db, 'dave', 'org');
      await db.db.insertInto('namespaces').values({ name: 'remote', host: 'elsewhere.test', kind: 'user' }).execute();
      const remote = await db.db.selectFrom('namespaces').select('id').where('host', '=', 'elsewhere.test').executeTakeFirstOrThrow();
      const a = await r.packages.ensure(carol, 'a');
      const b = await r.packages.ensure(dave, 'b');
      await r.packages.ensure(remote.id, 'far');
      const c = await r.packages.ensure(carol, 'c');
      await r.packages.update(c.id, { modifiedAt: new Date(), yanked: true });
      assert.deepEqual(await r.packages.listLocalNames(0, 2), [
        { id: a.id, namespace: 'carol', name: 'a' },
        { id: b.id, namespace: 'dave', name: 'b' },
      ]);
      assert.deepEqual(await r.packages.listLocalNames(b.id, 10), [{ id: c.id, namespace: 'carol', name: 'c' }]);
      assert.equal(await r.packages.countLocal(), 3);
      const namespaces = await r.namespaces.listLocalNames(0, 10);
      assert.deepEqual(
        namespaces.map((n) => n.name),
        [...system.map((n) => n.name), 'carol', 'dave'],
      );
      assert.deepEqual(await r.namespaces.listLocalNames(carol, 10), [{ id: dave, name: 'dave' }]);
      assert.equal(await r.namespaces.countLocal(), system.length + 2);
    } finally {
      await db.close();
    }
  });
});
