import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories } from '../src/index.ts';
import { insertNamespace, integrityOf, newVersion } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('npm tarball repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let pkg: number;
  let v1: number;
  let v2: number;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    pkg = (await repos.packages.ensure(await insertNamespace(t.db, 'alice'), 'lib')).id;
    await repos.versions.insert(newVersion(pkg, '1.0.0'));
    await repos.versions.insert(newVersion(pkg, '2.0.0'));
    v1 = (await repos.versions.findState(pkg, '1.0.0'))?.id as number;
    v2 = (await repos.versions.findState(pkg, '2.0.0'))?.id as number;
  });
  after(() => t.close());

  it('a version without a tarball reads with null tarball fields and is listed as unbuilt', async () => {
    const rows = await repos.npmTarballs.listVersions(pkg);
    assert.deepEqual(rows.map((r) => [r.version, r.tarball_integrity, r.shasum, r.manifest]).sort(), [
      ['1.0.0', null, null, null],
      ['2.0.0', null, null, null],
    ]);
    assert.deepEqual(await repos.npmTarballs.findByPackageId(pkg, '1.0.0'), { versionId: v1, integrity: null });
    assert.deepEqual(
      (await repos.npmTarballs.listUnbuilt(0, 10)).map((r) => [r.id, r.version, r.name, r.ns, r.host]),
      [
        [v1, '1.0.0', 'lib', 'alice', null],
        [v2, '2.0.0', 'lib', 'alice', null],
      ],
    );
    assert.deepEqual(
      (await repos.npmTarballs.listUnbuilt(v1, 10)).map((r) => r.id),
      [v2],
    );
    assert.deepEqual(
      (await repos.npmTarballs.listUnbuilt(0, 1)).map((r) => r.id),
      [v1],
    );
  });

  it('insert records the tarball once: a second insert for the version is a no-op', async () => {
    const first = { versionId: v1, integrity: integrityOf(20), shasum: 'a'.repeat(40), size: 99, manifest: { bin: { x: 'x.js' } } };
    await repos.npmTarballs.insert({ ...first, source: 'built' });
    await repos.npmTarballs.insert({ ...first, integrity: integrityOf(21), source: 'upstream' });
    const row = (await repos.npmTarballs.listVersions(pkg)).find((r) => r.version === '1.0.0');
    assert.equal(row?.tarball_integrity, integrityOf(20));
    assert.equal(row?.shasum, 'a'.repeat(40));
    assert.deepEqual(row?.manifest, { bin: { x: 'x.js' } });
    assert.deepEqual(row?.files, newVersion(pkg, '1.0.0').files);
    assert.equal(Number(row?.total_bytes), 12);
    assert.deepEqual(await repos.npmTarballs.findByPackageId(pkg, '1.0.0'), { versionId: v1, integrity: integrityOf(20) });
    assert.deepEqual(
      (await repos.npmTarballs.listUnbuilt(0, 10)).map((r) => r.id),
      [v2],
    );
  });

  it('findBuildSource reads what building needs, with the recorded tarball if any', async () => {
    const source = newVersion(pkg, '2.0.0');
    assert.deepEqual(await repos.npmTarballs.findBuildSource(pkg, '2.0.0'), {
      id: v2,
      version: '2.0.0',
      files: source.files,
      dependencies: source.dependencies,
      dev_dependencies: source.dev_dependencies,
      peer_dependencies: source.peer_dependencies,
      optional_dependencies: source.optional_dependencies,
      tarball_integrity: null,
    });
    assert.equal((await repos.npmTarballs.findBuildSource(pkg, '1.0.0'))?.tarball_integrity, integrityOf(20));
    assert.equal(await repos.npmTarballs.findBuildSource(pkg, '3.0.0'), undefined);
  });

  it('findByName finds a version by its package coordinates, local host as null', async () => {
    assert.deepEqual(await repos.npmTarballs.findByName('alice', null, 'lib', '1.0.0'), { versionId: v1, integrity: integrityOf(20) });
    assert.deepEqual(await repos.npmTarballs.findByName('alice', null, 'lib', '2.0.0'), { versionId: v2, integrity: null });
    assert.equal(await repos.npmTarballs.findByName('alice', null, 'lib', '3.0.0'), undefined);
    assert.equal(await repos.npmTarballs.findByName('alice', 'elsewhere.test', 'lib', '1.0.0'), undefined);
    assert.equal(await repos.npmTarballs.findByPackageId(pkg, '3.0.0'), undefined);
  });
});

describe('mirror repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
  });
  after(() => t.close());

  it('puts, replaces, touches and deletes upstream packuments', async () => {
    assert.equal(await repos.mirror.findUpstreamPackument('left-pad'), undefined);
    assert.equal(await repos.mirror.touchUpstreamPackument('left-pad', new Date()), undefined);
    const first = new Date('2026-01-01T00:00:00Z');
    await repos.mirror.putUpstreamPackument({ name: 'left-pad', body: '{"v":1}', etag: '"e1"', fetchedAt: first });
    assert.deepEqual(await repos.mirror.findUpstreamPackument('left-pad'), { body: '{"v":1}', etag: '"e1"', fetched_at: first });
    assert.deepEqual(await repos.mirror.listUpstreamPackumentNames(), ['left-pad']);
    const second = new Date('2026-01-02T00:00:00Z');
    await repos.mirror.putUpstreamPackument({ name: 'left-pad', body: '{"v":2}', etag: null, fetchedAt: second });
    assert.deepEqual(await repos.mirror.findUpstreamPackument('left-pad'), { body: '{"v":2}', etag: null, fetched_at: second });
    const third = new Date('2026-01-03T00:00:00Z');
    assert.equal(await repos.mirror.touchUpstreamPackument('left-pad', third), '{"v":2}');
    assert.deepEqual((await repos.mirror.findUpstreamPackument('left-pad'))?.fetched_at, third);
    assert.equal(await repos.mirror.deleteUpstreamPackument('left-pad'), true);
    assert.equal(await repos.mirror.deleteUpstreamPackument('left-pad'), false);
    assert.deepEqual(await repos.mirror.listUpstreamPackumentNames(), []);
    assert.equal(await repos.mirror.findUpstreamPackument('left-pad'), undefined);
  });
});
