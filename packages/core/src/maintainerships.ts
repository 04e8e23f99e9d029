import { appError, type NamespaceRef, type PackageDocument, type Page } from '@entropic/types';
import { packageSubject, recordAudit } from './audit-log.ts';
import { assertMayActForNamespace, assertMayManageMaintainers, requireWriter } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { enqueueSearchIndex } from './jobs/search-index-jobs.ts';
import { parseMembershipStatus, type StatusListOptions, type TeamChange } from './memberships.ts';
import { formatNamespace, getNamespace } from './namespaces.ts';
import { assertLocal, fullName, getPackage, listPackages, type PackageRef } from './packages.ts';
import { namePage, namePageQuery } from './pagination.ts';
import type { Repositories } from './ports/repositories.ts';
import type { Principal } from './principal.ts';

/** What a maintainer change did to the package's maintainers, for the `package-changed` event. */
const CHANGED: ReadonlySet<TeamChange['outcome']> = new Set(['invited', 'accepted', 'declined', 'withdrawn', 'removed']);

/** Runs a maintainer change in one transaction; after it commits, says the package changed (if it did). */
async function changeMaintainers(
  deps: CoreDeps,
  pkgRef: PackageRef,
  work: (repos: Repositories) => Promise<TeamChange>,
): Promise<TeamChange> {
  const change = await deps.uow.transaction(async (repos) => {
    const done = await work(repos);
    if (CHANGED.has(done.outcome)) await enqueueSearchIndex(repos, pkgRef);
    return done;
  });
  if (CHANGED.has(change.outcome)) await deps.events.emit({ type: 'package-changed', ref: pkgRef });
  return change;
}

/** Ends an accepted maintainership unless it is the package's last one. The caller holds the package lock. */
async function endAcceptedMaintainership(
  repos: Repositories,
  pkg: { id: number; fullName: string },
  namespace: { id: number; label: string },
): Promise<void> {
  if ((await repos.teams.countAcceptedMaintainers(pkg.id)) <= 1) {
    throw appError(
      'LAST_MAINTAINER',
      `${namespace.label} is the last maintainer of ${pkg.fullName}; invite another namespace first, or abandon the package.`,
    );
  }
  await repos.teams.removeMaintainer(pkg.id, namespace.id);
}

/** Maintainer namespaces of a package (accepted, or with ?status=pending the invited ones), sorted by name. */
export async function listMaintainers(deps: CoreDeps, input: StatusListOptions & { ref: PackageRef }): Promise<Page<string>> {
  const status = parseMembershipStatus(input.status);
  const pkg = await getPackage(deps.repos, input.ref, deps.host);
  const page = namePageQuery(input);
  const rows = await deps.repos.teams.listMaintainers(pkg.id, status === 'accepted', page);
  return namePage(rows, page.pageSize, (row) => formatNamespace(row, deps.host));
}

/** Packages a namespace maintains, or (pending) is invited to maintain: package documents. */
export async function listMaintainerships(
  deps: CoreDeps,
  input: StatusListOptions & { ref: NamespaceRef; principal?: Principal | undefined },
): Promise<Page<PackageDocument>> {
  const status = parseMembershipStatus(input.status);
  const namespace = await getNamespace(deps.repos, input.ref, deps.host);
  return listPackages(deps, {
    principal: input.principal,
    filter: { kind: 'maintained-by', namespaceId: namespace.id, pending: status === 'pending' },
    limit: input.limit,
    cursor: input.cursor,
  });
}

export interface MaintainerInput {
  principal: Principal | undefined;
  /** the package */
  ref: PackageRef;
  /** the maintainer namespace */
  invitee: NamespaceRef;
}

/**
 * A maintainer invites another namespace of this host to maintain the package. Idempotent:
 * inviting an invited or accepted namespace says so (200); ON CONFLICT decides races.
 */
export async function inviteMaintainer(deps: CoreDeps, input: MaintainerInput): Promise<TeamChange> {
  const { principal, ref, invitee } = input;
  requireWriter(principal);
  assertLocal(ref, deps.host);
  assertLocal(invitee, deps.host);
  const pkgName = fullName(ref);
  return changeMaintainers(deps, ref, async (repos) => {
    const pkg = await getPackage(repos, ref, deps.host);
    const p = await assertMayManageMaintainers(repos, principal, { id: pkg.id, fullName: pkgName, namespaceId: pkg.namespace_id });
    const namespace = await getNamespace(repos, invitee, deps.host);
    const label = formatNamespace(namespace, deps.host);
    if (namespace.kind === 'system') throw appError('SYSTEM_NAMESPACE', `${label} is a system namespace and cannot maintain packages.`);
    if (await repos.teams.inviteMaintainer(pkg.id, namespace.id)) {
      await recordAudit(repos, deps.clock.now(), p, 'maintainer-invited', packageSubject(ref, { maintainer: namespace.name }));
      return { outcome: 'invited', message: `${label} invited to join the maintainers of ${pkgName}.` };
    }
    const existing = await repos.teams.findMaintainership(pkg.id, namespace.id);
    return existing?.accepted
      ? { outcome: 'already-maintainer', message: `${label} is already a maintainer of ${pkgName}.` }
      : { outcome: 'already-invited', message: `${label} has already been invited to maintain ${pkgName}.` };
  });
}

/**
 * A maintainer removes a maintainer namespace (never the last) or withdraws an invitation.
 * Removing a namespace that does not maintain the package answers 200 and says so.
 */
export async function removeMaintainer(deps: CoreDeps, input: MaintainerInput): Promise<TeamChange> {
  const { principal, ref, invitee } = input;
  requireWriter(principal);
  assertLocal(ref, deps.host);
  const pkgName = fullName(ref);
  return changeMaintainers(deps, ref, async (repos) => {
    const pkg = await getPackage(repos, ref, deps.host);
    await repos.teams.lockPackage(pkg.id);
    const p = await assertMayManageMaintainers(repos, principal, { id: pkg.id, fullName: pkgName, namespaceId: pkg.namespace_id });
    const namespace = await getNamespace(repos, invitee, deps.host);
    const label = formatNamespace(namespace, deps.host);
    const existing = await repos.teams.findMaintainership(pkg.id, namespace.id);
    if (!existing) return { outcome: 'not-a-maintainer', message: `${label} was not a maintainer of ${pkgName}.` };
    await recordAudit(
      repos,
      deps.clock.now(),
      p,
      'maintainer-removed',
      packageSubject(ref, { maintainer: namespace.name, accepted: existing.accepted }),
    );
    if (!existing.accepted) {
      await repos.teams.removeMaintainer(pkg.id, namespace.id);
      return { outcome: 'withdrawn', message: `The invitation of ${label} to maintain ${pkgName} was withdrawn.` };
    }
    await endAcceptedMaintainership(repos, { id: pkg.id, fullName: pkgName }, { id: namespace.id, label });
    return { outcome: 'removed', message: `${label} removed as maintainer of ${pkgName}.` };
  });
}

export interface MaintainershipAnswerInput {
  principal: Principal | undefined;
  /** the namespace answering, as in `/namespaces/namespace/:namespace/maintainerships/…` */
  ref: NamespaceRef;
  pkg: PackageRef;
}

/** An accepted member of the invited namespace accepts. Accepting twice is fine; accepting nothing is 404. */
export async function acceptMaintainership(deps: CoreDeps, input: MaintainershipAnswerInput): Promise<TeamChange> {
  const { principal, ref, pkg: pkgRef } = input;
  requireWriter(principal);
  assertLocal(ref, deps.host);
  const pkgName = fullName(pkgRef);
  return changeMaintainers(deps, pkgRef, async (repos) => {
    const namespace = await getNamespace(repos, ref, deps.host);
    const label = formatNamespace(namespace, deps.host);
    const p = await assertMayActForNamespace(repos, principal, { id: namespace.id, name: label });
    const pkg = await getPackage(repos, pkgRef, deps.host);
    if (await repos.teams.acceptMaintainership(pkg.id, namespace.id, deps.clock.now())) {
      await recordAudit(repos, deps.clock.now(), p, 'maintainership-accepted', packageSubject(pkgRef, { maintainer: namespace.name }));
      return { outcome: 'accepted', message: `${label} is now a maintainer of ${pkgName}.` };
    }
    const existing = await repos.teams.findMaintainership(pkg.id, namespace.id);
    if (existing?.accepted) return { outcome: 'already-maintainer', message: `${label} is already a maintainer of ${pkgName}.` };
    throw appError('INVITATION_NOT_FOUND', `${label} has no invitation to maintain ${pkgName}.`);
  });
}

/** An accepted member of the namespace declines the invitation, or stops maintaining (never the last maintainer). */
export async function endMaintainership(deps: CoreDeps, input: MaintainershipAnswerInput): Promise<TeamChange> {
  const { principal, ref, pkg: pkgRef } = input;
  requireWriter(principal);
  assertLocal(ref, deps.host);
  const pkgName = fullName(pkgRef);
  return changeMaintainers(deps, pkgRef, async (repos) => {
    const namespace = await getNamespace(repos, ref, deps.host);
    const label = formatNamespace(namespace, deps.host);
    const p = await assertMayActForNamespace(repos, principal, { id: namespace.id, name: label });
    const pkg = await getPackage(repos, pkgRef, deps.host);
    await repos.teams.lockPackage(pkg.id);
    const existing = await repos.teams.findMaintainership(pkg.id, namespace.id);
    if (!existing) throw appError('INVITATION_NOT_FOUND', `${label} neither maintains nor is invited to maintain ${pkgName}.`);
    const action = existing.accepted ? 'maintainer-removed' : 'maintainership-declined';
    await recordAudit(repos, deps.clock.now(), p, action, packageSubject(pkgRef, { maintainer: namespace.name }));
    if (!existing.accepted) {
      await repos.teams.removeMaintainer(pkg.id, namespace.id);
      return { outcome: 'declined', message: `${label} declined the invitation to maintain ${pkgName}.` };
    }
    await endAcceptedMaintainership(repos, { id: pkg.id, fullName: pkgName }, { id: namespace.id, label });
    return { outcome: 'removed', message: `${label} no longer maintains ${pkgName}.` };
  });
}
