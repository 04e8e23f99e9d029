import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Integrity } from '@entropic/types';
import { checkIntegrity, collectGarbage, JobWorker, referencedIntegrities, renderVersionReadme } from '../src/index.ts';
import { packageRef, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('gc and fsck (on real repositories and a temp-dir blob store)', () => {
  let deps: TestCoreDeps;
  let files: Record<string, string>;
  let documentIntegrity: string;
  before(async () => {
    deps = await createTestCoreDeps();
    const { principal } = await seedUser(deps, 'alice');
    const { document } = await publish(deps, principal, packageRef(deps, 'alice', 'kept'), '1.0.0', {
      files: { 'README.md': '# kept\n', 'index.js': 'kept\n' },
    });
    files = document.files;
    documentIntegrity = document.integrity;
    // its README is rendered by the job the publish enqueued
    const handlers = { 'render-readme': (payload: { versionId: number; path: string }) => renderVersionReadme(deps, payload) };
    assert.equal(await new JobWorker({ jobs: deps.repos.jobs, clock: deps.clock, handlers }).runDue(), 1);
  });
  after(() => deps.close());

  it('referencedIntegrities holds the version document, every file and every derived file', async () => {
    const referenced = await referencedIntegrities(deps);
    assert.ok(referenced.has(documentIntegrity));
    for (const integrity of Object.values(files)) assert.ok(referenced.has(integrity));
    assert.equal(referenced.size, 4, 'document, two files, readme.html');
  });

  it('collectGarbage keeps referenced and young blobs and deletes old unreferenced ones', async () => {
    const orphan = await deps.blobs.putBytes('nothing references me');
    const young = await collectGarbage(deps, { graceSeconds: 3600 });
    assert.equal(young.deleted, 0);
    assert.equal(young.keptYoung, 1);
    assert.equal(young.scanned, 5);
    // an hour later (the clock is a port) the orphan is old enough
    const later = { ...deps, clock: { now: () => new Date(Date.now() + 2 * 3600_000) } };
    const report = await collectGarbage(later, { graceSeconds: 3600 });
    assert.equal(report.deleted, 1);
    assert.ok(report.freedBytes > 0);
    assert.equal(await deps.blobs.stat(orphan.integrity), undefined);
    for (const integrity of Object.values(files)) assert.ok(await deps.blobs.stat(integrity as Integrity));
  });

  it('checkIntegrity finds nothing wrong, then names the version and path of a missing blob', async () => {
    const healthy = await checkIntegrity(deps);
    assert.deepEqual(healthy, { versions: 1, blobs: 4, problems: [] });
    const missing = files['./package/index.js'] as Integrity;
    assert.equal(await deps.blobs.delete(missing), true);
    const report = await checkIntegrity(deps);
    assert.deepEqual(report.problems, [
      { version: `alice@${deps.host}/kept@1.0.0`, path: './package/index.js', integrity: missing, problem: 'missing' },
    ]);
  });
});
