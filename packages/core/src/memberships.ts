import { createRepositories } from '@entropic/db';
import { appError, type NamespaceRef, type Page } from '@entropic/types';
import {
  assertMayAnswerMembership,
  assertMayInviteMember,
  assertMayRemoveMember,
  assertMayViewInvitations,
  requireWriter,
} from './authorize.ts';
import type { CoreDeps, Tx } from './deps.ts';
import { decodeNameCursor, nameAfter, namePage, parseMembershipStatus } from './name-cursor.ts';
import { formatNamespace, getNamespace, type NamespaceRow } from './namespaces.ts';
import { assertLocal, type ListOptions } from './packages.ts';
import { pageLimit } from './pagination.ts';
import type { Principal } from './principal.ts';
import { findUserByName, getUserByName } from './users.ts';

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

/** Serialises membership changes of one namespace (the last-member rule needs a stable count). */
async function lockNamespace(tx: Tx, namespaceId: number): Promise<void> {
  await tx.selectFrom('namespaces').select('id').where('id', '=', namespaceId).forUpdate().execute();
}

function namedNamespace(row: NamespaceRow, deps: CoreDeps): { id: number; name: string } {
  return { id: row.id, name: formatNamespace(row, deps.host) };
}

/** Accepted members, sorted by username. */
export async function listMembers(deps: CoreDeps, ref: NamespaceRef, options: ListOptions): Promise<Page<string>> {
  const namespace = await getNamespace(deps.repos, ref, deps.host);
  const limit = pageLimit(options.limit);
  const after = options.cursor ? decodeNameCursor(options.cursor) : undefined;
  let query = deps.db
    .selectFrom('namespace_members as nm')
    .innerJoin('users as u', 'u.id', 'nm.user_id')
    .select(['u.id', 'u.name'])
    .where('nm.namespace_id', '=', namespace.id)
    .where('nm.accepted', '=', true)
    .orderBy('u.name')
    .orderBy('u.id')
    .limit(limit + 1);
  if (after) query = query.where(nameAfter(after, 'u.name', 'u.id'));
  return namePage(await query.execute(), limit, (row) => row.name);
}

/**
 * Invites a user into a namespace. Idempotent: inviting someone already invited or already a
 * member says so (200). ON CONFLICT decides concurrent invites, never a unique-violation 500.
 */
export async function inviteMember(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: NamespaceRef,
  username: string,
): Promise<TeamChange> {
  requireWriter(principal);
  assertLocal(ref, deps.host);
  return deps.db.transaction().execute(async (tx) => {
    const namespace = namedNamespace(await getNamespace(createRepositories(tx), ref, deps.host), deps);
    const p = await assertMayInviteMember(createRepositories(tx), principal, namespace);
    const user = await getUserByName(tx, username);
    const inserted = await tx
      .insertInto('namespace_members')
      .values({ namespace_id: namespace.id, user_id: user.id, accepted: false, invited_by: p.userId })
      .onConflict((oc) => oc.columns(['namespace_id', 'user_id']).doNothing())
      .returning('user_id')
      .executeTakeFirst();
    if (inserted) return { outcome: 'invited', message: `${user.name} invited to join ${namespace.name}.` };
    const existing = await findMembership(tx, namespace.id, user.id);
    return existing?.accepted
      ? { outcome: 'already-member', message: `${user.name} is already a member of ${namespace.name}.` }
      : { outcome: 'already-invited', message: `${user.name} has already been invited to join ${namespace.name}.` };
  });
}

/** A user's membership row of a namespace: accepted, pending (`accepted: false`) or undefined. */
export async function findMembership(db: Tx, namespaceId: number, userId: number): Promise<{ accepted: boolean } | undefined> {
  return db
    .selectFrom('namespace_members')
    .select('accepted')
    .where('namespace_id', '=', namespaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * Ends an accepted membership, keeping the two rules: a user never leaves their own user
 * namespace, and a namespace never loses its last member. The caller holds the namespace lock.
 */
async function endAcceptedMembership(tx: Tx, namespace: NamespaceRow & { label: string }, user: { id: number; name: string }) {
  if (namespace.kind === 'user' && namespace.name === user.name) {
    throw appError('CANNOT_LEAVE_OWN_NAMESPACE', `${user.name} cannot leave ${namespace.label}: it is their own user namespace.`);
  }
  const { count } = await tx
    .selectFrom('namespace_members')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('namespace_id', '=', namespace.id)
    .where('accepted', '=', true)
    .executeTakeFirstOrThrow();
  if (Number(count) <= 1) {
    throw appError('LAST_MEMBER', `${user.name} is the last member of ${namespace.label}; invite someone else first.`);
  }
  await tx.deleteFrom('namespace_members').where('namespace_id', '=', namespace.id).where('user_id', '=', user.id).execute();
}

/**
 * Removes a member or withdraws an invitation (an accepted member may), or leaves/declines (the
 * user themselves may). Removing someone who is not a member answers 200 and says so.
 */
export async function removeMember(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: NamespaceRef,
  username: string,
): Promise<TeamChange> {
  requireWriter(principal);
  assertLocal(ref, deps.host);
  return deps.db.transaction().execute(async (tx) => {
    const row = await getNamespace(createRepositories(tx), ref, deps.host);
    const namespace = { ...row, label: formatNamespace(row, deps.host) };
    await lockNamespace(tx, namespace.id);
    const found = await findUserByName(tx, username);
    const p = await assertMayRemoveMember(
      createRepositories(tx),
      principal,
      { id: namespace.id, name: namespace.label },
      { id: found?.id ?? -1 },
    );
    if (!found) throw appError('USER_NOT_FOUND', `The user "${username}" does not exist.`);
    const user = { id: found.id, name: found.name };
    const self = p.userId === user.id;
    const existing = await findMembership(tx, namespace.id, user.id);
    if (!existing) return { outcome: 'not-a-member', message: `${user.name} was not a member of ${namespace.label}.` };
    if (!existing.accepted) {
      await tx.deleteFrom('namespace_members').where('namespace_id', '=', namespace.id).where('user_id', '=', user.id).execute();
      return self
        ? { outcome: 'declined', message: `You have declined the invitation to join ${namespace.label}.` }
        : { outcome: 'withdrawn', message: `The invitation of ${user.name} to join ${namespace.label} was withdrawn.` };
    }
    await endAcceptedMembership(tx, namespace, user);
    return self
      ? { outcome: 'left', message: `You have left ${namespace.label}.` }
      : { outcome: 'removed', message: `${user.name} removed from ${namespace.label}.` };
  });
}

/** Namespaces a user belongs to (anyone may look), or is invited to (only that user may look). */
export async function listMemberships(
  deps: CoreDeps,
  principal: Principal | undefined,
  userRef: NamespaceRef,
  options: StatusListOptions,
): Promise<Page<string>> {
  const status = parseMembershipStatus(options.status);
  assertLocal(userRef, deps.host);
  if (status === 'pending') assertMayViewInvitations(principal, userRef.namespace);
  const user = await getUserByName(deps.db, userRef.namespace);
  const limit = pageLimit(options.limit);
  const after = options.cursor ? decodeNameCursor(options.cursor) : undefined;
  let query = deps.db
    .selectFrom('namespace_members as nm')
    .innerJoin('namespaces as n', 'n.id', 'nm.namespace_id')
    .select(['n.id', 'n.name', 'n.host'])
    .where('nm.user_id', '=', user.id)
    .where('nm.accepted', '=', status === 'accepted')
    .orderBy('n.name')
    .orderBy('n.id')
    .limit(limit + 1);
  if (after) query = query.where(nameAfter(after, 'n.name', 'n.id'));
  return namePage(await query.execute(), limit, (row) => formatNamespace(row, deps.host));
}

/** The invited user accepts. Accepting twice is fine (200); accepting nothing is 404. */
export async function acceptMembership(
  deps: CoreDeps,
  principal: Principal | undefined,
  userRef: NamespaceRef,
  ref: NamespaceRef,
): Promise<TeamChange> {
  assertLocal(userRef, deps.host);
  const p = assertMayAnswerMembership(principal, userRef.namespace);
  assertLocal(ref, deps.host);
  return deps.db.transaction().execute(async (tx) => {
    const row = await getNamespace(createRepositories(tx), ref, deps.host);
    const label = formatNamespace(row, deps.host);
    const updated = await tx
      .updateTable('namespace_members')
      .set({ accepted: true, updated_at: new Date() })
      .where('namespace_id', '=', row.id)
      .where('user_id', '=', p.userId)
      .where('accepted', '=', false)
      .returning('user_id')
      .executeTakeFirst();
    if (updated) return { outcome: 'accepted', message: `${p.username} is now a member of ${label}.` };
    const existing = await findMembership(tx, row.id, p.userId);
    if (existing?.accepted) return { outcome: 'already-member', message: `${p.username} is already a member of ${label}.` };
    throw appError('INVITATION_NOT_FOUND', `${p.username} has no invitation to join ${label}.`);
  });
}

/** The user declines an invitation or leaves a namespace; with neither to end → 404. */
export async function leaveMembership(
  deps: CoreDeps,
  principal: Principal | undefined,
  userRef: NamespaceRef,
  ref: NamespaceRef,
): Promise<TeamChange> {
  assertLocal(userRef, deps.host);
  const p = assertMayAnswerMembership(principal, userRef.namespace);
  assertLocal(ref, deps.host);
  return deps.db.transaction().execute(async (tx) => {
    const row = await getNamespace(createRepositories(tx), ref, deps.host);
    const namespace = { ...row, label: formatNamespace(row, deps.host) };
    await lockNamespace(tx, namespace.id);
    const existing = await findMembership(tx, namespace.id, p.userId);
    if (!existing) throw appError('INVITATION_NOT_FOUND', `${p.username} is neither a member of nor invited to ${namespace.label}.`);
    if (!existing.accepted) {
      await tx.deleteFrom('namespace_members').where('namespace_id', '=', namespace.id).where('user_id', '=', p.userId).execute();
      return { outcome: 'declined', message: `You have declined the invitation to join ${namespace.label}.` };
    }
    await endAcceptedMembership(tx, namespace, { id: p.userId, name: p.username });
    return { outcome: 'left', message: `You have left ${namespace.label}.` };
  });
}
