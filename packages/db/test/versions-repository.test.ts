import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories, createUnitOfWork } from '../src/index.ts';
import { insertNamespace, integrityOf, newVersion } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('version repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let pkg: number;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    pkg = (await repos.packages.ensure(await insertNamespace(t.db, 'alice'), 'lib')).id;
  });
  after(() => t.close());

  it('insert stores every field; find and findState read it back', async () => {
    const v = newVersion(pkg, '1.0.0', { integrity: integrityOf(10) });
    const id = await repos.versions.insert(v);
    const row = await repos.versions.find(pkg, '1.0.0');
    assert.ok(row);
    assert.equal(id, row.id, 'insert answers the new id');
    assert.equal(row.integrity, v.integrity);
    assert.deepEqual(row.files, v.files);
    assert.deepEqual(row.derived_files, {});
    assert.deepEqual(row.dependencies, v.dependencies);
    assert.deepEqual(row.signatures, ['sig']);
    assert.equal(Number(row.total_bytes), 12);
    assert.equal(row.file_count, 1);
    assert.equal(row.yanked, false);
    assert.equal(row.created_at.toISOString(), v.created_at.toISOString());
    assert.deepEqual(await repos.versions.findState(pkg, '1.0.0'), { id: row.id, yanked: false });
    assert.equal(await repos.versions.find(pkg, '9.9.9'), undefined);
    assert.equal(await repos.versions.findState(pkg, '9.9.9'), undefined);
  });

  it('insert of a version published before answers "exists" (the unique constraint decides)', async () => {
    assert.equal(await repos.versions.insert(newVersion(pkg, '1.0.0', { integrity: integrityOf(11) })), 'exists');
    assert.equal((await repos.versions.find(pkg, '1.0.0'))?.integrity, integrityOf(10), 'the first stays');
  });

  it('concurrent inserts of the same version: one is inserted, the other exists', async () => {
    const outcomes = await Promise.all([repos.versions.insert(newVersion(pkg, '1.1.0')), repos.versions.insert(newVersion(pkg, '1.1.0'))]);
    assert.deepEqual(outcomes.map((o) => (o === 'exists' ? o : typeof o)).sort(), ['exists', 'number']);
  });

  it('findDerivationSource reads a version by id with its package coordinates; setDerivedFile records (and replaces) one derived file', async () => {
    const id = (await repos.versions.findState(pkg, '1.0.0'))?.id as number;
    const source = await repos.versions.findDerivationSource(id);
    assert.deepEqual(source && { ...source, files: undefined }, {
      id,
      version: '1.0.0',
      files: undefined,
      derived_files: {},
      name: 'lib',
      ns: 'alice',
      host: null,
    });
    await repos.versions.setDerivedFile(id, './readme.html', integrityOf(20));
    await repos.versions.setDerivedFile(id, './readme.html', integrityOf(21));
    assert.deepEqual((await repos.versions.find(pkg, '1.0.0'))?.derived_files, { './readme.html': integrityOf(21) });
    assert.equal(await repos.versions.findDerivationSource(id + 1000), undefined);
  });

  it('"exists" inside a transaction: throwing rolls back everything the transaction did', async () => {
    const uow = createUnitOfWork(t.db);
    await assert.rejects(
      uow.transaction(async (tx) => {
        await tx.versions.insert(newVersion(pkg, '1.2.0'));
        if ((await tx.versions.insert(newVersion(pkg, '1.0.0'))) === 'exists') throw new Error('exists');
      }),
      /exists/,
    );
    assert.equal(await repos.versions.find(pkg, '1.2.0'), undefined);
  });

  it('listPublished leaves out yanked versions; yank and yankAll mark them', async () => {
    const list = async () => (await repos.versions.listPublished(pkg)).map((v) => v.version).sort();
    assert.deepEqual(await list(), ['1.0.0', '1.1.0']);
    const state = await repos.versions.findState(pkg, '1.1.0');
    const when = new Date('2031-01-01T00:00:00.000Z');
    await repos.versions.yank(state?.id as number, when);
    assert.deepEqual(await list(), ['1.0.0']);
    const yanked = await repos.versions.find(pkg, '1.1.0');
    assert.equal(yanked?.yanked, true);
    assert.equal(yanked?.modified_at.toISOString(), when.toISOString());
    const [entry] = await repos.versions.listPublished(pkg);
    assert.deepEqual(entry, { version: '1.0.0', integrity: integrityOf(10) });

    await repos.versions.insert(newVersion(pkg, '2.0.0'));
    const later = new Date('2032-01-01T00:00:00.000Z');
    await repos.versions.yankAll(pkg, later);
    assert.deepEqual(await list(), []);
    assert.equal((await repos.versions.find(pkg, '2.0.0'))?.modified_at.toISOString(), later.toISOString());
    assert.equal((await repos.versions.find(pkg, '1.1.0'))?.modified_at.toISOString(), when.toISOString(), 'already yanked: untouched');
  });

  it('setDeprecated stores and clears a message; listDeprecations lists every version with it', async () => {
    await repos.versions.insert(newVersion(pkg, '3.0.0'));
    const state = await repos.versions.findState(pkg, '3.0.0');
    assert.equal((await repos.versions.find(pkg, '3.0.0'))?.deprecated, null);
    const when = new Date('2033-01-01T00:00:00.000Z');
    await repos.versions.setDeprecated(state?.id as number, 'use 4.0', when);
    const row = await repos.versions.find(pkg, '3.0.0');
    assert.equal(row?.deprecated, 'use 4.0');
    assert.equal(row?.modified_at.toISOString(), when.toISOString());
    assert.equal(row?.yanked, false, 'a deprecation is not a yank');
    assert.deepEqual(
      (await repos.versions.listPublished(pkg)).map((v) => v.version),
      ['3.0.0'],
      'still listed',
    );
    const listed = (await repos.versions.listDeprecations(pkg)).sort((a, b) => a.version.localeCompare(b.version));
    assert.deepEqual(
      listed.map(({ version, yanked, deprecated }) => ({ version, yanked, deprecated })),
      [
        { version: '1.0.0', yanked: true, deprecated: null },
        { version: '1.1.0', yanked: true, deprecated: null },
        { version: '2.0.0', yanked: true, deprecated: null },
        { version: '3.0.0', yanked: false, deprecated: 'use 4.0' },
      ],
    );
    assert.equal(listed[3]?.id, state?.id);
    await repos.versions.setDeprecated(state?.id as number, null, when);
    assert.equal((await repos.versions.find(pkg, '3.0.0'))?.deprecated, null);
  });

  it('listSummaries lists every version with its time and size; listDependents finds packages whose live versions depend on a name', async () => {
    const summaries = (await repos.versions.listSummaries(pkg)).sort((a, b) => a.version.localeCompare(b.version));
    assert.deepEqual(
      summaries.map((v) => [v.version, v.yanked, Number(v.total_bytes), v.file_count]),
      [
        ['1.0.0', true, 12, 1],
        ['1.1.0', true, 12, 1],
        ['2.0.0', true, 12, 1],
        ['3.0.0', false, 12, 1],
      ],
    );
    assert.ok(summaries[0]?.created_at instanceof Date);
    // every version of alice/lib depends on alice@registry.test/dep; only 3.0.0 is not yanked
    assert.deepEqual(await repos.versions.listDependents('alice@registry.test/dep', 10), [
      { namespace_name: 'alice', namespace_host: null, name: 'lib' },
    ]);
    const other = (await repos.packages.ensure(await insertNamespace(t.db, 'bob'), 'app')).id;
    await repos.versions.insert(newVersion(other, '1.0.0'));
    assert.deepEqual(
      (await repos.versions.listDependents('alice@registry.test/dep', 10)).map((d) => `${d.namespace_name}/${d.name}`),
      ['alice/lib', 'bob/app'],
    );
    assert.equal((await repos.versions.listDependents('alice@registry.test/dep', 1)).length, 1, 'bounded');
    assert.deepEqual(await repos.versions.listDependents("alice@registry.test/nobody' OR 1=1 --", 10), [], 'a name, not SQL');
    await repos.versions.yankAll(other, new Date());
    assert.deepEqual(
      (await repos.versions.listDependents('alice@registry.test/dep', 10)).map((d) => d.name),
      ['lib'],
      'yanked versions do not count',
    );
  });
});
