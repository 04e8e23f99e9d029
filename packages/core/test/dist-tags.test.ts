import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, type Version } from '@entropic/types';
import { listDistTags, type Principal, parseDistTag, removeDistTag, setDistTag, yankVersion } from '../src/index.ts';
import { packageRef, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('parseDistTag', () => {
  it('accepts npm-style tags', () => {
    for (const tag of ['latest', 'next', 'beta', 'v2-lts', 'rc.1', 'Canary_2', 'x'.repeat(64)]) assert.equal(parseDistTag(tag), tag);
  });

  it('refuses empty, oversized, oddly spelled tags and tags that are semver ranges', () => {
    const bad = ['', 'x'.repeat(65), '-next', '.next', 'a b', 'a/b', 'ä', '1.0.0', '1.x', '^2', '~1.2', '1', '*', 'x', '>=1', 'v1.2.3'];
    for (const tag of bad) {
      assert.throws(
        () => parseDistTag(tag),
        (error: unknown) => error instanceof AppError && error.code === 'INVALID_TAG',
        JSON.stringify(tag),
      );
    }
  });
});

describe('dist-tag use cases (on real repositories)', () => {
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

  it('setDistTag points a tag at a version, answers every tag and emits package-changed', async () => {
    const ref = packageRef(deps, 'alice', 'tagged');
    await publish(deps, alice, ref, '1.0.0');
    await publish(deps, alice, ref, '1.1.0');
    deps.emitted.length = 0;
    assert.deepEqual(await setDistTag(deps, { principal: alice, ref, tag: 'stable', version: v('1.0.0') }), {
      latest: '1.1.0',
      stable: '1.0.0',
    });
    assert.deepEqual(await setDistTag(deps, { principal: alice, ref, tag: 'stable', version: v('1.1.0') }), {
      latest: '1.1.0',
      stable: '1.1.0',
    });
    assert.deepEqual(deps.emitted, [
      { type: 'package-changed', ref },
      { type: 'package-changed', ref },
    ]);
    assert.deepEqual(await listDistTags(deps, { ref }), { latest: '1.1.0', stable: '1.1.0' });
  });

  it('setDistTag refuses bad tags, unknown and yanked versions, and non-maintainers', async () => {
    const ref = packageRef(deps, 'alice', 'refusing');
    await publish(deps, alice, ref, '1.0.0');
    await publish(deps, alice, ref, '1.1.0');
    await yankVersion(deps, { principal: alice, ref, version: v('1.1.0') });
    deps.emitted.length = 0;
    await assert.rejects(setDistTag(deps, { principal: alice, ref, tag: '1.x', version: v('1.0.0') }), { code: 'INVALID_TAG' });
    await assert.rejects(setDistTag(deps, { principal: alice, ref, tag: 'next', version: v('3.0.0') }), { code: 'VERSION_NOT_FOUND' });
    await assert.rejects(setDistTag(deps, { principal: alice, ref, tag: 'next', version: v('1.1.0') }), { code: 'CONFLICT' });
    await assert.rejects(setDistTag(deps, { principal: bob, ref, tag: 'next', version: v('1.0.0') }), { code: 'NOT_A_MAINTAINER' });
    await assert.rejects(setDistTag(deps, { principal: alice, ref: packageRef(deps, 'alice', 'none'), tag: 'next', version: v('1.0.0') }), {
      code: 'PACKAGE_NOT_FOUND',
    });
    await assert.rejects(listDistTags(deps, { ref: packageRef(deps, 'alice', 'none') }), { code: 'PACKAGE_NOT_FOUND' });
    assert.deepEqual(deps.emitted, []);
  });

  it('removeDistTag removes a tag (never latest) and emits; a missing tag is TAG_NOT_FOUND', async () => {
    const ref = packageRef(deps, 'alice', 'removing');
    await publish(deps, alice, ref, '1.0.0', { fields: { tag: 'beta' } });
    await publish(deps, alice, ref, '1.0.1');
    deps.emitted.length = 0;
    await removeDistTag(deps, { principal: alice, ref, tag: 'beta' });
    assert.deepEqual(deps.emitted, [{ type: 'package-changed', ref }]);
    assert.deepEqual(await listDistTags(deps, { ref }), { latest: '1.0.1' });
    await assert.rejects(removeDistTag(deps, { principal: alice, ref, tag: 'beta' }), { code: 'TAG_NOT_FOUND' });
    await assert.rejects(removeDistTag(deps, { principal: alice, ref, tag: 'latest' }), { code: 'CANNOT_DELETE_LATEST' });
    await assert.rejects(removeDistTag(deps, { principal: bob, ref, tag: 'latest2' }), { code: 'NOT_A_MAINTAINER' });
    assert.equal(deps.emitted.length, 1);
  });
});
