import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CoreDeps, type Principal, publishVersion } from '@entropic/core';
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

describe('npm reads never write', () => {
  let deps: TestCoreDeps;
  let builder: NpmTarballBuilder;
  let unsubscribe: () => void;
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

  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
    builder = new NpmTarballBuilder(deps, (error) => errors.push(error));
    unsubscribe = builder.subscribe();
  });
  after(() => deps.close());

  it('a published version has its tarball recorded before the publish answers; its packument GET issues only SELECTs', async () => {
    await publish('1.0.0');
    const reading = recordingDeps(deps);
    const packuments = await getLocalPackuments(reading.deps, input());
    const dist = (packuments.full.versions as Record<string, { dist: { integrity: string }; bin: unknown }>)['1.0.0'];
    assert.match(dist?.dist.integrity ?? '', /^sha512-/);
    assert.deepEqual(dist?.bin, { lib: 'cli.js' });
    assert.equal(await findNpmTarball(reading.deps, { ref: ref(), version: '1.0.0' }), dist?.dist.integrity);
    assert.ok(reading.statements.length >= 3, 'the recorder sees the reads');
    assert.deepEqual(writes(reading.statements), []);
    assert.deepEqual(errors, []);
  });

  it('a version without a tarball (published before tarballs were built on publish) is left out by a read, which still writes nothing; the start-up backfill builds it', async () => {
    unsubscribe();
    await publish('2.0.0');
    const reading = recordingDeps(deps);
    const before = await getLocalPackuments(reading.deps, input());
    assert.deepEqual(Object.keys(before.full.versions as object), ['1.0.0']);
    assert.equal(await findNpmTarball(reading.deps, { ref: ref(), version: '2.0.0' }), undefined);
    assert.deepEqual(writes(reading.statements), []);

    const building = recordingDeps(deps);
    assert.equal(await new NpmTarballBuilder(building.deps).buildMissing(), 1);
    assert.ok(
      writes(building.statements).includes('InsertQueryNode'),
      'building records the tarball (and the recorder would see an INSERT in a read)',
    );
    assert.equal(await new NpmTarballBuilder(deps).buildMissing(), 0, 'nothing left to build');

    const after = recordingDeps(deps);
    const packuments = await getLocalPackuments(after.deps, input());
    assert.deepEqual(Object.keys(packuments.full.versions as object), ['1.0.0', '2.0.0']);
    assert.deepEqual(writes(after.statements), []);
  });

  it('a package whose only versions have no tarball yet reads as not found, without writing', async () => {
    const other = packageRef(deps, 'alice', 'pending');
    await publishVersion(deps, {
      principal: alice,
      ref: other,
      version: '1.0.0' as Version,
      parts: partsOf(),
    });
    const reading = recordingDeps(deps);
    await assert.rejects(
      getLocalPackuments(reading.deps, { ref: other, npmName: '@alice/pending', tarballBase: 'http://registry.test' }),
      (error: unknown) => error instanceof AppError && error.code === 'PACKAGE_NOT_FOUND',
    );
    assert.deepEqual(writes(reading.statements), []);
  });
});
