import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories } from '../src/index.ts';
import { insertNamespace, integrityOf, newVersion } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('object reference repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let pkg: number;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    pkg = (await repos.packages.ensure(await insertNamespace(t.db, 'alice'), 'blobs')).id;
  });
  after(() => t.close());

  it('with no versions nothing is referenced', async () => {
    assert.deepEqual(await repos.objects.referencedIntegrities(), new Set());
    assert.equal(await repos.objects.isReferenced(integrityOf(1)), false);
    assert.deepEqual(await repos.objects.listVersionBlobs(0, 10), []);
  });

  it('version documents, files and derived files are referenced, nothing else', async () => {
    await repos.versions.insert({
      ...newVersion(pkg, '1.0.0', {
        integrity: integrityOf(1),
        files: { './package/a.js': integrityOf(2), './package/b.js': integrityOf(3) },
      }),
      derived_files: { './readme.html': integrityOf(4) },
    });
    await repos.versions.insert(newVersion(pkg, '1.0.1', { integrity: integrityOf(5), files: { './package/a.js': integrityOf(2) } }));
    const referenced = await repos.objects.referencedIntegrities();
    assert.deepEqual([...referenced].sort(), [1, 2, 3, 4, 5].map(integrityOf).sort());
    for (const n of [1, 2, 3, 4, 5]) assert.equal(await repos.objects.isReferenced(integrityOf(n)), true, `blob ${n}`);
    assert.equal(await repos.objects.isReferenced(integrityOf(6)), false);
  });

  it("a version's npm tarball is referenced too (gc keeps what npm clients download)", async () => {
    const version = await repos.versions.findState(pkg, '1.0.1');
    assert.equal(await repos.objects.isReferenced(integrityOf(7)), false);
    await repos.npmTarballs.insert({
      versionId: version?.id as number,
      integrity: integrityOf(7),
      shasum: 'b'.repeat(40),
      size: 10,
      manifest: {},
      source: 'built',
    });
    assert.equal(await repos.objects.isReferenced(integrityOf(7)), true);
    assert.ok((await repos.objects.referencedIntegrities()).has(integrityOf(7)));
    assert.equal(await repos.objects.isReferenced(integrityOf(6)), false);
  });

  it('listVersionBlobs pages by version id with the package and namespace names', async () => {
    const [first, ...rest] = await repos.objects.listVersionBlobs(0, 1);
    assert.equal(rest.length, 0);
    assert.ok(first);
    assert.deepEqual(
      { version: first.version, integrity: first.integrity, name: first.name, ns: first.ns, host: first.host },
      { version: '1.0.0', integrity: integrityOf(1), name: 'blobs', ns: 'alice', host: null },
    );
    assert.deepEqual(first.derived_files, { './readme.html': integrityOf(4) });
    assert.equal(Object.keys(first.files).length, 2);
    const next = await repos.objects.listVersionBlobs(first.id, 10);
    assert.deepEqual(
      next.map((row) => row.version),
      ['1.0.1'],
    );
    assert.deepEqual(await repos.objects.listVersionBlobs(next[0]?.id as number, 10), []);
  });

  it('listReferencingPackagesOfMany answers, in one query, what listReferencingPackages answers for each', async () => {
    const other = (await repos.packages.ensure(await insertNamespace(t.db, 'bob'), 'shared')).id;
    await t.db.updateTable('packages').set({ private: true }).where('id', '=', other).execute();
    await repos.versions.insert(newVersion(other, '1.0.0', { integrity: integrityOf(20), files: { './package/a.js': integrityOf(2) } }));
    const asked = [integrityOf(2), integrityOf(20), integrityOf(99), integrityOf(2)];
    const many = await repos.objects.listReferencingPackagesOfMany(asked);
    assert.deepEqual([...many.keys()].sort(), [integrityOf(2), integrityOf(20), integrityOf(99)].sort());
    const byId = (list: Array<{ id: number; private: boolean }>) => [...list].sort((a, b) => a.id - b.id);
    for (const integrity of asked) {
      assert.deepEqual(byId(many.get(integrity) ?? []), byId(await repos.objects.listReferencingPackages(integrity)), integrity);
    }
    assert.deepEqual(
      byId(many.get(integrityOf(2)) ?? []).map((p) => p.private),
      [false, true],
    );
    assert.deepEqual(many.get(integrityOf(99)), []);
    assert.deepEqual(await repos.objects.listReferencingPackagesOfMany([]), new Map());
  });
});
