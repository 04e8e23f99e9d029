import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories } from '../src/index.ts';
import { insertNamespace, newVersion } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('tag repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let pkg: number;
  let other: number;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    const ns = await insertNamespace(t.db, 'alice');
    pkg = (await repos.packages.ensure(ns, 'tagged')).id;
    other = (await repos.packages.ensure(ns, 'other')).id;
    // a tag references a version of its package
    for (const version of ['1.0.0', '1.1.0', '2.0.0-rc.1']) await repos.versions.insert(newVersion(pkg, version));
    await repos.versions.insert(newVersion(other, '9.0.0'));
  });
  after(() => t.close());

  const now = new Date();

  it('set creates a tag, then moves it (ON CONFLICT update); list orders by tag', async () => {
    await repos.tags.set(pkg, 'next', '2.0.0-rc.1', now);
    await repos.tags.set(pkg, 'latest', '1.0.0', now);
    await repos.tags.set(pkg, 'latest', '1.1.0', now);
    await repos.tags.set(other, 'latest', '9.0.0', now);
    assert.deepEqual(await repos.tags.list(pkg), [
      { tag: 'latest', version: '1.1.0' },
      { tag: 'next', version: '2.0.0-rc.1' },
    ]);
  });

  it('concurrent sets of one tag leave one row', async () => {
    await Promise.all([repos.tags.set(pkg, 'beta', '1.0.0', now), repos.tags.set(pkg, 'beta', '1.1.0', now)]);
    const beta = (await repos.tags.list(pkg)).filter((row) => row.tag === 'beta');
    assert.equal(beta.length, 1);
    await repos.tags.set(pkg, 'beta', '1.0.0', now);
  });

  it('insert creates a tag and refuses an existing one', async () => {
    await repos.tags.insert(pkg, 'canary', '1.0.0', now);
    assert.ok((await repos.tags.list(pkg)).some((row) => row.tag === 'canary'));
    await assert.rejects(repos.tags.insert(pkg, 'canary', '1.1.0', now), { code: '23505' });
  });

  it('remove answers whether the tag existed', async () => {
    assert.equal(await repos.tags.remove(pkg, 'canary'), true);
    assert.equal(await repos.tags.remove(pkg, 'canary'), false);
  });

  it('removeForVersion removes the tags pointing at that version and names them', async () => {
    await repos.tags.set(pkg, 'stable', '1.1.0', now);
    const removed = await repos.tags.removeForVersion(pkg, '1.1.0');
    assert.deepEqual(removed.sort(), ['latest', 'stable']);
    assert.deepEqual(
      (await repos.tags.list(pkg)).map((row) => row.tag),
      ['beta', 'next'],
    );
    assert.deepEqual(await repos.tags.removeForVersion(pkg, '1.1.0'), []);
    assert.deepEqual(await repos.tags.list(other), [{ tag: 'latest', version: '9.0.0' }], 'other packages untouched');
  });

  it('removeAll empties one package', async () => {
    await repos.tags.removeAll(pkg);
    assert.deepEqual(await repos.tags.list(pkg), []);
    assert.equal((await repos.tags.list(other)).length, 1);
  });
});
