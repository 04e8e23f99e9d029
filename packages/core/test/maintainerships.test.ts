import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NamespaceRef } from '@entropic/types';
import {
  acceptMaintainership,
  createOrganisation,
  endMaintainership,
  inviteMaintainer,
  listMaintainers,
  listMaintainerships,
  type PackageRef,
  type Principal,
  putPackage,
  removeMaintainer,
} from '../src/index.ts';
import { packageRef, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('maintainership use cases (on real repositories)', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  let bob: Principal;
  let carol: Principal;
  let rocket: PackageRef;
  const ns = (name: string): NamespaceRef => ({ namespace: name as NamespaceRef['namespace'], host: deps.host });
  const maintainers = async (ref: PackageRef, status?: string) => (await listMaintainers(deps, { ref, status })).objects;
  const changed = (ref: PackageRef) => ({ type: 'package-changed', ref });

  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await seedUser(deps, 'alice')).principal;
    bob = (await seedUser(deps, 'bob')).principal;
    carol = (await seedUser(deps, 'carol')).principal;
    await createOrganisation(deps, { principal: bob, ref: ns('acme') });
    rocket = packageRef(deps, 'alice', 'rocket');
    await putPackage(deps, { principal: alice, ref: rocket });
  });
  after(() => deps.close());

  it('inviteMaintainer invites a namespace once and emits package-changed; inviting again changes nothing', async () => {
    deps.emitted.length = 0;
    const invited = await inviteMaintainer(deps, { principal: alice, ref: rocket, invitee: ns('acme') });
    assert.deepEqual(invited, {
      outcome: 'invited',
      message: `acme@${deps.host} invited to join the maintainers of alice@${deps.host}/rocket.`,
    });
    assert.equal((await inviteMaintainer(deps, { principal: alice, ref: rocket, invitee: ns('acme') })).outcome, 'already-invited');
    assert.equal((await inviteMaintainer(deps, { principal: alice, ref: rocket, invitee: ns('alice') })).outcome, 'already-maintainer');
    assert.deepEqual(deps.emitted, [changed(rocket)], 'one event: only the first call changed anything');
    assert.deepEqual(await maintainers(rocket), [`alice@${deps.host}`]);
    assert.deepEqual(await maintainers(rocket, 'pending'), [`acme@${deps.host}`]);
    assert.deepEqual(
      (await listMaintainerships(deps, { ref: ns('acme'), status: 'pending' })).objects.map((doc) => doc.name),
      [`alice@${deps.host}/rocket`],
    );
    assert.deepEqual((await listMaintainerships(deps, { ref: ns('acme') })).objects, []);
  });

  it('inviteMaintainer refuses non-maintainers, system namespaces, unknown names and remote hosts, and emits nothing', async () => {
    deps.emitted.length = 0;
    const remote = { ...ns('carol'), host: 'elsewhere.test' as NamespaceRef['host'] };
    const refused: Array<[() => Promise<unknown>, string]> = [
      [() => inviteMaintainer(deps, { principal: undefined, ref: rocket, invitee: ns('carol') }), 'UNAUTHENTICATED'],
      [() => inviteMaintainer(deps, { principal: carol, ref: rocket, invitee: ns('carol') }), 'NOT_A_MAINTAINER'],
      [() => inviteMaintainer(deps, { principal: alice, ref: rocket, invitee: ns('legacy') }), 'SYSTEM_NAMESPACE'],
      [() => inviteMaintainer(deps, { principal: alice, ref: rocket, invitee: ns('ghost') }), 'NAMESPACE_NOT_FOUND'],
      [
        () => inviteMaintainer(deps, { principal: alice, ref: packageRef(deps, 'alice', 'ghost'), invitee: ns('carol') }),
        'PACKAGE_NOT_FOUND',
      ],
      [() => inviteMaintainer(deps, { principal: alice, ref: rocket, invitee: remote }), 'REMOTE_HOST'],
    ];
    for (const [attempt, code] of refused) await assert.rejects(attempt(), { code });
    assert.deepEqual(deps.emitted, []);
    assert.deepEqual(await maintainers(rocket, 'pending'), [`acme@${deps.host}`]);
  });

  it('acceptMaintainership: an accepted member of the invited namespace, once; nothing to accept is 404', async () => {
    deps.emitted.length = 0;
    await assert.rejects(acceptMaintainership(deps, { principal: carol, ref: ns('acme'), pkg: rocket }), { code: 'NOT_A_MEMBER' });
    const accepted = await acceptMaintainership(deps, { principal: bob, ref: ns('acme'), pkg: rocket });
    assert.equal(accepted.outcome, 'accepted');
    assert.equal((await acceptMaintainership(deps, { principal: bob, ref: ns('acme'), pkg: rocket })).outcome, 'already-maintainer');
    await assert.rejects(acceptMaintainership(deps, { principal: carol, ref: ns('carol'), pkg: rocket }), { code: 'INVITATION_NOT_FOUND' });
    assert.deepEqual(deps.emitted, [changed(rocket)]);
    assert.deepEqual(await maintainers(rocket), [`acme@${deps.host}`, `alice@${deps.host}`]);
    assert.deepEqual(
      (await listMaintainerships(deps, { ref: ns('acme') })).objects.map((doc) => doc.name),
      [`alice@${deps.host}/rocket`],
    );
    // bob now maintains the package through acme: he may invite in turn
    assert.equal((await inviteMaintainer(deps, { principal: bob, ref: rocket, invitee: ns('carol') })).outcome, 'invited');
  });

  it('endMaintainership declines an invitation, then has nothing left to end', async () => {
    deps.emitted.length = 0;
    const declined = await endMaintainership(deps, { principal: carol, ref: ns('carol'), pkg: rocket });
    assert.equal(declined.outcome, 'declined');
    await assert.rejects(endMaintainership(deps, { principal: carol, ref: ns('carol'), pkg: rocket }), { code: 'INVITATION_NOT_FOUND' });
    assert.deepEqual(deps.emitted, [changed(rocket)]);
    assert.deepEqual(await maintainers(rocket, 'pending'), []);
  });

  it('removeMaintainer withdraws invitations, removes maintainers, never the last one', async () => {
    await inviteMaintainer(deps, { principal: alice, ref: rocket, invitee: ns('carol') });
    deps.emitted.length = 0;
    assert.equal((await removeMaintainer(deps, { principal: bob, ref: rocket, invitee: ns('carol') })).outcome, 'withdrawn');
    assert.equal((await removeMaintainer(deps, { principal: bob, ref: rocket, invitee: ns('carol') })).outcome, 'not-a-maintainer');
    await assert.rejects(removeMaintainer(deps, { principal: carol, ref: rocket, invitee: ns('acme') }), { code: 'NOT_A_MAINTAINER' });
    assert.equal((await removeMaintainer(deps, { principal: bob, ref: rocket, invitee: ns('alice') })).outcome, 'removed');
    await assert.rejects(removeMaintainer(deps, { principal: bob, ref: rocket, invitee: ns('acme') }), { code: 'LAST_MAINTAINER' });
    await assert.rejects(endMaintainership(deps, { principal: bob, ref: ns('acme'), pkg: rocket }), { code: 'LAST_MAINTAINER' });
    assert.deepEqual(deps.emitted, [changed(rocket), changed(rocket)], 'withdrawn and removed; no-ops and refusals emit nothing');
    assert.deepEqual(await maintainers(rocket), [`acme@${deps.host}`]);
  });

  it('two maintainers stepping down at once leave exactly one behind (the package lock)', async () => {
    const boat = packageRef(deps, 'alice', 'boat');
    await putPackage(deps, { principal: alice, ref: boat });
    await inviteMaintainer(deps, { principal: alice, ref: boat, invitee: ns('acme') });
    await acceptMaintainership(deps, { principal: bob, ref: ns('acme'), pkg: boat });
    const results = await Promise.allSettled([
      endMaintainership(deps, { principal: alice, ref: ns('alice'), pkg: boat }),
      endMaintainership(deps, { principal: bob, ref: ns('acme'), pkg: boat }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.code, 'LAST_MAINTAINER');
    assert.equal((await maintainers(boat)).length, 1);
  });

  it('listMaintainers pages by name and validates its parameters', async () => {
    const kite = packageRef(deps, 'alice', 'kite');
    await putPackage(deps, { principal: alice, ref: kite });
    for (const name of ['carol', 'acme', 'bob']) await inviteMaintainer(deps, { principal: alice, ref: kite, invitee: ns(name) });
    const first = await listMaintainers(deps, { ref: kite, status: 'pending', limit: '2' });
    assert.deepEqual(first.objects, [`acme@${deps.host}`, `bob@${deps.host}`]);
    const second = await listMaintainers(deps, { ref: kite, status: 'pending', limit: '2', cursor: first.next ?? '' });
    assert.deepEqual(second, { objects: [`carol@${deps.host}`], next: null });
    await assert.rejects(listMaintainers(deps, { ref: kite, status: 'maybe' }), { code: 'INVALID_STATUS' });
    await assert.rejects(listMaintainers(deps, { ref: kite, cursor: 'bogus' }), { code: 'INVALID_CURSOR' });
    await assert.rejects(listMaintainers(deps, { ref: packageRef(deps, 'alice', 'ghost') }), { code: 'PACKAGE_NOT_FOUND' });
    await assert.rejects(listMaintainerships(deps, { ref: ns('ghost') }), { code: 'NAMESPACE_NOT_FOUND' });
  });
});
