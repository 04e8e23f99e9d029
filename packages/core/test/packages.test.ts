import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { abandonPackage, getPackageDocument, listPackages, type Principal, putPackage } from '../src/index.ts';
import { packageRef, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('packages (use cases on real repositories)', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  let bob: Principal;
  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
    bob = (await seedUser(deps, 'bob')).principal;
  });
  after(() => deps.close());

  it('putPackage creates a package, then updates it; each emits package-changed after the commit', async () => {
    const ref = packageRef(deps, 'alice', 'made');
    deps.emitted.length = 0;
    const created = await putPackage(deps, { principal: alice, ref });
    assert.equal(created.created, true);
    assert.equal(created.document.name, `alice@${deps.host}/made`);
    assert.equal(created.document.owner, `alice@${deps.host}`);
    assert.deepEqual(created.document.versions, {});
    assert.equal(created.document.require_tfa, false);
    const updated = await putPackage(deps, { principal: alice, ref, requireTfa: false });
    assert.equal(updated.created, false);
    assert.ok(updated.document.modified >= created.document.modified);
    assert.deepEqual(deps.emitted, [
      { type: 'package-changed', ref },
      { type: 'package-changed', ref },
    ]);
    assert.deepEqual(await getPackageDocument(deps, { ref }), updated.document);
  });

  it('putPackage refuses a bad require_tfa, an anonymous caller and a non-member, emitting nothing', async () => {
    const ref = packageRef(deps, 'alice', 'refused');
    deps.emitted.length = 0;
    await assert.rejects(putPackage(deps, { principal: alice, ref, requireTfa: 'yes' }), { code: 'INVALID_FIELD' });
    await assert.rejects(putPackage(deps, { principal: alice, ref, requireTfa: true }), { code: 'INVALID_FIELD' });
    await assert.rejects(putPackage(deps, { principal: undefined, ref }), { code: 'UNAUTHENTICATED' });
    await assert.rejects(putPackage(deps, { principal: bob, ref }), { code: 'NOT_A_MEMBER' });
    await assert.rejects(putPackage(deps, { principal: bob, ref: packageRef(deps, 'alice', 'made') }), { code: 'NOT_A_MAINTAINER' });
    assert.deepEqual(deps.emitted, []);
    await assert.rejects(getPackageDocument(deps, { ref }), { code: 'PACKAGE_NOT_FOUND' });
  });

  it('the package document lists versions that are not yanked, in semver order, and the tags', async () => {
    const ref = packageRef(deps, 'alice', 'doc');
    const v10 = await publish(deps, alice, ref, '1.10.0');
    const v2 = await publish(deps, alice, ref, '1.2.0', { fields: { tag: 'older' } });
    const doc = await getPackageDocument(deps, { ref });
    assert.deepEqual(Object.keys(doc.versions), ['1.2.0', '1.10.0']);
    assert.equal(doc.versions['1.10.0'], v10.document.integrity);
    assert.deepEqual(doc.tags, { latest: '1.10.0', older: '1.2.0' });
    assert.equal(v2.document.version, '1.2.0');
  });

  it('abandonPackage yanks every version, drops the tags, hands the package to abandonware and emits', async () => {
    const ref = packageRef(deps, 'alice', 'dropped');
    await publish(deps, alice, ref, '1.0.0');
    deps.emitted.length = 0;
    await abandonPackage(deps, { principal: alice, ref });
    assert.deepEqual(deps.emitted, [{ type: 'package-changed', ref }]);
    const doc = await getPackageDocument(deps, { ref });
    assert.equal(doc.yanked, true);
    assert.deepEqual(doc.versions, {});
    assert.deepEqual(doc.tags, {});
    await assert.rejects(abandonPackage(deps, { principal: alice, ref }), { code: 'PACKAGE_ABANDONED' });
    await assert.rejects(abandonPackage(deps, { principal: alice, ref: packageRef(deps, 'alice', 'never') }), {
      code: 'PACKAGE_NOT_FOUND',
    });
    const listed = await listPackages(deps, { filter: { kind: 'all' } });
    assert.ok(!listed.objects.some((p) => p.name.endsWith('/dropped')), 'abandoned packages are not listed');
  });

  it('listPackages pages with an opaque cursor and filters by author', async () => {
    for (const name of ['b1', 'b2', 'b3']) await putPackage(deps, { principal: bob, ref: packageRef(deps, 'bob', name) });
    const bobNs = (await deps.repos.namespaces.find('bob', null))?.id as number;
    const first = await listPackages(deps, { filter: { kind: 'authored-by', namespaceId: bobNs }, limit: '2' });
    assert.deepEqual(
      first.objects.map((p) => p.name),
      [`bob@${deps.host}/b1`, `bob@${deps.host}/b2`],
    );
    assert.ok(first.next);
    const second = await listPackages(deps, { filter: { kind: 'authored-by', namespaceId: bobNs }, limit: '2', cursor: first.next });
    assert.deepEqual(
      second.objects.map((p) => p.name),
      [`bob@${deps.host}/b3`],
    );
    assert.equal(second.next, null);
    const maintained = await listPackages(deps, { filter: { kind: 'maintained-by', namespaceId: bobNs } });
    assert.equal(maintained.objects.length, 3);
    await assert.rejects(listPackages(deps, { filter: { kind: 'all' }, limit: '0' }), { code: 'INVALID_LIMIT' });
    await assert.rejects(listPackages(deps, { filter: { kind: 'all' }, cursor: 'nope' }), { code: 'INVALID_CURSOR' });
  });
});
