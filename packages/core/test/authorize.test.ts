import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LEGACY } from '@entropic/types';
import {
  assertMayListTokens,
  assertMayManageTokens,
  authorizePackageWrite,
  findPackage,
  LEGACY_MIRROR_PRINCIPAL,
  mayReadPackage,
  type Principal,
  requireWebsiteSession,
  setNamespaceVisibility,
  setPackageVisibility,
} from '../src/index.ts';
import { packageRef, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('access module', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
  });
  after(() => deps.close());

  it('token policy: any signed-in principal lists tokens; only publish tokens and sessions manage them', () => {
    const read: Principal = { ...alice, scope: 'read' };
    const session: Principal = { ...alice, scope: 'session' };
    assert.equal(assertMayListTokens(read), read);
    assert.throws(() => assertMayListTokens(undefined), { code: 'UNAUTHENTICATED' });
    assert.equal(assertMayManageTokens(alice), alice);
    assert.equal(assertMayManageTokens(session), session);
    assert.throws(() => assertMayManageTokens(read), { code: 'INSUFFICIENT_SCOPE' });
    assert.throws(() => assertMayManageTokens(undefined), { code: 'UNAUTHENTICATED' });
  });

  it('website account pages need a website session, not a bearer token', () => {
    const session: Principal = { ...alice, scope: 'session' };
    assert.equal(requireWebsiteSession(session), session);
    assert.throws(() => requireWebsiteSession(alice), { code: 'UNAUTHENTICATED' });
    assert.throws(() => requireWebsiteSession(undefined), { code: 'UNAUTHENTICATED', message: 'Sign in to see this page.' });
  });

  it('reads: a public package is readable by anyone; a private one by members of its maintainer namespaces only', async () => {
    const bob = (await seedUser(deps, 'bob')).principal;
    const ref = packageRef(deps, 'alice', 'secret');
    await publish(deps, alice, ref, '1.0.0');
    await setPackageVisibility(deps, { principal: alice, ref, private: true });
    const row = await findPackage(deps.repos, ref, deps.host);
    assert.ok(row?.private);
    assert.equal(await mayReadPackage(deps.repos, alice, row), true);
    assert.equal(await mayReadPackage(deps.repos, { ...alice, scope: 'read' }, row), true);
    assert.equal(await mayReadPackage(deps.repos, bob, row), false);
    assert.equal(await mayReadPackage(deps.repos, undefined, row), false);
    assert.equal(await mayReadPackage(deps.repos, undefined, { ...row, private: false }), true);
    // an outsider's write is answered as for a package that does not exist (not a member of the namespace)
    await assert.rejects(authorizePackageWrite(deps.repos, bob, ref, deps.host), { code: 'NOT_A_MEMBER' });
    await assert.rejects(authorizePackageWrite(deps.repos, bob, packageRef(deps, 'alice', 'absent'), deps.host), { code: 'NOT_A_MEMBER' });
    // only maintainers set it; a package of a private namespace cannot be made public alone
    await assert.rejects(setPackageVisibility(deps, { principal: bob, ref, private: false }), { code: 'NOT_A_MAINTAINER' });
    await setNamespaceVisibility(deps, { principal: alice, ref: { namespace: ref.namespace, host: ref.host }, private: true });
    await assert.rejects(setPackageVisibility(deps, { principal: alice, ref, private: false }), { code: 'NAMESPACE_IS_PRIVATE' });
    const open = packageRef(deps, 'alice', 'other');
    await publish(deps, alice, open, '1.0.0');
    assert.equal((await findPackage(deps.repos, open, deps.host))?.private, true);
    await setNamespaceVisibility(deps, { principal: alice, ref: { namespace: ref.namespace, host: ref.host }, private: false });
    assert.equal((await findPackage(deps.repos, open, deps.host))?.private, false);
    assert.equal((await findPackage(deps.repos, ref, deps.host))?.private, true);
  });

  it('the legacy mirror writes into the legacy namespace as a system principal, and nowhere else', async () => {
    const legacyRef = packageRef(deps, LEGACY, 'left-pad');
    const { pkg } = await authorizePackageWrite(deps.repos, LEGACY_MIRROR_PRINCIPAL, legacyRef, deps.host);
    assert.equal(pkg, undefined);
    await publish(deps, alice, packageRef(deps, 'alice', 'mine'), '1.0.0');
    await assert.rejects(authorizePackageWrite(deps.repos, LEGACY_MIRROR_PRINCIPAL, packageRef(deps, 'alice', 'mine'), deps.host), {
      code: 'FORBIDDEN',
    });
    await assert.rejects(authorizePackageWrite(deps.repos, LEGACY_MIRROR_PRINCIPAL, packageRef(deps, 'alice', 'new'), deps.host), {
      code: 'FORBIDDEN',
    });
    // and no user writes into legacy: it has no members (migration 0005 removed the impersonated legacy user)
    await assert.rejects(authorizePackageWrite(deps.repos, alice, legacyRef, deps.host), { code: 'NOT_A_MEMBER' });
  });

  it('a system principal publishes a legacy version through the ordinary use case', async () => {
    const ref = packageRef(deps, LEGACY, 'mirrored');
    const { document } = await publish(deps, LEGACY_MIRROR_PRINCIPAL, ref, '1.0.0');
    assert.equal(document.version, '1.0.0');
  });
});
