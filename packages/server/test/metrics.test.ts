import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp } from '@entropic/testkit';
import { type Family, parsePrometheusText } from './support/prometheus-text.ts';

type Families = Map<string, Family>;

async function scrape(t: TestApp, headers: Record<string, string> = {}): Promise<Families> {
  const response = await t.app.inject({ url: '/metrics', headers });
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.body);
}

function family(families: Families, name: string) {
  const found = families.get(name);
  assert.ok(found, `${name} is exposed`);
  return found;
}

/** The sum of the samples whose labels include `labels`: the count of a histogram, a counter's value. */
function count(families: Families, name: string, labels: Record<string, string>): number {
  const found = family(families, name);
  const sampleName = found.type === 'histogram' ? `${name}_count` : name;
  return found.samples
    .filter((s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The label sets of a family's series (a histogram's `_count` samples). */
function series(families: Families, name: string): Record<string, string>[] {
  return family(families, name)
    .samples.filter((s) => s.name === `${name}_count`)
    .map((s) => s.labels);
}

const HTTP = 'entropic_http_request_duration_seconds';

describe('GET /metrics (open: METRICS_TOKEN unset)', () => {
  let t: TestApp;
  let token: string;
  before(async () => {
    t = await createTestApp();
    token = (await t.createUser('alice')).token;
  });
  after(() => t.close());

  it('is the Prometheus text format, with process stats and every family the registry declares', async () => {
    const families = await scrape(t);
    for (const name of [
      HTTP,
      'entropic_cache_lookups_total',
      'entropic_package_name_index_lookups_total',
      'entropic_blob_store_operation_duration_seconds',
      'entropic_database_operation_duration_seconds',
      'entropic_jobs',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      family(families, name);
    }
    assert.equal(family(families, HTTP).type, 'histogram');
    assert.equal(family(families, 'entropic_cache_lookups_total').type, 'counter');
  });

  it('counts requests by route pattern, method and status class, and caches, blobs and database calls move', async () => {
    const version = await publishVersion(t.app, 'alice/metered', '1.0.0', { token });
    const before = await scrape(t);
    const route = '/packages/package/:namespace/:name';
    for (let i = 0; i < 3; i++) {
      const response = await t.app.inject({ url: '/packages/package/alice/metered' });
      assert.equal(response.statusCode, 200);
    }
    const missing = await t.app.inject({ url: '/packages/package/alice/nothing-here' });
    assert.equal(missing.statusCode, 404);
    await t.app.inject({ url: '/auth/whoami', headers: bearer(token) });
    await t.app.inject({ url: '/auth/whoami', headers: bearer(token) });
    const object = await t.app.inject({ url: `/objects/object/sha512/${version.integrity.slice('sha512-'.length)}` });
    assert.equal(object.statusCode, 200);
    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string>) => count(after, name, labels) - count(before, name, labels);
    assert.equal(delta(HTTP, { route, method: 'GET', status: '2xx' }), 3);
    assert.equal(delta(HTTP, { route, method: 'GET', status: '4xx' }), 1);
    // the first read filled the response cache, the next two were answered from it
    assert.ok(delta('entropic_cache_lookups_total', { cache: 'response', result: 'hit' }) >= 2);
    assert.ok(delta('entropic_cache_lookups_total', { cache: 'token', result: 'hit' }) >= 1);
    assert.ok(count(after, 'entropic_database_operation_duration_seconds', { repository: 'packages', method: 'find', outcome: 'ok' }) >= 1);
    assert.ok(count(after, 'entropic_database_operation_duration_seconds', { repository: 'transaction', outcome: 'ok' }) >= 1);
    assert.ok(count(after, 'entropic_blob_store_operation_duration_seconds', { operation: 'put', outcome: 'ok' }) >= 1);
    assert.ok(delta('entropic_blob_store_operation_duration_seconds', { operation: 'get', outcome: 'ok' }) >= 1);
  });

  it('keeps labels bounded: unknown URLs all count under one route value and mint no new series', async () => {
    await t.app.inject({ url: '/no/such/route/one' });
    const before = await scrape(t);
    const seriesBefore = series(before, HTTP).length;
    for (let i = 0; i < 20; i++) {
      const response = await t.app.inject({ url: `/no/such/route/${i}-${Math.random()}`, method: i % 2 ? 'GET' : 'DELETE' });
      assert.equal(response.statusCode, 404);
    }
    const after = await scrape(t);
    const newSeries = series(after, HTTP).length - seriesBefore;
    // at most one new series: DELETE of an unmatched route (GET was seen before)
    assert.ok(newSeries <= 1, `${newSeries} new series`);
    const routes = new Set(series(after, HTTP).map((labels) => labels.route));
    for (const value of routes) assert.ok(value === 'unmatched' || value?.startsWith('/'), `route label ${value}`);
    assert.ok(![...routes].some((value) => value?.includes('no/such')), 'no URL became a label value');
    assert.equal(
      count(after, HTTP, { route: 'unmatched', method: 'GET', status: '4xx' }) -
        count(before, HTTP, { route: 'unmatched', method: 'GET', status: '4xx' }),
      10,
    );
  });

  it('reports the job queue depth by state, counted at scrape time', async () => {
    const before = await scrape(t);
    const queued = { state: 'queued' };
    // due in a day: no worker takes it during the test
    await t.deps.repos.jobs.enqueue({
      kind: 'npm-tarball',
      payload: { versionId: 2_147_483_000 },
      runAt: new Date(Date.now() + 86_400_000),
    });
    const after = await scrape(t);
    assert.equal(count(after, 'entropic_jobs', queued), count(before, 'entropic_jobs', queued) + 1);
    assert.deepEqual(new Set(family(after, 'entropic_jobs').samples.map((s) => s.labels.state)), new Set(['queued', 'running', 'dead']));
  });

  it('times the jobs its worker runs (try duration by kind and outcome, wait since due by kind)', async () => {
    const runs = (families: Families) =>
      families.has('entropic_job_duration_seconds')
        ? count(families, 'entropic_job_duration_seconds', { kind: 'npm-tarball', outcome: 'done' })
        : 0;
    const had = runs(await scrape(t));
    await publishVersion(t.app, 'alice/timed-jobs', '1.0.0', { token, files: { 'package.json': '{}' } });
    assert.ok((await t.runJobs()) >= 2, 'the publish enqueued its npm-tarball and search-index jobs');
    const after = await scrape(t);
    assert.ok(runs(after) >= had + 1, 'the npm-tarball try is timed');
    assert.ok(count(after, 'entropic_job_duration_seconds', { kind: 'search-index', outcome: 'done' }) >= 1);
    assert.ok(count(after, 'entropic_job_wait_seconds', { kind: 'npm-tarball' }) >= 1);
  });

  it('counts unknown npm names as answered by the package name index', async () => {
    const before = await scrape(t);
    const response = await t.app.inject({ url: '/no-such-package-anywhere' });
    assert.equal(response.statusCode, 404);
    const after = await scrape(t);
    const absent = { result: 'absent' };
    assert.ok(
      count(after, 'entropic_package_name_index_lookups_total', absent) >
        count(before, 'entropic_package_name_index_lookups_total', absent),
    );
  });
});
