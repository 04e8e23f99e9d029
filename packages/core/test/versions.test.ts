import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Version } from '@entropic/types';
import { getPackageDocument, getVersionDocument, listDistTags, listVersions, type Principal, yankVersion } from '../src/index.ts';
import { packageRef, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('versions (use cases on real repositories)', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  let bob: Principal;
  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
    bob = (await seedUser(deps, 'bob')).principal;
  });
  after(() => deps.close());

  const v = (version: string) => version as Version;

  it('getVersionDocument reads what was published; unknown versions and packages are 404s', async () => {
    const ref = packageRef(deps, 'alice', 'read');
    const published = await publish(deps, alice, ref, '1.0.0', { fields: { dependencies: '{"alice/dep":"^1.0.0"}' }, signatures: ['s1'] });
    const doc = await getVersionDocument(deps, { ref, version: v('1.0.0') });
    assert.deepEqual(doc, published.document);
    assert.equal(doc.name, `alice@${deps.host}/read`);
    assert.deepEqual(doc.dependencies, { [`alice@${deps.host}/dep`]: '^1.0.0' });
    assert.deepEqual(doc.signatures, ['s1']);
    assert.equal(doc.yanked, false);
    await assert.rejects(getVersionDocument(deps, { ref, version: v('2.0.0') }), { code: 'VERSION_NOT_FOUND' });
    await assert.rejects(getVersionDocument(deps, { ref: packageRef(deps, 'alice', 'none'), version: v('1.0.0') }), {
      code: 'PACKAGE_NOT_FOUND',
    });
  });

  it('listVersions answers {version: integrity} in semver order', async () => {
    const ref = packageRef(deps, 'alice', 'list');
    const integrity: Record<string, string> = {};
    for (const version of ['1.10.0', '1.2.0', '1.0.0-rc.1'])
      integrity[version] = (await publish(deps, alice, ref, version)).document.integrity;
    const listed = await listVersions(deps, { ref });
    assert.deepEqual(Object.keys(listed), ['1.0.0-rc.1', '1.2.0', '1.10.0']);
    assert.deepEqual(listed, integrity);
  });

  it('yankVersion keeps the version readable, drops it from lists and moves latest to the best remaining release', async () => {
    const ref = packageRef(deps, 'alice', 'yank');
    for (const version of ['1.0.0', '1.1.0', '2.0.0-beta.1']) await publish(deps, alice, ref, version, { fields: { tag: 'latest' } });
    await publish(deps, alice, ref, '1.2.0', { fields: { tag: 'stable' } });
    assert.deepEqual(await listDistTags(deps, { ref }), { latest: '2.0.0-beta.1', stable: '1.2.0' });
    deps.emitted.length = 0;
    await yankVersion(deps, { principal: alice, ref, version: v('2.0.0-beta.1') });
    assert.deepEqual(deps.emitted, [{ type: 'package-changed', ref }]);
    assert.deepEqual(await listDistTags(deps, { ref }), { latest: '1.2.0', stable: '1.2.0' });
    assert.equal((await getVersionDocument(deps, { ref, version: v('2.0.0-beta.1') })).yanked, true);
    assert.deepEqual(Object.keys(await listVersions(deps, { ref })), ['1.0.0', '1.1.0', '1.2.0']);

    await yankVersion(deps, { principal: alice, ref, version: v('1.2.0') });
    assert.deepEqual(await listDistTags(deps, { ref }), { latest: '1.1.0' }, 'every tag on the yanked version goes');
    assert.deepEqual((await getPackageDocument(deps, { ref })).tags, { latest: '1.1.0' });
  });

  it('yanking a yanked version changes nothing and emits nothing; errors carry stable codes', async () => {
    const ref = packageRef(deps, 'alice', 'twice');
    await publish(deps, alice, ref, '1.0.0');
    await yankVersion(deps, { principal: alice, ref, version: v('1.0.0') });
    assert.deepEqual(await listDistTags(deps, { ref }), {}, 'no release left for latest');
    deps.emitted.length = 0;
    await yankVersion(deps, { principal: alice, ref, version: v('1.0.0') });
    assert.deepEqual(deps.emitted, []);
    await assert.rejects(yankVersion(deps, { principal: alice, ref, version: v('9.0.0') }), { code: 'VERSION_NOT_FOUND' });
    await assert.rejects(yankVersion(deps, { principal: bob, ref, version: v('1.0.0') }), { code: 'NOT_A_MAINTAINER' });
    await assert.rejects(yankVersion(deps, { principal: alice, ref: packageRef(deps, 'alice', 'none'), version: v('1.0.0') }), {
      code: 'PACKAGE_NOT_FOUND',
    });
    assert.deepEqual(deps.emitted, []);
  });
});
