import { appError, type NamespaceRef, type Page } from '@entropic/types';
import { recordAudit } from './audit-log.ts';
import {
  assertMayAnswerMembership,
  assertMayChangeOwnMembership,
  assertMayInviteMember,
  assertMayRemoveMember,
  assertMayViewInvitations,
  requireWriter,
} from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { formatNamespace, getNamespace, type NamespaceRow } from './namespaces.ts';
import { assertLocal, type ListOptions } from './packages.ts';
import { namePage, namePageQuery } from './pagination.ts';
import type { Repositories } from './ports/repositories.ts';
import type { Principal } from './principal.ts';

/** What an invitation-style write did; `message` is for people, `outcome` for programs. */
export interface TeamChange {
  message: string;
  outcome:
    | 'invited'
    | 'already-invited'
    | 'already-member'
    | 'already-maintainer'
    | 'accepted'
    | 'declined'
    | 'withdrawn'
    | 'removed'
    | 'left'
    | 'not-a-member'
    | 'not-a-maintainer';
}

export interface StatusListOptions extends ListOptions {
  status?: string | undefined;
}

/** `?status=` on the team lists: accepted (the default) or pending. */
export type MembershipStatus = 'accepted' | 'pending';

export function parseMembershipStatus(raw: string | undefined): MembershipStatus {
  if (raw === undefined || raw === '' || raw === 'accepted') return 'accepted';
  if (raw === 'pending') return 'pending';
  throw appError('INVALID_STATUS', '"status" must be "accepted" or "pending".');
}

async function getUser(repos: Repositories, name: string): Promise<{ id: number; name: string }> {
  const user = await repos.users.findByName(name);
  if (!user) throw appError('USER_NOT_FOUND', `The user "${name}" does not exist.`);
  return user;
}

/** Accepted members, sorted by username. */
export async function listMembers(deps: CoreDeps, input: ListOptions & { ref: NamespaceRef }): Promise<Page<string>> {
  const namespace = await getNamespace(deps.repos, input.ref, deps.host);
  const page = namePageQuery(input);
  return namePage(await deps.repos.teams.listMembers(namespace.id, page), page.pageSize, (row) => row.name);
}

/** A user's membership of a namespace: accepted, pending (`accepted: false`) or undefined. */
export async function findMembership(deps: CoreDeps, input: { namespaceId: number; userId: number }) {
  return deps.repos.teams.findMembership(input.namespaceId, input.userId);
}

export interface MemberInput {
  principal: Principal | undefined;
  ref: NamespaceRef;
  username: string;
}

/**
 * Invites a user into a namespace. Idempotent: inviting someone already invited or already a
 * member says so (200). ON CONFLICT decides concurrent invites, never a unique-violation 500.
 */
export async function inviteMember(deps: CoreDeps, input: MemberInput): Promise<TeamChange> {
  const { principal, ref, username } = input;
  requireWriter(principal);
  assertLocal(ref, deps.host);
  return deps.uow.transaction(async (repos) => {
    const row = await getNamespace(repos, ref, deps.host);
    const namespace = { id: row.id, name: formatNamespace(row, deps.host) };
    const p = await assertMayInviteMember(repos, principal, namespace);
    const user = await getUser(repos, username);
    if (await repos.teams.addMember(namespace.id, user.id, { accepted: false, invitedBy: p.userId })) {
      await recordAudit(repos, deps.clock.now(), p, 'member-invited', { namespace: row.name, details: { user: user.name } });
      return { outcome: 'invited', message: `${user.name} invited to join ${namespace.name}.` };
    }
    const existing = await repos.teams.findMembership(namespace.id, user.id);
    return existing?.accepted
      ? { outcome: 'already-member', message: `${user.name} is already a member of ${namespace.name}.` }
      : { outcome: 'already-invited', message: `${user.name} has already been invited to join ${namespace.name}.` };
  });
}

/**
 * Ends an accepted membership, keeping the two rules: a user never leaves their own user
 * namespace, and a namespace never loses its last member. The caller holds the namespace lock.
 */
async function endAcceptedMembership(
  repos: Repositories,
  namespace: NamespaceRow & { label: string },
  user: { id: number; name: string },
): Promise<void> {
  if (namespace.kind === 'user' && namespace.name === user.name) {
    throw appError('CANNOT_LEAVE_OWN_NAMESPACE', `${user.name} cannot leave ${namespace.label}: it is their own user namespace.`);
  }
  if ((await repos.teams.countAcceptedMembers(namespace.id)) <= 1) {
    throw appError('LAST_MEMBER', `${user.name} is the last member of ${namespace.label}; invite someone else first.`);
  }
  await repos.teams.removeMember(namespace.id, user.id);
}

/**
 * Removes a member or withdraws an invitation (an accepted member may), or leaves/declines (the
 * user themselves may). Removing someone who is not a member answers 200 and says so.
 */
export async function removeMember(deps: CoreDeps, input: MemberInput): Promise<TeamChange> {
  const { principal, ref, username } = input;
  requireWriter(principal);
  assertLocal(ref, deps.host);
  return deps.uow.transaction(async (repos) => {
    const row = await getNamespace(repos, ref, deps.host);
    const namespace = { ...row, label: formatNamespace(row, deps.host) };
    await repos.teams.lockNamespace(namespace.id);
    const found = await repos.users.findByName(username);
    const p = await assertMayRemoveMember(repos, principal, { id: namespace.id, name: namespace.label }, { id: found?.id ?? -1 });
    if (!found) throw appError('USER_NOT_FOUND', `The user "${username}" does not exist.`);
    const user = { id: found.id, name: found.name };
    const self = p.userId === user.id;
    const existing = await repos.teams.findMembership(namespace.id, user.id);
    if (!existing) return { outcome: 'not-a-member', message: `${user.name} was not a member of ${namespace.label}.` };
    const action = existing.accepted ? 'member-removed' : self ? 'membership-declined' : 'member-removed';
    await recordAudit(repos, deps.clock.now(), p, action, {
      namespace: row.name,
      details: { user: user.name, accepted: existing.accepted },
    });
    if (!existing.accepted) {
      await repos.teams.removeMember(namespace.id, user.id);
      return self
        ? { outcome: 'declined', message: `You have declined the invitation to join ${namespace.label}.` }
        : { outcome: 'withdrawn', message: `The invitation of ${user.name} to join ${namespace.label} was withdrawn.` };
    }
    await endAcceptedMembership(repos, namespace, user);
    return self
      ? { outcome: 'left', message: `You have left ${namespace.label}.` }
      : { outcome: 'removed', message: `${user.name} removed from ${namespace.label}.` };
  });
}

/** Namespaces a user belongs to (anyone may look), or is invited to (only that user may look). */
export async function listMemberships(
  deps: CoreDeps,
  input: StatusListOptions & { principal: Principal | undefined; user: NamespaceRef },
): Promise<Page<string>> {
  const { principal, user: userRef } = input;
  const status = parseMembershipStatus(input.status);
  assertLocal(userRef, deps.host);
  if (status === 'pending') assertMayViewInvitations(principal, userRef.namespace);
  const user = await getUser(deps.repos, userRef.namespace);
  const page = namePageQuery(input);
  const rows = await deps.repos.teams.listMemberships(user.id, status === 'accepted', page);
  return namePage(rows, page.pageSize, (row) => formatNamespace(row, deps.host));
}

export interface MembershipAnswerInput {
  principal: Principal | undefined;
  /** the user answering, as in `/users/user/:user/…` */
  user: NamespaceRef;
  /** the namespace of the membership */
  ref: NamespaceRef;
}

/** The invited user accepts. Accepting twice is fine (200); accepting nothing is 404. */
export async function acceptMembership(deps: CoreDeps, input: MembershipAnswerInput): Promise<TeamChange> {
  const { principal, user, ref } = input;
  assertLocal(user, deps.host);
  const p = assertMayAnswerMembership(principal, user.namespace);
  assertLocal(ref, deps.host);
  return deps.uow.transaction(async (repos) => {
    const row = await getNamespace(repos, ref, deps.host);
    const label = formatNamespace(row, deps.host);
    const invited = await repos.teams.findMembership(row.id, p.userId);
    if (invited && !invited.accepted) await assertMayChangeOwnMembership(repos, p, row);
    if (await repos.teams.acceptMembership(row.id, p.userId, deps.clock.now())) {
      await recordAudit(repos, deps.clock.now(), p, 'membership-accepted', { namespace: row.name, details: { user: p.username } });
      return { outcome: 'accepted', message: `${p.username} is now a member of ${label}.` };
    }
    const existing = await repos.teams.findMembership(row.id, p.userId);
    if (existing?.accepted) return { outcome: 'already-member', message: `${p.username} is already a member of ${label}.` };
    throw appError('INVITATION_NOT_FOUND', `${p.username} has no invitation to join ${label}.`);
  });
}

/** The user declines an invitation or leaves a namespace; with neither to end → 404. */
export async function leaveMembership(deps: CoreDeps, input: MembershipAnswerInput): Promise<TeamChange> {
  const { principal, user, ref } = input;
  assertLocal(user, deps.host);
  const p = assertMayAnswerMembership(principal, user.namespace);
  assertLocal(ref, deps.host);
  return deps.uow.transaction(async (repos) => {
    const row = await getNamespace(repos, ref, deps.host);
    const namespace = { ...row, label: formatNamespace(row, deps.host) };
    await repos.teams.lockNamespace(namespace.id);
    const existing = await repos.teams.findMembership(namespace.id, p.userId);
    if (!existing) throw appError('INVITATION_NOT_FOUND', `${p.username} is neither a member of nor invited to ${namespace.label}.`);
    if (existing.accepted) await assertMayChangeOwnMembership(repos, p, namespace);
    const action = existing.accepted ? 'member-removed' : 'membership-declined';
    await recordAudit(repos, deps.clock.now(), p, action, {
      namespace: row.name,
      details: { user: p.username, accepted: existing.accepted },
    });
    if (!existing.accepted) {
      await repos.teams.removeMember(namespace.id, p.userId);
      return { outcome: 'declined', message: `You have declined the invitation to join ${namespace.label}.` };
    }
    await endAcceptedMembership(repos, namespace, { id: p.userId, name: p.username });
    return { outcome: 'left', message: `You have left ${namespace.label}.` };
  });
}
