// Issue 16.5: downloads counted in memory on the read path, flushed in batches (summing), and
// served in the shape of npm's downloads API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DownloadCounter, summarizePackageDownloads } from '@entropic/core';
import { createTestApp, publishVersion, type TestApp } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';

describe('download counts', () => {
  let t: TestApp;
  let now = new Date('2026-12-07T10:00:00Z');
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  const flush = () => (t.app.downloads as DownloadCounter).flush();
  const point = async (period: string, name = '@alice/lib') => {
    const response = await get(`/-/downloads/point/${period}/${name}`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { downloads: number; start: string; end: string; package: string };
  };

  before(async () => {
    // the interval never fires during the test: flushes happen when the test says
    t = await createTestApp({ env: { DOWNLOAD_FLUSH_SECONDS: '3600' } });
    t.deps.clock = { now: () => now };
    const alice = await t.createUser('alice');
    await publishVersion(t.app, 'alice/lib', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'alice/lib', '1.1.0', { token: alice.token });
    await publishVersion(t.app, 'alice/other', '1.0.0', { token: alice.token });
  });
  after(() => t?.close());

  it('counts a tarball GET after the flush, not a HEAD or a 304, and not before the flush', async () => {
    const first = await get('/@alice/lib/-/lib-1.0.0.tgz');
    assert.equal(first.statusCode, 200);
    assert.equal((await get('/@alice/lib/-/lib-1.0.0.tgz')).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'HEAD', url: '/@alice/lib/-/lib-1.0.0.tgz' })).statusCode, 200);
    const revalidated = await get('/@alice/lib/-/lib-1.0.0.tgz', { 'if-none-match': String(first.headers.etag) });
    assert.equal(revalidated.statusCode, 304);
    assert.equal((await get('/@alice/lib/-/lib-9.9.9.tgz')).statusCode, 404);
    assert.equal((await point('last-day')).downloads, 0, 'nothing is written before a flush');
    assert.equal(await flush(), 1, 'one (version, day) row');
    assert.deepEqual(await point('last-day'), { downloads: 2, start: '2026-12-07', end: '2026-12-07', package: '@alice/lib' });
  });

  it('counts a version document GET through the Entropic API', async () => {
    assert.equal((await get('/packages/package/alice/lib/versions/1.1.0')).statusCode, 200);
    assert.equal((await get('/packages/package/alice/lib/versions/7.0.0')).statusCode, 404);
    await flush();
    assert.equal((await point('last-day')).downloads, 3);
    assert.equal((await point('last-day', `alice@${t.host}/lib`)).downloads, 3, 'the Entropic name names the same package');
    assert.equal((await point('last-day', 'alice/lib')).downloads, 3, 'a bare namespace is this host');
  });

  it('counts `ds` install reports of versions stored here, and skips the rest', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/-/downloads/installs',
      payload: {
        downloads: [
          { package: `alice@${t.host}/lib`, version: '1.1.0' },
          { package: `alice@${t.host}/lib`, version: '9.9.9' },
          { package: `nobody@${t.host}/x`, version: '1.0.0' },
          { package: 'alice@elsewhere.example/lib', version: '1.0.0' },
          { package: 42 },
        ],
      },
    });
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual(response.json(), { counted: 1 });
    expectError(await t.app.inject({ method: 'POST', url: '/-/downloads/installs', payload: { downloads: 'x' } }), 400, 'INVALID_FIELD');
    await flush();
    assert.equal((await point('last-day')).downloads, 4);
  });

  it('puts each download on its UTC day by deps.clock, and answers ranges with every day', async () => {
    now = new Date('2026-12-07T23:59:59.999Z');
    await get('/@alice/lib/-/lib-1.1.0.tgz');
    now = new Date('2026-12-08T00:00:00Z');
    await get('/@alice/lib/-/lib-1.1.0.tgz');
    await get('/@alice/lib/-/lib-1.0.0.tgz');
    await flush();
    const range = await get('/-/downloads/range/last-week/@alice/lib');
    assert.equal(range.statusCode, 200);
    assert.deepEqual(range.json(), {
      downloads: [
        { downloads: 0, day: '2026-12-02' },
        { downloads: 0, day: '2026-12-03' },
        { downloads: 0, day: '2026-12-04' },
        { downloads: 0, day: '2026-12-05' },
        { downloads: 0, day: '2026-12-06' },
        { downloads: 5, day: '2026-12-07' },
        { downloads: 2, day: '2026-12-08' },
      ],
      start: '2026-12-02',
      end: '2026-12-08',
      package: '@alice/lib',
    });
    assert.deepEqual(await point('last-week'), { downloads: 7, start: '2026-12-02', end: '2026-12-08', package: '@alice/lib' });
    assert.deepEqual(await point('last-month'), { downloads: 7, start: '2026-11-09', end: '2026-12-08', package: '@alice/lib' });
    assert.deepEqual(await point('2026-12-08:2026-12-08'), { downloads: 2, start: '2026-12-08', end: '2026-12-08', package: '@alice/lib' });
    const other = await get(`/-/downloads/range/2026-12-07:2026-12-08/alice@${t.host}/other`);
    assert.deepEqual(other.json(), {
      downloads: [
        { downloads: 0, day: '2026-12-07' },
        { downloads: 0, day: '2026-12-08' },
      ],
      start: '2026-12-07',
      end: '2026-12-08',
      package: `alice@${t.host}/other`,
    });
  });

  it('summarizePackageDownloads: today, 7 and 30 days, and per version (what the package page shows)', async () => {
    const ref = { namespace: 'alice', host: t.host, name: 'lib' } as Parameters<typeof summarizePackageDownloads>[1]['ref'];
    assert.deepEqual(await summarizePackageDownloads(t.deps, { ref }), {
      lastDay: 2,
      lastWeek: 7,
      lastMonth: 7,
      versions: { '1.0.0': 3, '1.1.0': 4 },
    });
    now = new Date('2026-12-15T12:00:00Z');
    assert.deepEqual(await summarizePackageDownloads(t.deps, { ref }), {
      lastDay: 0,
      lastWeek: 0,
      lastMonth: 7,
      versions: { '1.0.0': 3, '1.1.0': 4 },
    });
    now = new Date('2026-12-08T12:00:00Z');
  });

  it('two processes flushing the same rows at once sum (UPSERT adds, never overwrites)', async () => {
    // a second counter on the same database stands for a second registry process
    const a = t.app.downloads as DownloadCounter;
    const b = new DownloadCounter(t.deps);
    const ref = { namespace: 'alice', host: t.host, name: 'other' } as Parameters<DownloadCounter['count']>[0];
    for (let i = 0; i < 50; i++) {
      a.count(ref, '1.0.0');
      b.count(ref, '1.0.0');
      b.count(ref, '1.0.0');
    }
    await Promise.all([a.flush(), b.flush(), a.flush(), b.flush()]);
    assert.equal((await point('last-day', 'alice/other')).downloads, 150);
  });

  it('answers bad periods and names with catalogue codes', async () => {
    for (const period of [
      'yesterday',
      '2026-12-08:2026-12-07',
      '2026-02-30:2026-03-01',
      '2020-01-01:2026-01-01',
      '2026-12-01',
      '2026-12-01:2026-12-02:x',
    ]) {
      const body = expectError(await get(`/-/downloads/point/${period}/@alice/lib`), 400, 'INVALID_PERIOD');
      assert.match(body.message, /download period/);
    }
    expectError(await get('/-/downloads/point/last-day/@alice/nope'), 404, 'PACKAGE_NOT_FOUND');
    expectError(await get('/-/downloads/range/last-day/nope@elsewhere.example/lib'), 404, 'PACKAGE_NOT_FOUND');
    expectError(await get('/-/downloads/point/last-day/alice/Bad%20Name'), 400, 'INVALID_PACKAGE_NAME');
    expectError(await get('/-/downloads/point/last-day/bad%20ns@x/lib'), 400, 'INVALID_NAMESPACE');
    expectError(await get('/-/downloads/total/last-day/@alice/lib'), 404, 'NOT_FOUND');
    const rows = await t.deps.db.selectFrom('download_counts').select('name').distinct().execute();
    assert.deepEqual(rows.map((r) => r.name).sort(), ['lib', 'other'], 'refused requests counted nothing');
  });
});
