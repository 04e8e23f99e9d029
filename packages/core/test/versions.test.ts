import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Version } from '@entropic/types';
import {
  deprecateVersions,
  getPackageDocument,
  getVersionDocument,
  listDistTags,
  listVersions,
  MAX_DEPRECATION_CHARS,
  type Principal,
  yankVersion,
} from '../src/index.ts';
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

  it('deprecateVersions stores the message with the version, leaves tags and lists alone, and clears it with null or ""', async () => {
    const ref = packageRef(deps, 'alice', 'deprecate');
    await publish(deps, alice, ref, '1.0.0');
    await publish(deps, alice, ref, '1.1.0', { fields: { tag: 'next' } });
    const tags = await listDistTags(deps, { ref });
    deps.emitted.length = 0;
    assert.deepEqual(await deprecateVersions(deps, { principal: alice, ref, messages: { '1.0.0': 'use 1.1', '1.1.0': 'beta' } }), [
      '1.0.0',
      '1.1.0',
    ]);
    assert.deepEqual(deps.emitted, [{ type: 'package-changed', ref }]);
    const doc = await getVersionDocument(deps, { ref, version: v('1.0.0') });
    assert.equal(doc.deprecated, 'use 1.1');
    assert.equal(doc.yanked, false);
    assert.deepEqual(await listDistTags(deps, { ref }), tags, 'tags untouched');
    assert.deepEqual(Object.keys(await listVersions(deps, { ref })), ['1.0.0', '1.1.0'], 'still resolvable');

    deps.emitted.length = 0;
    assert.deepEqual(await deprecateVersions(deps, { principal: alice, ref, messages: { '1.0.0': 'use 1.1' } }), [], 'same message');
    assert.deepEqual(deps.emitted, []);
    assert.deepEqual(await deprecateVersions(deps, { principal: alice, ref, messages: { '1.0.0': '', '1.1.0': null } }), [
      '1.0.0',
      '1.1.0',
    ]);
    assert.equal('deprecated' in (await getVersionDocument(deps, { ref, version: v('1.0.0') })), false);
    assert.equal('deprecated' in (await getVersionDocument(deps, { ref, version: v('1.1.0') })), false);
  });

  it('deprecateVersions: a yanked version takes a message but cannot be un-deprecated; all or nothing; stable codes', async () => {
    const ref = packageRef(deps, 'alice', 'deprecate-yanked');
    await publish(deps, alice, ref, '1.0.0');
    await publish(deps, alice, ref, '2.0.0');
    await yankVersion(deps, { principal: alice, ref, version: v('1.0.0') });
    await deprecateVersions(deps, { principal: alice, ref, messages: { '1.0.0': 'broken' } });
    const yanked = await getVersionDocument(deps, { ref, version: v('1.0.0') });
    assert.equal(yanked.deprecated, 'broken');
    assert.equal(yanked.yanked, true);
    await assert.rejects(deprecateVersions(deps, { principal: alice, ref, messages: { '2.0.0': 'old', '1.0.0': '' } }), {
      code: 'VERSION_YANKED',
      message: /yank is final/,
    });
    assert.equal('deprecated' in (await getVersionDocument(deps, { ref, version: v('2.0.0') })), false, 'nothing changed');
    await assert.rejects(deprecateVersions(deps, { principal: alice, ref, messages: { '2.0.0': 'old', '9.0.0': 'x' } }), {
      code: 'VERSION_NOT_FOUND',
    });
    await assert.rejects(deprecateVersions(deps, { principal: bob, ref, messages: { '2.0.0': 'mine' } }), { code: 'NOT_A_MAINTAINER' });
    await assert.rejects(deprecateVersions(deps, { principal: alice, ref, messages: { '2.0.0': 'x'.repeat(MAX_DEPRECATION_CHARS + 1) } }), {
      code: 'INVALID_FIELD',
    });
    await assert.rejects(
      deprecateVersions(deps, { principal: alice, ref: packageRef(deps, 'alice', 'none'), messages: { '1.0.0': 'x' } }),
      {
        code: 'PACKAGE_NOT_FOUND',
      },
    );
    assert.equal('deprecated' in (await getVersionDocument(deps, { ref, version: v('2.0.0') })), false, 'nothing changed');
  });
});
