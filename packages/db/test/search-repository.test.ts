import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SearchDocument } from '@entropic/core';
import { createRepositories } from '../src/index.ts';
import { insertNamespace } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

describe('search repository (full text + trigram, on this run’s backend)', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let alice: number;
  const ids = new Map<string, number>();

  const doc = (name: string, id: number, fields: Partial<SearchDocument> = {}): SearchDocument => ({
    packageId: id,
    npmName: `@alice/${name}`,
    namespace: 'alice',
    host: null,
    name,
    version: '1.0.0',
    description: '',
    keywords: [],
    maintainers: ['alice'],
    readme: '',
    publishedAt: new Date('2026-12-01T00:00:00Z'),
    sourceModifiedAt: new Date('2026-12-01T00:00:00Z'),
    ...fields,
  });

  async function add(name: string, fields: Partial<SearchDocument> = {}, downloads = 0): Promise<void> {
    const { id } = await repos.packages.ensure(alice, name);
    ids.set(name, id);
    await repos.search.save(doc(name, id, fields));
    if (downloads > 0) await t.db.updateTable('package_search').set({ downloads }).where('package_id', '=', id).execute();
  }
  const names = async (text: string, limit = 20, offset = 0) =>
    (await repos.search.search({ text, limit, offset })).hits.map((h) => h.name);

  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    alice = await insertNamespace(t.db, 'alice');
    await add('express', { description: 'Fast, unopinionated, minimalist web framework' }, 10);
    await add('express-session', { description: 'Simple session middleware for Express' }, 500);
    await add('router', { description: 'Simple middleware-style router', keywords: ['express', 'routing'] }, 1000);
    await add('koa', { description: 'Koa web app framework', readme: 'Expressive middleware for node.js using ES2017 async functions' });
    await add('left-pad', { description: 'String left pad', keywords: ['pad', 'string'] });
    await add('leftpad-x', { description: 'Another left padding utility' }, 5);
    await add('percent_under', { description: 'A name with an underscore' });
  });
  after(() => t.close());

  it('ranks the exact name first, then name prefixes, then text matches (popularity does not beat the tiers)', async () => {
    const got = await names('express');
    assert.deepEqual(got.slice(0, 2), ['express', 'express-session']);
    assert.ok(got.includes('router'), 'a keyword match is found');
    assert.ok(got.indexOf('router') > 1);
  });

  it('finds a name with a typo (expres → express) through trigram similarity', async () => {
    const got = await names('expres');
    assert.equal(got[0], 'express', 'the prefix expres matches express and express-session; the closer name is first');
    assert.deepEqual(await names('exprss'), ['express']);
    assert.deepEqual(await names('lodahs'), []);
  });

  it('matches stemmed description words and README text; relevance orders hits of the same tier', async () => {
    assert.deepEqual((await names('frameworks')).sort(), ['express', 'koa']);
    assert.deepEqual(await names('async functions'), ['koa']);
    assert.deepEqual((await names('padding')).sort(), ['left-pad', 'leftpad-x'], 'padding → pad: the keyword and the description');
  });

  it('popularity orders hits that are equal otherwise', async () => {
    await add('same-a', { description: 'zebra crossing' }, 1);
    await add('same-b', { description: 'zebra crossing' }, 99);
    assert.deepEqual(await names('zebra'), ['same-b', 'same-a']);
  });

  it('popularity follows the download counts: refreshed for named packages, and taken at save', async () => {
    await add('pop-a', { description: 'quokka helper' });
    await add('pop-b', { description: 'quokka helper' });
    const today = new Date().toISOString().slice(0, 10);
    const count = (name: string, day: string, n: number) => ({ namespace: 'alice', host: null, name, version: '1.0.0', day, count: n });
    await repos.downloads.add([count('pop-b', today, 3), count('pop-b', '2020-01-01', 1000), count('pop-a', today, 7)]);
    assert.deepEqual(await names('quokka'), ['pop-a', 'pop-b'], 'equal until refreshed (by name)');
    await repos.search.refreshPopularity([{ namespace: 'alice', host: null, name: 'pop-b' }], today);
    assert.deepEqual(await names('quokka'), ['pop-b', 'pop-a'], 'pop-b: 3 downloads since today; old days do not count');
    await repos.search.save(doc('pop-a', ids.get('pop-a') as number, { description: 'quokka helper' }));
    assert.deepEqual(await names('quokka'), ['pop-a', 'pop-b'], 'a save takes the last 30 days of counts: 7 > 3');
    await repos.search.refreshPopularity([], today);
  });

  it('LIKE and regex metacharacters, quotes and SQL are plain text: no error, no wildcard', async () => {
    for (const text of ["'; drop table packages; --", '%', '_', '\\', '.*', '[(', 'a:*', '!|&<->', "o'reilly", '$1']) {
      const result = await repos.search.search({ text, limit: 10, offset: 0 });
      assert.ok(Array.isArray(result.hits), text);
      assert.equal(result.total, result.hits.length, text);
    }
    assert.deepEqual(await names('%'), [], 'a % is not a wildcard');
    assert.deepEqual(await names('percent_'), ['percent_under'], 'an _ matches itself');
    assert.ok((await repos.packages.find('alice', null, 'express')) !== undefined, 'the tables are still there');
  });

  it('pages with limit/offset; the total stays right on a page past the end', async () => {
    const all = await repos.search.search({ text: 'left', limit: 10, offset: 0 });
    assert.equal(all.total, 2);
    const second = await repos.search.search({ text: 'left', limit: 1, offset: 1 });
    assert.deepEqual(
      second.hits.map((h) => h.name),
      [all.hits[1]?.name],
    );
    assert.equal(second.total, 2);
    const beyond = await repos.search.search({ text: 'left', limit: 1, offset: 50 });
    assert.deepEqual(beyond, { total: 2, hits: [] });
  });

  it('save replaces a document; remove takes it out; listStale names packages with no or an older document', async () => {
    const id = ids.get('koa') as number;
    await repos.search.save(doc('koa', id, { description: 'now about giraffes' }));
    assert.deepEqual(await names('giraffes'), ['koa']);
    assert.deepEqual(await names('frameworks'), ['express']);
    await repos.search.remove(id);
    assert.deepEqual(await names('giraffes'), []);
    // koa has no document now, but no latest tag either: nothing to index. Tag it and it is stale.
    assert.ok(!(await repos.search.listStale(0, 100)).includes(id));
    await t.db.insertInto('versions').values(versionRow(id)).execute();
    await repos.tags.set(id, 'latest', '1.0.0', new Date());
    assert.ok((await repos.search.listStale(0, 100)).includes(id));
    // a document older than the package's modified_at is stale too
    const express = ids.get('express') as number;
    await repos.packages.update(express, { modifiedAt: new Date('2026-11-30T00:00:00Z') });
    assert.ok(!(await repos.search.listStale(0, 100)).includes(express));
    await repos.packages.update(express, { modifiedAt: new Date('2026-12-02T00:00:00Z') });
    assert.ok((await repos.search.listStale(0, 100)).includes(express));
    assert.ok(!(await repos.search.listStale(express, 100)).includes(express), 'keyset: only ids above afterId');
  });
});

function versionRow(packageId: number) {
  const now = new Date();
  return {
    package_id: packageId,
    version: '1.0.0',
    integrity: `sha512-${Buffer.alloc(64, 1).toString('base64')}`,
    files: '{}',
    derived_files: '{}',
    dependencies: '{}',
    dev_dependencies: '{}',
    peer_dependencies: '{}',
    optional_dependencies: '{}',
    bundled_dependencies: '{}',
    signatures: '[]',
    total_bytes: 0,
    file_count: 0,
    created_at: now,
    modified_at: now,
  };
}
