import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LEGACY_MIRROR_PRINCIPAL, type PackageRef, type Principal, publishVersion } from '@entropic/core';
import { type Integrity, LEGACY, type PackageName, type Version } from '@entropic/types';
import { packageRef, partsOf, seedUser } from '../../core/test/support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from '../../core/test/support/core-deps.ts';
import { buildTarball, findNpmTarball, NpmTarballBuilder, putNpmPackage, unpublishNpmPackage } from '../src/index.ts';

/** The document `npm publish` sends for one version, with a real gzipped tarball. */
async function publishDocument(deps: TestCoreDeps, name: string, version: string): Promise<Record<string, unknown>> {
  const packageJson = Buffer.from(JSON.stringify({ name, version, main: 'index.js' }));
  const built = await buildTarball(deps.blobs, { files: {}, extra: { path: './package/package.json', content: packageJson } });
  const bytes = (await deps.blobs.getBytes(built.integrity as Integrity)) as Buffer;
  return {
    name,
    'dist-tags': { latest: version },
    versions: { [version]: { name, version, main: 'index.js', dist: { shasum: built.shasum } } },
    _attachments: { [`${name}-${version}.tgz`]: { data: bytes.toString('base64'), length: bytes.length } },
  };
}

describe('npm use cases announce their changes (caches follow the events)', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  const errors: unknown[] = [];
  const ref = (): PackageRef => packageRef(deps, 'alice', 'evt');
  const since = (count: number) => deps.emitted.slice(count);

  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
  });
  after(() => deps.close());

  it('an npm publish emits version-published, and the version has its uploaded tarball before the publish answers (no tarball job)', async () => {
    const start = deps.emitted.length;
    const result = await putNpmPackage(deps, {
      principal: alice,
      npmName: '@alice/evt',
      body: await publishDocument(deps, '@alice/evt', '1.0.0'),
    });
    assert.deepEqual(result, { kind: 'published', version: '1.0.0' });
    assert.deepEqual(since(start), [{ type: 'version-published', ref: ref(), version: '1.0.0', dependsOn: [] }]);
    assert.match((await findNpmTarball(deps, { ref: ref(), version: '1.0.0' })) ?? '', /^sha512-/);
    assert.deepEqual(await deps.repos.jobs.list({ kind: 'npm-tarball', limit: 10 }), []);
    assert.deepEqual(errors, []);
  });

  it('npm deprecate emits package-changed; a document that changes nothing emits nothing', async () => {
    let start = deps.emitted.length;
    await putNpmPackage(deps, { principal: alice, npmName: '@alice/evt', body: { versions: { '1.0.0': { deprecated: 'use 2' } } } });
    assert.deepEqual(since(start), [{ type: 'package-changed', ref: ref() }]);
    start = deps.emitted.length;
    await putNpmPackage(deps, { principal: alice, npmName: '@alice/evt', body: { versions: { '1.0.0': {} } } });
    assert.deepEqual(since(start), []);
  });

  it('npm unpublish yanks every version and emits package-changed', async () => {
    const start = deps.emitted.length;
    assert.deepEqual(await unpublishNpmPackage(deps, { principal: alice, npmName: '@alice/evt' }), ['1.0.0']);
    assert.deepEqual(since(start), [{ type: 'package-changed', ref: ref() }]);
  });

  it('the builder leaves legacy versions to the mirror (it records the upstream bytes): no job on publish, nothing built by id or by the backfill', async () => {
    const legacy: PackageRef = { namespace: LEGACY, host: deps.host, name: 'left-pad' as PackageName };
    await publishVersion(deps, { principal: LEGACY_MIRROR_PRINCIPAL, ref: legacy, version: '1.0.0' as Version, parts: partsOf() });
    const row = await deps.repos.npmTarballs.findByName(LEGACY, null, 'left-pad', '1.0.0');
    assert.ok(row, 'the mirrored version is stored');
    assert.equal(row.integrity, null, 'no tarball built for it on publish');
    assert.deepEqual(await deps.repos.jobs.list({ kind: 'npm-tarball', limit: 10 }), []);
    assert.equal(await new NpmTarballBuilder(deps).buildById(row.versionId), false);
    assert.equal(await new NpmTarballBuilder(deps).buildMissing(), 0);
    assert.equal((await deps.repos.npmTarballs.findByName(LEGACY, null, 'left-pad', '1.0.0'))?.integrity, null);
  });
});
