import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('namespace repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
  });
  after(() => t.close());

  it('create inserts a namespace of this registry and answers its id; find reads it back', async () => {
    const id = await repos.namespaces.create('acme', 'org');
    assert.equal(typeof id, 'number');
    assert.deepEqual(await repos.namespaces.find('acme', null), { id, name: 'acme', host: null, kind: 'org', private: false });
    assert.equal(await repos.namespaces.find('acme', 'elsewhere.test'), undefined);
  });

  it('create answers undefined for a taken name, also when creates race', async () => {
    assert.equal(await repos.namespaces.create('acme', 'org'), undefined);
    assert.equal(await repos.namespaces.create('legacy', 'org'), undefined, 'the system namespaces are taken');
    const results = await Promise.all(Array.from({ length: 4 }, () => repos.namespaces.create('racing', 'org')));
    assert.equal(results.filter((id) => id !== undefined).length, 1);
    const rows = await t.db.selectFrom('namespaces').select('id').where('name', '=', 'racing').execute();
    assert.equal(rows.length, 1);
  });

  it('listLocal pages this registry’s namespaces by (name, id), remote ones left out', async () => {
    await t.db.insertInto('namespaces').values({ name: 'aaa', host: 'elsewhere.test', kind: 'user' }).execute();
    for (const name of ['zeta', 'beta']) await repos.namespaces.create(name, 'org');
    const all = await repos.namespaces.listLocal({ after: undefined, limit: 100 });
    const names = all.map((row) => row.name);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('legacy') && names.includes('abandonware') && names.includes('acme'));
    assert.ok(!names.includes('aaa'), 'remote namespaces are not listed');
    assert.ok(all.every((row) => row.host === null));
    const first = await repos.namespaces.listLocal({ after: undefined, limit: 2 });
    const second = await repos.namespaces.listLocal({ after: first.at(-1), limit: 2 });
    assert.deepEqual([...first, ...second], all.slice(0, 4));
  });
});
