import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LEGACY } from '@entropic/types';
import {
  assertMayListTokens,
  assertMayManageTokens,
  assertMayRead,
  authorizePackageWrite,
  LEGACY_MIRROR_PRINCIPAL,
  type Principal,
  requireWebsiteSession,
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

  it('reads: every package and namespace is public for now, to anyone, signed in or not', () => {
    const ref = packageRef(deps, 'alice', 'anything');
    assert.doesNotThrow(() => assertMayRead(undefined, ref));
    assert.doesNotThrow(() => assertMayRead({ ...alice, scope: 'read' }, ref));
    assert.doesNotThrow(() => assertMayRead(undefined, { namespace: ref.namespace, host: ref.host }));
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
