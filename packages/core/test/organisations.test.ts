import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NamespaceRef } from '@entropic/types';
import { createOrganisation, listMembers, listNamespaces, type Principal } from '../src/index.ts';
import { seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('organisation use cases (on real repositories)', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  let bob: Principal;
  const ns = (name: string): NamespaceRef => ({ namespace: name as NamespaceRef['namespace'], host: deps.host });
  const countNamespaces = async () => (await listNamespaces(deps, { limit: '1000' })).objects.length;

  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
    bob = (await seedUser(deps, 'bob')).principal;
  });
  after(() => deps.close());

  it('createOrganisation makes the caller its first accepted member', async () => {
    assert.deepEqual(await createOrganisation(deps, { principal: alice, ref: ns('acme') }), {
      name: `acme@${deps.host}`,
      kind: 'org',
      members: ['alice'],
    });
    assert.deepEqual((await listMembers(deps, { ref: ns('acme') })).objects, ['alice']);
    assert.equal((await deps.repos.namespaces.find('acme', null))?.kind, 'org');
  });

  it('refuses taken, reserved, invalid and remote names and unauthorised callers, storing nothing', async () => {
    const before = await countNamespaces();
    const refused: Array<[NamespaceRef, Principal | undefined, string]> = [
      [ns('acme'), bob, 'NAMESPACE_EXISTS'],
      [ns('alice'), bob, 'NAMESPACE_EXISTS'],
      [ns('legacy'), bob, 'RESERVED_NAME'],
      [ns('Not_A_Name'), bob, 'INVALID_NAMESPACE'],
      [{ ...ns('elsewhere'), host: 'elsewhere.test' as NamespaceRef['host'] }, bob, 'REMOTE_HOST'],
      [ns('fresh'), undefined, 'UNAUTHENTICATED'],
      [ns('fresh'), { ...bob, scope: 'read' }, 'INSUFFICIENT_SCOPE'],
    ];
    for (const [ref, principal, code] of refused) {
      await assert.rejects(createOrganisation(deps, { principal, ref }), { code }, `${ref.namespace} → ${code}`);
    }
    assert.equal(await countNamespaces(), before);
  });

  it('concurrent creates of one name: exactly one wins, the others get NAMESPACE_EXISTS', async () => {
    const results = await Promise.allSettled(
      [alice, bob, alice, bob].map((principal) => createOrganisation(deps, { principal, ref: ns('racing') })),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal(r.reason.code, 'NAMESPACE_EXISTS');
    assert.equal((await listMembers(deps, { ref: ns('racing') })).objects.length, 1);
  });

  it('listNamespaces lists every local namespace by name, page by page', async () => {
    const all = (await listNamespaces(deps, {})).objects;
    assert.deepEqual(all, [...all].sort());
    for (const name of ['abandonware', 'acme', 'alice', 'bob', 'legacy', 'racing']) assert.ok(all.includes(`${name}@${deps.host}`), name);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listNamespaces(deps, { limit: '2', ...(cursor ? { cursor } : {}) });
      assert.ok(page.objects.length <= 2);
      seen.push(...page.objects);
      cursor = page.next ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, all);
    await assert.rejects(listNamespaces(deps, { cursor: 'bogus' }), { code: 'INVALID_CURSOR' });
  });
});
