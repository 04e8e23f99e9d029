import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JOB_POLICIES, JobWorker } from '@entropic/core';
import { createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { JobsUsageError, runJobsCommand } from '../src/admin-jobs.ts';

describe('admin jobs: list by state, retry, drop', () => {
  let t: TestApp;
  let alice: TestUser;
  before(async () => {
    // packing off: its repack job, always queued, is not what these listings are about
    t = await createTestApp({ env: { BLOB_PACKING: 'off' } });
    alice = await t.createUser('alice');
  });
  after(() => t.close());

  const jobs = (args: Parameters<typeof runJobsCommand>[1]) => runJobsCommand(t.deps, args);

  /** Runs the README job with a renderer that crashes on every try, until it is dead. */
  async function killReadmeJob(): Promise<number> {
    let ms = Date.now();
    const worker = new JobWorker({
      jobs: t.deps.repos.jobs,
      clock: { now: () => new Date(ms) },
      handlers: {
        'render-readme': async () => {
          throw new Error('renderer crashed');
        },
      },
    });
    for (let i = 0; i < JOB_POLICIES['render-readme'].maxAttempts; i += 1) {
      assert.equal(await worker.runDue(), 1, `try ${i + 1}`);
      ms += 3600_000;
    }
    const [dead] = await t.deps.repos.jobs.list({ state: 'dead', kind: 'render-readme', limit: 10 });
    assert.ok(dead, 'the README job is dead');
    return dead.id;
  }

  it('lists the jobs a publish enqueued, by state and kind, as text and JSON', async () => {
    await publishVersion(t.app, 'alice/lib', '1.0.0', { token: alice.token, files: { 'README.md': '# lib\n', 'index.js': '1' } });
    const all = await jobs({ action: undefined, id: undefined });
    assert.equal(all.code, 0);
    // the README job indexes the package once rendered: the publish enqueues no search-index job of its own
    assert.equal(all.lines[0], '2 queued, 0 running, 0 dead.');
    assert.match(all.lines[1] ?? '', /^\d+ QUEUED npm-tarball \{"versionId":\d+\} try 0\/8 runs at /);
    assert.match(all.lines[2] ?? '', /^\d+ QUEUED render-readme \{"path":"\.\/package\/README\.md","versionId":\d+\} try 0\/8 runs at /);
    assert.equal(all.lines.length, 3);
    const readme = await jobs({ action: 'list', id: undefined, kind: 'render-readme' });
    assert.equal(readme.lines.length, 2);
    const json = JSON.parse((await jobs({ action: 'list', id: undefined, state: 'dead', json: true })).lines[0] ?? '');
    assert.deepEqual(json, { counts: { queued: 2, running: 0, dead: 0 }, jobs: [] });
  });

  it('a dead job is listed with its error; retry runs it again with all its tries, and then it succeeds', async () => {
    const id = await killReadmeJob();
    const dead = await jobs({ action: 'list', id: undefined, state: 'dead' });
    assert.equal(dead.lines[0], '1 queued, 0 running, 1 dead.');
    assert.match(dead.lines[1] ?? '', new RegExp(`^${id} DEAD render-readme .* try 8/8 last error: Error: renderer crashed$`));
    assert.deepEqual(await jobs({ action: 'retry', id: String(id) }), {
      code: 0,
      lines: [`Job ${id} (render-readme) is queued to run now, with all its tries.`],
    });
    assert.equal((await t.deps.repos.jobs.find(id))?.attempts, 0);
    // the README job re-indexes the package for search once it rendered: a third job
    assert.equal(await t.runJobs(), 3, 'the retried README job, the tarball job, and the search-index job of the README ran');
    const doc = (await t.app.inject({ url: '/packages/package/alice/lib/versions/1.0.0' })).json();
    assert.match(doc.derivedFiles['./readme.html'] ?? '', /^sha512-/);
    assert.equal((await jobs({ action: 'list', id: undefined })).lines[0], '0 queued, 0 running, 0 dead.');
  });

  it('drop deletes a dead job; an unknown id or a malformed command says so', async () => {
    await publishVersion(t.app, 'alice/lib', '2.0.0', { token: alice.token, files: { 'README.md': '# two\n' } });
    const id = await killReadmeJob();
    assert.deepEqual(await jobs({ action: 'drop', id: String(id) }), { code: 0, lines: [`Dropped job ${id} (render-readme, dead).`] });
    assert.equal(await t.deps.repos.jobs.find(id), undefined);
    assert.deepEqual(await jobs({ action: 'drop', id: String(id) }), { code: 1, lines: [`No job ${id}.`] });
    assert.deepEqual(await jobs({ action: 'retry', id: String(id) }), { code: 1, lines: [`No job ${id}.`] });
    await assert.rejects(jobs({ action: 'retry', id: undefined }), JobsUsageError);
    await assert.rejects(jobs({ action: 'explode', id: undefined }), JobsUsageError);
    await assert.rejects(jobs({ action: 'list', id: undefined, state: 'sleeping' }), JobsUsageError);
  });
});
