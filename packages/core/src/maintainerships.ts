import { createRepositories } from '@entropic/db';
import { appError, type NamespaceRef, type PackageDocument, type Page } from '@entropic/types';
import { assertMayActForNamespace, assertMayManageMaintainers, requireWriter } from './authorize.ts';
import type { CoreDeps, Tx } from './deps.ts';
import type { StatusListOptions, TeamChange } from './memberships.ts';
import { decodeNameCursor, nameAfter, namePage, parseMembershipStatus } from './name-cursor.ts';
import { formatNamespace, getNamespace, type NamespaceRow } from './namespaces.ts';
import { assertLocal, fullName, getPackage, listPackages, type PackageRef, type PackageRow } from './packages.ts';
import { pageLimit } from './pagination.ts';
import type { Principal } from './principal.ts';

/** Serialises maintainer changes of one package (the last-maintainer rule needs a stable count). */
async function lockPackage(tx: Tx, packageId: number): Promise<void> {
  await tx.selectFrom('packages').select('id').where('id', '=', packageId).forUpdate().execute();
}

async function maintainershipOf(tx: Tx, packageId: number, namespaceId: number) {
  return tx
    .selectFrom('package_maintainers')
    .select('accepted')
    .where('package_id', '=', packageId)
    .where('namespace_id', '=', namespaceId)
    .executeTakeFirst();
}

async function deleteMaintainership(tx: Tx, packageId: number, namespaceId: number): Promise<void> {
  await tx.deleteFrom('package_maintainers').where('package_id', '=', packageId).where('namespace_id', '=', namespaceId).execute();
}

/** Ends an accepted maintainership unless it is the package's last one. The caller holds the package lock. */
async function endAcceptedMaintainership(tx: Tx, pkg: PackageRow, pkgName: string, namespace: NamespaceRow, label: string): Promise<void> {
  const { count } = await tx
    .selectFrom('package_maintainers')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('package_id', '=', pkg.id)
    .where('accepted', '=', true)
    .executeTakeFirstOrThrow();
  if (Number(count) <= 1) {
    throw appError(
      'LAST_MAINTAINER',
      `${label} is the last maintainer of ${pkgName}; invite another namespace first, or abandon the package.`,
    );
  }
  await deleteMaintainership(tx, pkg.id, namespace.id);
}

/** Maintainer namespaces of a package (accepted, or with ?status=pending the invited ones), sorted by name. */
export async function listMaintainers(deps: CoreDeps, ref: PackageRef, options: StatusListOptions): Promise<Page<string>> {
  const status = parseMembershipStatus(options.status);
  const pkg = await getPackage(deps.repos, ref, deps.host);
  const limit = pageLimit(options.limit);
  const after = options.cursor ? decodeNameCursor(options.cursor) : undefined;
  let query = deps.db
    .selectFrom('package_maintainers as pm')
    .innerJoin('namespaces as n', 'n.id', 'pm.namespace_id')
    .select(['n.id', 'n.name', 'n.host'])
    .where('pm.package_id', '=', pkg.id)
    .where('pm.accepted', '=', status === 'accepted')
    .orderBy('n.name')
    .orderBy('n.id')
    .limit(limit + 1);
  if (after) query = query.where(nameAfter(after, 'n.name', 'n.id'));
  return namePage(await query.execute(), limit, (row) => formatNamespace(row, deps.host));
}

/** Packages a namespace maintains, or (pending) is invited to maintain: package documents. */
export async function listMaintainerships(deps: CoreDeps, ref: NamespaceRef, options: StatusListOptions): Promise<Page<PackageDocument>> {
  const status = parseMembershipStatus(options.status);
  const namespace = await getNamespace(deps.repos, ref, deps.host);
  return listPackages(deps, {
    filter: { kind: 'maintained-by', namespaceId: namespace.id, pending: status === 'pending' },
    limit: options.limit,
    cursor: options.cursor,
  });
}

/**
 * A maintainer invites another namespace of this host to maintain the package. Idempotent:
 * inviting an invited or accepted namespace says so (200); ON CONFLICT decides races.
 */
export async function inviteMaintainer(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: PackageRef,
  invitee: NamespaceRef,
): Promise<TeamChange> {
  requireWriter(principal);
  assertLocal(ref, deps.host);
  assertLocal(invitee, deps.host);
  const pkgName = fullName(ref);
  return deps.db.transaction().execute(async (tx) => {
    const pkg = await getPackage(createRepositories(tx), ref, deps.host);
    await assertMayManageMaintainers(createRepositories(tx), principal, { id: pkg.id, fullName: pkgName });
    const namespace = await getNamespace(createRepositories(tx), invitee, deps.host);
    const label = formatNamespace(namespace, deps.host);
    if (namespace.kind === 'system') throw appError('SYSTEM_NAMESPACE', `${label} is a system namespace and cannot maintain packages.`);
    const inserted = await tx
      .insertInto('package_maintainers')
      .values({ package_id: pkg.id, namespace_id: namespace.id, accepted: false })
      .onConflict((oc) => oc.columns(['package_id', 'namespace_id']).doNothing())
      .returning('package_id')
      .executeTakeFirst();
    if (inserted) return { outcome: 'invited', message: `${label} invited to join the maintainers of ${pkgName}.` };
    const existing = await maintainershipOf(tx, pkg.id, namespace.id);
    return existing?.accepted
      ? { outcome: 'already-maintainer', message: `${label} is already a maintainer of ${pkgName}.` }
      : { outcome: 'already-invited', message: `${label} has already been invited to maintain ${pkgName}.` };
  });
}

/**
 * A maintainer removes a maintainer namespace (never the last) or withdraws an invitation.
 * Removing a namespace that does not maintain the package answers 200 and says so.
 */
export async function removeMaintainer(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: PackageRef,
  invitee: NamespaceRef,
): Promise<TeamChange> {
  requireWriter(principal);
  assertLocal(ref, deps.host);
  const pkgName = fullName(ref);
  return deps.db.transaction().execute(async (tx) => {
    const pkg = await getPackage(createRepositories(tx), ref, deps.host);
    await lockPackage(tx, pkg.id);
    await assertMayManageMaintainers(createRepositories(tx), principal, { id: pkg.id, fullName: pkgName });
    const namespace = await getNamespace(createRepositories(tx), invitee, deps.host);
    const label = formatNamespace(namespace, deps.host);
    const existing = await maintainershipOf(tx, pkg.id, namespace.id);
    if (!existing) return { outcome: 'not-a-maintainer', message: `${label} was not a maintainer of ${pkgName}.` };
    if (!existing.accepted) {
      await deleteMaintainership(tx, pkg.id, namespace.id);
      return { outcome: 'withdrawn', message: `The invitation of ${label} to maintain ${pkgName} was withdrawn.` };
    }
    await endAcceptedMaintainership(tx, pkg, pkgName, namespace, label);
    return { outcome: 'removed', message: `${label} removed as maintainer of ${pkgName}.` };
  });
}

/** An accepted member of the invited namespace accepts. Accepting twice is fine; accepting nothing is 404. */
export async function acceptMaintainership(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: NamespaceRef,
  pkgRef: PackageRef,
): Promise<TeamChange> {
  requireWriter(principal);
  assertLocal(ref, deps.host);
  const pkgName = fullName(pkgRef);
  return deps.db.transaction().execute(async (tx) => {
    const namespace = await getNamespace(createRepositories(tx), ref, deps.host);
    const label = formatNamespace(namespace, deps.host);
    await assertMayActForNamespace(createRepositories(tx), principal, { id: namespace.id, name: label });
    const pkg = await getPackage(createRepositories(tx), pkgRef, deps.host);
    const updated = await tx
      .updateTable('package_maintainers')
      .set({ accepted: true, updated_at: new Date() })
      .where('package_id', '=', pkg.id)
      .where('namespace_id', '=', namespace.id)
      .where('accepted', '=', false)
      .returning('package_id')
      .executeTakeFirst();
    if (updated) return { outcome: 'accepted', message: `${label} is now a maintainer of ${pkgName}.` };
    const existing = await maintainershipOf(tx, pkg.id, namespace.id);
    if (existing?.accepted) return { outcome: 'already-maintainer', message: `${label} is already a maintainer of ${pkgName}.` };
    throw appError('INVITATION_NOT_FOUND', `${label} has no invitation to maintain ${pkgName}.`);
  });
}

/** An accepted member of the namespace declines the invitation, or stops maintaining (never the last maintainer). */
export async function endMaintainership(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: NamespaceRef,
  pkgRef: PackageRef,
): Promise<TeamChange> {
  requireWriter(principal);
  assertLocal(ref, deps.host);
  const pkgName = fullName(pkgRef);
  return deps.db.transaction().execute(async (tx) => {
    const namespace = await getNamespace(createRepositories(tx), ref, deps.host);
    const label = formatNamespace(namespace, deps.host);
    await assertMayActForNamespace(createRepositories(tx), principal, { id: namespace.id, name: label });
    const pkg = await getPackage(createRepositories(tx), pkgRef, deps.host);
    await lockPackage(tx, pkg.id);
    const existing = await maintainershipOf(tx, pkg.id, namespace.id);
    if (!existing) throw appError('INVITATION_NOT_FOUND', `${label} neither maintains nor is invited to maintain ${pkgName}.`);
    if (!existing.accepted) {
      await deleteMaintainership(tx, pkg.id, namespace.id);
      return { outcome: 'declined', message: `${label} declined the invitation to maintain ${pkgName}.` };
    }
    await endAcceptedMaintainership(tx, pkg, pkgName, namespace, label);
    return { outcome: 'removed', message: `${label} no longer maintains ${pkgName}.` };
  });
}
