import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories } from '../src/index.ts';
import { insertNamespace, newVersion } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('download repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  const lib = { namespace: 'alice', host: null, name: 'lib' };
  const remote = { namespace: 'alice', host: 'elsewhere.example', name: 'lib' };
  const row = (pkg: typeof lib | typeof remote, version: string, day: string, count: number) => ({ ...pkg, version, day, count });

  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
  });
  after(() => t.close());

  it('add sums into existing rows, also within one call and from concurrent calls', async () => {
    await repos.downloads.add([row(lib, '1.0.0', '2026-12-07', 2), row(lib, '1.0.0', '2026-12-07', 3), row(lib, '1.1.0', '2026-12-08', 1)]);
    await Promise.all(
      Array.from({ length: 8 }, () => repos.downloads.add([row(lib, '1.1.0', '2026-12-08', 1), row(lib, '1.0.0', '2026-12-07', 1)])),
    );
    await repos.downloads.add([row(remote, '1.0.0', '2026-12-07', 40)]);
    assert.deepEqual(await repos.downloads.listDaily(lib, '2026-12-01', '2026-12-31'), [
      { day: '2026-12-07', downloads: 13 },
      { day: '2026-12-08', downloads: 9 },
    ]);
    assert.deepEqual(await repos.downloads.listDaily(lib, '2026-12-08', '2026-12-08'), [{ day: '2026-12-08', downloads: 9 }]);
    const byVersion = await repos.downloads.listByVersion(lib, '2026-12-01', '2026-12-31');
    assert.deepEqual(
      byVersion.sort((a, b) => a.version.localeCompare(b.version)),
      [
        { version: '1.0.0', downloads: 13 },
        { version: '1.1.0', downloads: 9 },
      ],
    );
  });

  it('a batch larger than one statement is written whole', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => row({ ...lib, name: 'many' }, `1.0.${i}`, '2026-12-01', 1));
    await repos.downloads.add(many);
    const [day] = await repos.downloads.listDaily({ ...lib, name: 'many' }, '2026-12-01', '2026-12-01');
    assert.equal(day?.downloads, 2500);
  });

  it('listTop ranks packages over the period, the host kept apart', async () => {
    assert.deepEqual(await repos.downloads.listTop('2026-12-07', '2026-12-08', 2), [
      { ...remote, downloads: 40 },
      { ...lib, downloads: 22 },
    ]);
    assert.deepEqual(await repos.downloads.listTop('2026-12-01', '2026-12-01', 5), [{ ...lib, name: 'many', downloads: 2500 }]);
  });

  it('versions.listRecent: newest first, local user/org packages only, yanked left out', async () => {
    const alice = await insertNamespace(t.db, 'recent');
    const legacy = await t.db
      .selectFrom('namespaces')
      .select('id')
      .where('name', '=', 'legacy')
      .where('host', 'is', null)
      .executeTakeFirstOrThrow();
    const a = (await repos.packages.ensure(alice, 'a')).id;
    const b = (await repos.packages.ensure(alice, 'b')).id;
    const mirrored = (await repos.packages.ensure(legacy.id, 'left-pad')).id;
    const at = (minute: number) => ({ created_at: new Date(Date.UTC(2026, 11, 7, 10, minute)), modified_at: new Date() });
    await repos.versions.insert({ ...newVersion(a, '1.0.0'), ...at(1) });
    await repos.versions.insert({ ...newVersion(b, '1.0.0'), ...at(2) });
    await repos.versions.insert({ ...newVersion(mirrored, '1.3.0'), ...at(3) });
    await repos.versions.insert({ ...newVersion(a, '2.0.0'), ...at(4) });
    await repos.versions.insert({ ...newVersion(b, '1.0.1'), ...at(5) });
    const yanked = await repos.versions.findState(b, '1.0.1');
    await repos.versions.yank(yanked?.id as number, new Date());
    const recent = await repos.versions.listRecent(10);
    assert.deepEqual(
      recent.map((v) => `${v.namespace_name}/${v.name}@${v.version}`),
      ['recent/a@2.0.0', 'recent/b@1.0.0', 'recent/a@1.0.0'],
    );
    assert.equal(recent[0]?.namespace_host, null);
  });
});
