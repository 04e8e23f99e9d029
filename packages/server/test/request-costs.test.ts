// What one request costs in database round trips and cache work, counted from /metrics (issues
// 17.9 and 12.3): a cold install through the legacy mirror must not write the database or drop
// cached views while it is in flight, and `npm publish` authorises once before its transaction.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DomainEvent } from '@entropic/core';
import { bearer, createTestApp, encodePublishBody, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { makeNpmTarball } from './support/npm-tarball.ts';
import { parsePrometheusText } from './support/prometheus-text.ts';
import { waitFor } from './support/wait-for.ts';

const DB = 'entropic_database_operation_duration_seconds';

/** Database calls so far, by `repository.method`. */
async function databaseCalls(t: TestApp): Promise<Map<string, number>> {
  const response = await t.app.inject({ url: '/metrics' });
  assert.equal(response.statusCode, 200, response.body);
  const calls = new Map<string, number>();
  for (const sample of parsePrometheusText(response.body).get(DB)?.samples ?? []) {
    if (sample.name !== `${DB}_count`) continue;
    const key = `${sample.labels.repository}.${sample.labels.method}`;
    calls.set(key, (calls.get(key) ?? 0) + sample.value);
  }
  return calls;
}

/** The database calls `run` made, by `repository.method`. */
async function callsDuring(t: TestApp, run: () => Promise<void>): Promise<Map<string, number>> {
  const before = await databaseCalls(t);
  await run();
  const after = await databaseCalls(t);
  const delta = new Map<string, number>();
  for (const [key, n] of after) if (n - (before.get(key) ?? 0) > 0) delta.set(key, n - (before.get(key) ?? 0));
  return delta;
}

describe('the legacy mirror: a first fetch leaves the database and the caches alone while requests come', () => {
  let upstream: NpmUpstream;
  let t: TestApp;
  const events: DomainEvent[] = [];

  before(async () => {
    upstream = await startNpmUpstream();
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url } });
    t.deps.events.subscribe(async (event) => {
      events.push(event);
    });
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
  });

  it('answers the packument without writing it, then stores it once quiet; announces no change for a name stored nowhere here', async () => {
    const tarball = await makeNpmTarball([
      { name: 'package/package.json', content: '{"name":"coldpkg","version":"1.0.0"}' },
      { name: 'package/index.js', content: 'module.exports = 1;\n' },
      { name: 'package/README.md', content: '# Cold package\n\nMirrored *once*.\n' },
    ]);
    upstream.publish('coldpkg', '1.0.0', tarball);
    const headers = { accept: 'application/vnd.npm.install-v1+json' };
    let body: { versions: Record<string, unknown> } | undefined;
    const calls = await callsDuring(t, async () => {
      const res = await t.app.inject({ url: '/coldpkg', headers });
      assert.equal(res.statusCode, 200, res.body);
      body = res.json();
    });
    assert.deepEqual(Object.keys(body?.versions ?? {}), ['1.0.0']);
    assert.equal(calls.get('mirror.putUpstreamPackument') ?? 0, 0, 'not written on the way to the answer');
    // the names with a cached packument are known in memory: a first fetch does not look for one
    assert.equal(calls.get('mirror.findUpstreamPackument') ?? 0, 0, 'no lookup of a packument cached nowhere');
    // stored when the server is quiet (nothing else asks here)
    await waitFor('the packument to be stored', async () =>
      (await t.deps.repos.mirror.findUpstreamPackument('coldpkg')) ? true : undefined,
    );
    // its tarball, right after (as an install asks), does not ask the upstream for the packument again
    const res = await t.app.inject({ url: '/coldpkg/-/coldpkg-1.0.0.tgz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(createHash('sha512').update(res.rawPayload).digest('base64'), createHash('sha512').update(tarball).digest('base64'));
    assert.equal(upstream.requests('/coldpkg'), 1);
    await waitFor('the version to be stored', async () =>
      (await t.app.inject({ url: '/packages/package/legacy/coldpkg/versions/1.0.0' })).statusCode === 200 ? true : undefined,
    );
    // nothing is announced for the packument of a name stored nowhere here: the first announcement
    // is the stored version (its jobs announce package-changed after it, whenever they run)
    const changes = events.filter((e) => e.type === 'package-changed' || e.type === 'version-published');
    assert.equal(changes[0]?.type, 'version-published', JSON.stringify(changes.map((e) => e.type)));
    // a mirrored version's README is not rendered when it is stored (no job), but when its page is shown
    const renders = await t.deps.repos.jobs.list({ kind: 'render-readme', limit: 10 });
    assert.deepEqual(renders, [], 'no README job for a mirrored version');
    const page = await t.app.inject({ url: '/www/packages/legacy/coldpkg' });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /<h1>Cold package<\/h1>\s*<p>Mirrored <em>once<\/em>.<\/p>/);
  });

  it('reads a packument another process cached since the start from the database when the upstream cannot be asked', async () => {
    // cached by another process: this one never saw the name
    const body = JSON.stringify({
      name: 'elsewhere',
      'dist-tags': { latest: '1.0.0' },
      versions: { '1.0.0': { name: 'elsewhere', version: '1.0.0', dist: { tarball: `${upstream.url}/elsewhere/-/elsewhere-1.0.0.tgz` } } },
    });
    await t.deps.repos.mirror.putUpstreamPackument({ name: 'elsewhere', body, etag: null, fetchedAt: new Date() });
    await upstream.stop();
    const res = await t.app.inject({ url: '/elsewhere', headers: { accept: 'application/vnd.npm.install-v1+json' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(res.json().versions), ['1.0.0']);
    // a name cached nowhere is still the clear 502
    const missing = await t.app.inject({ url: '/nowhere-cached' });
    assert.equal(missing.statusCode, 502, missing.body);
    assert.equal(missing.json().code, 'UPSTREAM_UNAVAILABLE');
  });
});

describe('npm publish: database round trips', () => {
  let t: TestApp;
  let token: string;

  before(async () => {
    t = await createTestApp();
    token = (await t.createUser('pat')).token;
  });
  after(() => t?.close());

  it('authorises once, before the transaction, and reads the tarball once', async () => {
    const name = '@pat/costs';
    const version = '1.0.0';
    const tarball = await makeNpmTarball([
      { name: 'package/package.json', content: JSON.stringify({ name, version }) },
      { name: 'package/index.js', content: 'module.exports = 1;\n' },
      { name: 'package/lib/a.js', content: 'exports.a = 1;\n' },
    ]);
    const file = `costs-${version}.tgz`;
    const document = {
      _id: name,
      name,
      'dist-tags': { latest: version },
      versions: {
        [version]: {
          name,
          version,
          dist: {
            integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
            shasum: createHash('sha1').update(tarball).digest('hex'),
          },
        },
      },
      _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
    };
    const calls = await callsDuring(t, async () => {
      const res = await t.app.inject({ method: 'PUT', url: '/@pat%2fcosts', headers: bearer(token), payload: document });
      assert.equal(res.statusCode, 201, res.body);
    });
    // a new package: the namespace and the (absent) package in one lookup, the membership once;
    // the transaction records on that decision (the insert decides between two publishes)
    assert.equal(calls.get('packages.findForWrite'), 1, 'one lookup for the namespace and the package');
    assert.equal(calls.get('teams.isAcceptedMember'), 1, 'the membership check, once');
    assert.equal(calls.get('security.findSecondFactor'), 1, 'the second-factor settings, once');
    assert.equal(calls.get('namespaces.find'), 1, 'npm’s scope resolved to a namespace (the write lookup reads its row again)');
    assert.equal(calls.get('security.namespaceRequiresSecondFactor') ?? 0, 0, 'its requirement too');
    assert.equal(calls.get('jobs.enqueueAll'), 1, 'the search-index job in one insert (npm uploaded the tarball: no build job)');
    assert.equal(calls.get('jobs.enqueue') ?? 0, 0);
    // what was published is whole: every file, and npm gets the uploaded bytes
    const doc = await t.app.inject({ url: `/packages/package/pat/costs/versions/${version}` });
    assert.equal(doc.statusCode, 200, doc.body);
    assert.deepEqual(Object.keys(doc.json().files).sort(), ['./package/index.js', './package/lib/a.js', './package/package.json']);
    const served = await t.app.inject({ url: `/@pat/costs/-/${file}` });
    assert.equal(served.statusCode, 200);
    assert.ok(served.rawPayload.equals(tarball));
  });
});

describe('a publish through the API: database round trips (issue 12.3)', () => {
  let t: TestApp;
  let token: string;

  before(async () => {
    t = await createTestApp({ env: { PUBLISH_RATE_LIMIT_PER_HOUR: '0' } });
    token = (await t.createUser('pat')).token;
  });
  after(() => t?.close());

  const publish = async (version: string, files: number) => {
    const { payload, contentType } = await encodePublishBody({
      files: {
        'README.md': '# costs\n',
        ...Object.fromEntries(Array.from({ length: files }, (_, i) => [`lib/file-${i}.js`, `module.exports = ${i};\n`.repeat(200)])),
      },
      fields: { dependencies: { 'pat/dep': '^1.0.0' } },
    });
    const res = await t.app.inject({
      method: 'PUT',
      url: `/packages/package/pat/costs/versions/${version}`,
      headers: { ...bearer(token), 'content-type': contentType },
      payload,
    });
    assert.equal(res.statusCode, 201, res.body);
  };

  it('a new version of a package of 20 files: one authorisation before the body, one transaction of single inserts, nothing read back after', async () => {
    await publish('1.0.0', 20);
    const calls = await callsDuring(t, () => publish('1.1.0', 20));
    // the name index's sync runs every 2 s whatever happens (a slow publish may overlap it)
    const publishCalls = [...calls].filter(([key]) => !key.endsWith('.listLocalNames'));
    assert.deepEqual(Object.fromEntries(publishCalls.sort(([a], [b]) => a.localeCompare(b))), {
      // before the body is read: who may write, and is the version free
      'packages.findForWrite': 1,
      'teams.isMaintainer': 1,
      'security.findSecondFactor': 1,
      'versions.findState': 1,
      // the transaction: the version (its object references in the same call), the package
      // touched (refused if abandoned meanwhile), its jobs in one insert, the tag, the audit row
      'transaction.transaction': 1,
      'versions.insert': 1,
      'packages.touch': 1,
      'jobs.enqueueAll': 1,
      'tags.set': 1,
      'audit.append': 1,
    });
    // its npm tarball, README and search document are jobs; the version reads whole before they run
    const doc = await t.app.inject({ url: '/packages/package/pat/costs/versions/1.1.0' });
    assert.equal(doc.statusCode, 200, doc.body);
    assert.equal(Object.keys(doc.json().files).length, 21);
    assert.deepEqual(doc.json().derivedFiles, {}, 'the README is rendered by its job');
    // (the server's own start-up jobs, such as blob-repack on PostgreSQL, are not the publishes')
    // (the README job re-indexes the package once rendered: no search-index job of the publish's own)
    const publishKinds = new Set(['npm-tarball', 'render-readme', 'search-index']);
    const kinds = (await t.deps.repos.jobs.list({ limit: 100 })).map((j) => j.kind).filter((k) => publishKinds.has(k));
    assert.deepEqual(kinds.sort(), ['npm-tarball', 'npm-tarball', 'render-readme', 'render-readme']);
    await t.runJobs();
  });

  it('the background work of a burst of publishes: one claim, one completion, the package indexed once', async () => {
    const burst = async (versions: string[]) => {
      for (const version of versions) {
        const { payload, contentType } = await encodePublishBody({
          files: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`lib/file-${i}.js`, `module.exports = '${version}/${i}';\n`])),
          fields: { dependencies: {} },
        });
        const res = await t.app.inject({
          method: 'PUT',
          url: `/packages/package/pat/burst/versions/${version}`,
          headers: { ...bearer(token), 'content-type': contentType },
          payload,
        });
        assert.equal(res.statusCode, 201, res.body);
      }
    };
    await burst(['1.0.0']);
    await t.runJobs();
    await burst(['1.0.1', '1.0.2', '1.0.3']);
    const calls = await callsDuring(t, async () => {
      assert.equal(await t.runJobs(), 6, 'three npm-tarball and three search-index jobs');
    });
    const jobCalls = [...calls].filter(([key]) => !key.endsWith('.listLocalNames'));
    assert.deepEqual(Object.fromEntries(jobCalls.sort(([a], [b]) => a.localeCompare(b))), {
      // the batch in one claim (the dead leases buried in it), then the empty claim that ends runJobs
      'jobs.claim': 2,
      // every succeeded job in one delete
      'jobs.complete': 1,
      // each version's tarball
      'npmTarballs.findBuildSourceById': 3,
      'npmTarballs.insert': 3,
      // the three search-index jobs are one package's: indexed once
      'packages.find': 1,
      'search.findSource': 1,
      'search.save': 1,
    });
    assert.deepEqual(await t.deps.repos.jobs.list({ kind: 'search-index', limit: 10 }), []);
  });

  it("a batch read of a version's files asks who may read them in one query, and nothing once their verdicts are cached", async () => {
    const doc = await t.app.inject({ url: '/packages/package/pat/burst/versions/1.0.3' });
    assert.equal(doc.statusCode, 200, doc.body);
    const objects = Object.values(doc.json().files as Record<string, string>);
    assert.equal(objects.length, 20);
    const batch = async () => {
      const res = await t.app.inject({ method: 'POST', url: '/objects/batch', payload: { objects } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.body.split('\n').filter((line) => line.endsWith(' -')).length, 0, 'every object sent');
    };
    const first = await callsDuring(t, batch);
    assert.equal(first.get('objects.listReferencingPackagesOfMany'), 1, `one query for the batch: ${JSON.stringify([...first])}`);
    assert.equal(first.get('objects.listReferencingPackages') ?? 0, 0, 'not one per object');
    const again = await callsDuring(t, batch);
    assert.equal(again.get('objects.listReferencingPackagesOfMany') ?? 0, 0, 'public verdicts are remembered');
  });
});
