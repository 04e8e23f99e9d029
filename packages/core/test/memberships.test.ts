import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NamespaceRef } from '@entropic/types';
import {
  acceptMembership,
  createOrganisation,
  findMembership,
  inviteMember,
  leaveMembership,
  listMembers,
  listMemberships,
  type Principal,
  parseMembershipStatus,
  removeMember,
} from '../src/index.ts';
import { seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('parseMembershipStatus', () => {
  it('accepts accepted (the default) and pending, refuses the rest', () => {
    assert.equal(parseMembershipStatus(undefined), 'accepted');
    assert.equal(parseMembershipStatus(''), 'accepted');
    assert.equal(parseMembershipStatus('accepted'), 'accepted');
    assert.equal(parseMembershipStatus('pending'), 'pending');
    assert.throws(() => parseMembershipStatus('maybe'), { code: 'INVALID_STATUS' });
  });
});

describe('membership use cases (on real repositories)', () => {
  let deps: TestCoreDeps;
  const users: Record<string, Principal> = {};
  let acme: NamespaceRef;
  const ns = (name: string): NamespaceRef => ({ namespace: name as NamespaceRef['namespace'], host: deps.host });
  const user = (name: string) => users[name] as Principal;
  const members = async (ref: NamespaceRef) => (await listMembers(deps, { ref })).objects;
  const pending = async (name: string) =>
    (await listMemberships(deps, { principal: user(name), user: ns(name), status: 'pending' })).objects;

  before(async () => {
    deps = await createTestCoreDeps();
    for (const name of ['alice', 'bob', 'carol', 'dave']) users[name] = (await seedUser(deps, name)).principal;
    acme = ns('acme');
    await createOrganisation(deps, { principal: user('alice'), ref: acme });
  });
  after(() => deps.close());

  it('inviteMember invites once, then says already-invited; a pending invitation is no membership', async () => {
    deps.emitted.length = 0;
    const first = await inviteMember(deps, { principal: user('alice'), ref: acme, username: 'bob' });
    assert.equal(first.outcome, 'invited');
    assert.equal(first.message, `bob invited to join acme@${deps.host}.`);
    assert.equal((await inviteMember(deps, { principal: user('alice'), ref: acme, username: 'bob' })).outcome, 'already-invited');
    assert.deepEqual(await members(acme), ['alice']);
    assert.deepEqual(await pending('bob'), [`acme@${deps.host}`]);
    assert.deepEqual(deps.emitted, [], 'memberships change no package: no event');
  });

  it('inviteMember refuses non-members, read tokens, unknown users and namespaces, remote hosts', async () => {
    const readOnly: Principal = { ...user('alice'), scope: 'read' };
    const refused: Array<[() => Promise<unknown>, string]> = [
      [() => inviteMember(deps, { principal: undefined, ref: acme, username: 'dave' }), 'UNAUTHENTICATED'],
      [() => inviteMember(deps, { principal: readOnly, ref: acme, username: 'dave' }), 'INSUFFICIENT_SCOPE'],
      [() => inviteMember(deps, { principal: user('bob'), ref: acme, username: 'dave' }), 'NOT_A_MEMBER'],
      [() => inviteMember(deps, { principal: user('alice'), ref: acme, username: 'nobody' }), 'USER_NOT_FOUND'],
      [() => inviteMember(deps, { principal: user('alice'), ref: ns('ghost'), username: 'dave' }), 'NAMESPACE_NOT_FOUND'],
      [
        () =>
          inviteMember(deps, {
            principal: user('alice'),
            ref: { ...acme, host: 'elsewhere.test' as NamespaceRef['host'] },
            username: 'dave',
          }),
        'REMOTE_HOST',
      ],
    ];
    for (const [attempt, code] of refused) await assert.rejects(attempt(), { code });
    assert.deepEqual(await pending('dave'), []);
  });

  it('listMemberships shows pending invitations only to the invitee; accepted ones to anyone', async () => {
    await assert.rejects(listMemberships(deps, { principal: undefined, user: ns('bob'), status: 'pending' }), { code: 'UNAUTHENTICATED' });
    await assert.rejects(listMemberships(deps, { principal: user('carol'), user: ns('bob'), status: 'pending' }), {
      code: 'NOT_YOUR_ACCOUNT',
    });
    assert.deepEqual(await listMemberships(deps, { principal: undefined, user: ns('bob') }), { objects: [`bob@${deps.host}`], next: null });
    await assert.rejects(listMemberships(deps, { principal: undefined, user: ns('nobody') }), { code: 'USER_NOT_FOUND' });
    await assert.rejects(listMemberships(deps, { principal: user('bob'), user: ns('bob'), status: 'maybe' }), { code: 'INVALID_STATUS' });
  });

  it('acceptMembership: only the invitee, once; accepting again says so; nothing to accept is 404', async () => {
    await assert.rejects(acceptMembership(deps, { principal: user('alice'), user: ns('bob'), ref: acme }), { code: 'NOT_YOUR_ACCOUNT' });
    const accepted = await acceptMembership(deps, { principal: user('bob'), user: ns('bob'), ref: acme });
    assert.deepEqual(accepted, { outcome: 'accepted', message: `bob is now a member of acme@${deps.host}.` });
    assert.equal((await acceptMembership(deps, { principal: user('bob'), user: ns('bob'), ref: acme })).outcome, 'already-member');
    assert.deepEqual(await members(acme), ['alice', 'bob']);
    await assert.rejects(acceptMembership(deps, { principal: user('carol'), user: ns('carol'), ref: acme }), {
      code: 'INVITATION_NOT_FOUND',
    });
    await assert.rejects(acceptMembership(deps, { principal: user('carol'), user: ns('carol'), ref: ns('ghost') }), {
      code: 'NAMESPACE_NOT_FOUND',
    });
    const bobId = user('bob').userId;
    const acmeRow = await deps.repos.namespaces.find('acme', null);
    assert.deepEqual(await findMembership(deps, { namespaceId: acmeRow?.id as number, userId: bobId }), { accepted: true });
  });

  it('leaveMembership declines an invitation, then has nothing left to end', async () => {
    await inviteMember(deps, { principal: user('bob'), ref: acme, username: 'carol' });
    assert.equal((await leaveMembership(deps, { principal: user('carol'), user: ns('carol'), ref: acme })).outcome, 'declined');
    await assert.rejects(leaveMembership(deps, { principal: user('carol'), user: ns('carol'), ref: acme }), {
      code: 'INVITATION_NOT_FOUND',
    });
    assert.deepEqual(await pending('carol'), []);
  });

  it('removeMember withdraws invitations, removes members, and says when there was nothing to remove', async () => {
    await inviteMember(deps, { principal: user('alice'), ref: acme, username: 'carol' });
    const withdrawn = await removeMember(deps, { principal: user('bob'), ref: acme, username: 'carol' });
    assert.equal(withdrawn.outcome, 'withdrawn');
    assert.equal((await removeMember(deps, { principal: user('bob'), ref: acme, username: 'carol' })).outcome, 'not-a-member');
    await assert.rejects(removeMember(deps, { principal: user('carol'), ref: acme, username: 'bob' }), { code: 'NOT_A_MEMBER' });
    await assert.rejects(removeMember(deps, { principal: user('alice'), ref: acme, username: 'nobody' }), { code: 'USER_NOT_FOUND' });
    await inviteMember(deps, { principal: user('alice'), ref: acme, username: 'dave' });
    await acceptMembership(deps, { principal: user('dave'), user: ns('dave'), ref: acme });
    assert.equal((await removeMember(deps, { principal: user('alice'), ref: acme, username: 'dave' })).outcome, 'removed');
    assert.deepEqual(await members(acme), ['alice', 'bob']);
  });

  it('a user leaves (either use case), never their own user namespace, never as the last member', async () => {
    await assert.rejects(removeMember(deps, { principal: user('bob'), ref: ns('bob'), username: 'bob' }), {
      code: 'CANNOT_LEAVE_OWN_NAMESPACE',
    });
    assert.equal((await removeMember(deps, { principal: user('bob'), ref: acme, username: 'bob' })).outcome, 'left');
    await assert.rejects(leaveMembership(deps, { principal: user('alice'), user: ns('alice'), ref: acme }), { code: 'LAST_MEMBER' });
    await assert.rejects(removeMember(deps, { principal: user('alice'), ref: acme, username: 'alice' }), { code: 'LAST_MEMBER' });
    assert.deepEqual(await members(acme), ['alice']);
  });

  it('two members leaving at once leave exactly one behind (the namespace lock)', async () => {
    const org = ns('pair');
    await createOrganisation(deps, { principal: user('alice'), ref: org });
    await inviteMember(deps, { principal: user('alice'), ref: org, username: 'carol' });
    await acceptMembership(deps, { principal: user('carol'), user: ns('carol'), ref: org });
    const results = await Promise.allSettled([
      leaveMembership(deps, { principal: user('alice'), user: ns('alice'), ref: org }),
      leaveMembership(deps, { principal: user('carol'), user: ns('carol'), ref: org }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failure = results.find((r) => r.status === 'rejected');
    assert.equal((failure as PromiseRejectedResult).reason.code, 'LAST_MEMBER');
    assert.equal((await members(org)).length, 1);
  });

  it('listMembers pages by name with an opaque cursor, and refuses a bad one', async () => {
    const org = ns('crowd');
    await createOrganisation(deps, { principal: user('alice'), ref: org });
    for (const name of ['dave', 'bob', 'carol']) {
      await inviteMember(deps, { principal: user('alice'), ref: org, username: name });
      await acceptMembership(deps, { principal: user(name), user: ns(name), ref: org });
    }
    const first = await listMembers(deps, { ref: org, limit: '3' });
    assert.deepEqual(first.objects, ['alice', 'bob', 'carol']);
    assert.ok(first.next);
    const second = await listMembers(deps, { ref: org, limit: '3', cursor: first.next });
    assert.deepEqual(second, { objects: ['dave'], next: null });
    await assert.rejects(listMembers(deps, { ref: org, cursor: 'bogus' }), { code: 'INVALID_CURSOR' });
    await assert.rejects(listMembers(deps, { ref: org, limit: '0' }), { code: 'INVALID_LIMIT' });
    await assert.rejects(listMembers(deps, { ref: ns('ghost') }), { code: 'NAMESPACE_NOT_FOUND' });
  });
});
