import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Version } from '@entropic/types';
import {
  indexPackageRefForSearch,
  indexStalePackagesForSearch,
  JobWorker,
  MAX_SEARCH_TEXT,
  normalizeSearchText,
  type Principal,
  renderVersionReadme,
  searchPackages,
  yankVersion,
} from '../src/index.ts';
import { packageRef, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('search (indexer and query use cases on real repositories)', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
  });
  after(() => deps.close());

  const search = (text: string | undefined, size = 20, from = 0) => searchPackages(deps, { principal: undefined, text, size, from });
  const packageJson = (description: string, keywords: string[]) => JSON.stringify({ name: 'x', description, keywords });

  it('indexes the latest version: name, description and keywords from package.json, README text; yanking it removes the package', async () => {
    const ref = packageRef(deps, 'alice', 'tiny-http');
    await publish(deps, alice, ref, '1.0.0', {
      files: {
        'package.json': packageJson('A tiny HTTP server', ['server', 'zanzibar']),
        'README.md': '# tiny-http\n\nServes <b>quokka</b> &amp; friends.\n',
      },
    });
    assert.deepEqual(await search('tiny-http'), { total: 0, hits: [] }, 'nothing is indexed on the publish path');
    // the README's text is indexed from its rendering, which the render-readme job makes
    const handlers = { 'render-readme': (payload: { versionId: number; path: string }) => renderVersionReadme(deps, payload) };
    assert.equal(await new JobWorker({ jobs: deps.repos.jobs, clock: deps.clock, handlers }).runDue(), 1);
    assert.equal(await indexPackageRefForSearch(deps, ref), 'indexed');
    for (const text of ['tiny-http', 'TINY', 'servers', 'zanzibar', 'quokka', 'alice']) {
      const { hits } = await search(text);
      assert.equal(hits[0]?.npmName, '@alice/tiny-http', text);
    }
    const hit = (await search('tiny-http')).hits[0];
    assert.equal(hit?.version, '1.0.0');
    assert.equal(hit?.description, 'A tiny HTTP server');
    assert.deepEqual(hit?.keywords, ['server', 'zanzibar']);
    assert.deepEqual(hit?.maintainers, ['alice']);
    assert.equal(hit?.nameTier, 3);

    await publish(deps, alice, ref, '1.1.0', { files: { 'package.json': packageJson('Now with websockets', []) } });
    await indexPackageRefForSearch(deps, ref);
    assert.equal((await search('websockets')).hits[0]?.version, '1.1.0');
    assert.equal((await search('zanzibar')).total, 0, 'the old version’s keywords are gone');

    await yankVersion(deps, { principal: alice, ref, version: '1.1.0' as Version });
    assert.equal(await indexPackageRefForSearch(deps, ref), 'indexed');
    assert.equal((await search('tiny-http')).hits[0]?.version, '1.0.0', 'latest moved back to 1.0.0');
    await yankVersion(deps, { principal: alice, ref, version: '1.0.0' as Version });
    assert.equal(await indexPackageRefForSearch(deps, ref), 'removed');
    assert.equal((await search('tiny-http')).total, 0);
    assert.equal(await indexPackageRefForSearch(deps, packageRef(deps, 'alice', 'never-published')), 'missing');
  });

  it('the backfill indexes what is missing or stale, once', async () => {
    await publish(deps, alice, packageRef(deps, 'alice', 'backfilled'), '1.0.0', { files: { 'package.json': packageJson('wombat', []) } });
    assert.equal((await search('wombat')).total, 0);
    assert.ok((await indexStalePackagesForSearch(deps, { batchSize: 1 })) >= 1);
    assert.equal((await search('wombat')).hits[0]?.npmName, '@alice/backfilled');
    assert.equal(await indexStalePackagesForSearch(deps), 0, 'nothing left to do');
    await publish(deps, alice, packageRef(deps, 'alice', 'later'), '1.0.0', { files: { 'package.json': packageJson('echidna', []) } });
    assert.equal(await indexStalePackagesForSearch(deps, { signal: AbortSignal.abort() }), 0, 'a stopped backfill does nothing');
    assert.equal((await search('echidna')).total, 0);
  });

  it('refuses empty and over-long texts and bad paging with catalogue errors; control characters are dropped', async () => {
    for (const text of [undefined, '', '   ', '\u0000\u0007']) await assert.rejects(search(text), { code: 'SEARCH_QUERY_EMPTY' });
    await assert.rejects(search('x'.repeat(MAX_SEARCH_TEXT + 1)), { code: 'SEARCH_QUERY_TOO_LONG' });
    assert.equal(normalizeSearchText(` Ｗombat\u0000 \n x `), 'wombat x');
    for (const size of [0, 251, 1.5, Number.NaN]) await assert.rejects(search('a', size), { code: 'INVALID_LIMIT' });
    for (const from of [-1, 10_001, 0.5]) await assert.rejects(search('a', 20, from), { code: 'INVALID_CURSOR' });
    assert.equal((await search('wom\u0000bat')).total, 0, 'a NUL never reaches the database');
  });
});
