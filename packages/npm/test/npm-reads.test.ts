import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CoreDeps, JobWorker, type Principal, publishVersion } from '@entropic/core';
import { createRepositories, createUnitOfWork } from '@entropic/db';
import { AppError, type Version } from '@entropic/types';
import { packageRef, partsOf, seedUser } from '../../core/test/support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from '../../core/test/support/core-deps.ts';
import { findNpmTarball, getLocalPackuments, NpmTarballBuilder } from '../src/index.ts';

/** Deps whose repositories record the kind of every statement they run (Kysely sees each query before it is sent). */
function recordingDeps(deps: TestCoreDeps): { deps: CoreDeps; statements: string[] } {
  const statements: string[] = [];
  const recorder: Parameters<TestCoreDeps['db']['withPlugin']>[0] = {
    transformQuery({ node }) {
      statements.push(node.kind === 'RawNode' ? `RawNode ${node.sqlFragments.join('?')}` : node.kind);
      return node;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  const db = deps.db.withPlugin(recorder);
  return { deps: { ...deps, repos: createRepositories(db), uow: createUnitOfWork(db) }, statements };
}

const writes = (statements: string[]) => statements.filter((kind) => !/^SelectQueryNode$|^RawNode\s*SELECT\b/i.test(kind));

describe('npm reads never write; a version whose tarball job has not run yet is built by the read that needs it', () => {
  let deps: TestCoreDeps;
  let builder: NpmTarballBuilder;
  let worker: JobWorker;
  const errors: unknown[] = [];
  const ref = () => packageRef(deps, 'alice', 'lib');
  const input = () => ({ ref: ref(), npmName: '@alice/lib', tarballBase: 'http://registry.test' });
  let alice: Principal;
  const publish = async (version: string) => {
    await publishVersion(deps, {
      principal: alice,
      ref: ref(),
      version: version as Version,
      parts: partsOf({ files: { 'package.json': JSON.stringify({ name: '@alice/lib', version, bin: { lib: 'cli.js' } }), 'cli.js': '' } }),
    });
  };
  const queuedTarballJobs = async () => (await deps.repos.jobs.list({ kind: 'npm-tarball', limit: 100 })).map((job) => job.payload);

  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
    builder = new NpmTarballBuilder(deps, (error) => errors.push(error));
    worker = new JobWorker({
      jobs: deps.repos.jobs,
      clock: deps.clock,
      handlers: { 'npm-tarball': async ({ versionId }) => void (await builder.buildById(versionId)) },
    });
  });
  after(() => deps.close());

  it('a publish enqueues its tarball job; once it ran, the packument GET issues only SELECTs', async () => {
    await publish('1.0.0');
    const v1 = (await deps.repos.versions.findState((await deps.repos.packages.find('alice', null, 'lib'))?.id ?? -1, '1.0.0'))?.id;
    assert.deepEqual(await queuedTarballJobs(), [{ versionId: v1 }]);
    assert.equal(await worker.runDue(), 1);
    assert.deepEqual(await queuedTarballJobs(), []);
    const reading = recordingDeps(deps);
    const packuments = await getLocalPackuments(reading.deps, { ...input(), build: (id) => builder.buildById(id) });
    const dist = (packuments.full.versions as Record<string, { dist: { integrity: string }; bin: unknown }>)['1.0.0'];
    assert.match(dist?.dist.integrity ?? '', /^sha512-/);
    assert.deepEqual(dist?.bin, { lib: 'cli.js' });
    assert.equal(await findNpmTarball(reading.deps, { ref: ref(), version: '1.0.0' }), dist?.dist.integrity);
    assert.ok(reading.statements.length >= 3, 'the recorder sees the reads');
    assert.deepEqual(writes(reading.statements), []);
    assert.deepEqual(errors, []);
  });

  it('before its job runs, a version is built by the read that needs it (the same single-flight build); the job then finds it built', async () => {
    await publish('2.0.0');
    assert.equal((await queuedTarballJobs()).length, 1);
    const plain = recordingDeps(deps);
    const without = await getLocalPackuments(plain.deps, input());
    assert.deepEqual(Object.keys(without.full.versions as object), ['1.0.0'], 'without a builder the read leaves it out');
    assert.deepEqual(writes(plain.statements), []);

    const reading = recordingDeps(deps);
    const build = (id: number) => new NpmTarballBuilder(reading.deps).buildById(id);
    const packuments = await getLocalPackuments(reading.deps, { ...input(), build });
    assert.deepEqual(Object.keys(packuments.full.versions as object), ['1.0.0', '2.0.0']);
    assert.deepEqual((packuments.full['dist-tags'] as Record<string, string>).latest, '2.0.0');
    assert.ok(writes(reading.statements).includes('InsertQueryNode'), 'the read recorded the tarball it built');
    const integrity = (packuments.full.versions as Record<string, { dist: { integrity: string } }>)['2.0.0']?.dist.integrity;
    assert.equal(await findNpmTarball(deps, { ref: ref(), version: '2.0.0' }), integrity);

    const emitted = deps.emitted.length;
    assert.equal(await worker.runDue(), 1, 'the job still runs');
    assert.deepEqual(deps.emitted.slice(emitted), [], 'and finds nothing to build: no change announced');
    assert.equal(await findNpmTarball(deps, { ref: ref(), version: '2.0.0' }), integrity);
  });

  it('a tarball GET before the job ran builds it too; the backfill builds versions that have neither tarball nor job', async () => {
    await publish('3.0.0');
    await publish('4.0.0');
    assert.equal(await findNpmTarball(deps, { ref: ref(), version: '3.0.0' }), undefined);
    const built = await findNpmTarball(deps, { ref: ref(), version: '3.0.0', build: (id) => builder.buildById(id) });
    assert.match(built ?? '', /^sha512-/);
    await deps.db.deleteFrom('jobs').execute();
    assert.equal(await builder.buildMissing(), 1, '4.0.0, whose job is gone');
    assert.equal(await builder.buildMissing(), 0, 'nothing left to build');
    assert.match((await findNpmTarball(deps, { ref: ref(), version: '4.0.0' })) ?? '', /^sha512-/);
  });

  it('a package whose only version has no tarball yet reads as not found without a builder, and is built with one', async () => {
    const other = packageRef(deps, 'alice', 'pending');
    await publishVersion(deps, { principal: alice, ref: other, version: '1.0.0' as Version, parts: partsOf() });
    const reading = recordingDeps(deps);
    const otherInput = { ref: other, npmName: '@alice/pending', tarballBase: 'http://registry.test' };
    await assert.rejects(
      getLocalPackuments(reading.deps, otherInput),
      (error: unknown) => error instanceof AppError && error.code === 'PACKAGE_NOT_FOUND',
    );
    assert.deepEqual(writes(reading.statements), []);
    const packuments = await getLocalPackuments(deps, { ...otherInput, build: (id) => builder.buildById(id) });
    assert.deepEqual(Object.keys(packuments.full.versions as object), ['1.0.0']);
  });
});
