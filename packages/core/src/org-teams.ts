import { appError, formatPackageName, LEGACY, type NamespaceRef, truncate } from '@entropic/types';
import { assertMayManageTeams, assertMayViewTeams } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { removeMember } from './memberships.ts';
import { formatNamespace, getNamespace, type NamespaceRow } from './namespaces.ts';
import { assertLocal, getPackage, type PackageRef } from './packages.ts';
import type { OrgTeamRow, TeamPermission } from './ports/org-teams.ts';
import type { Repositories } from './ports/repositories.ts';
import type { NameKey } from './ports/teams.ts';
import type { Principal } from './principal.ts';

const TEAM_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface TeamInput {
  principal: Principal | undefined;
  /** the namespace (organisation) the team belongs to */
  ref: NamespaceRef;
  team: string;
}

export interface TeamGrant {
  /** `ns@host/name`, or null: every package the namespace maintains */
  package: string | null;
  permission: TeamPermission;
}

export interface TeamInfo {
  name: string;
  namespace: string;
  description: string;
  created: string;
  members: string[];
  grants: TeamGrant[];
}

function parseTeamName(name: string): string {
  if (!TEAM_NAME_RE.test(name)) {
    throw appError('INVALID_FIELD', `"${truncate(name)}" is not a valid team name: 1–64 characters of a-z, 0-9, ".", "_" and "-".`);
  }
  return name;
}

async function teamNamespace(repos: Repositories, deps: CoreDeps, ref: NamespaceRef): Promise<NamespaceRow & { label: string }> {
  assertLocal(ref, deps.host);
  const row = await getNamespace(repos, ref, deps.host);
  if (row.kind === 'system' || row.name === LEGACY) throw appError('SYSTEM_NAMESPACE', `"${row.name}" cannot have teams.`);
  return { ...row, label: formatNamespace(row, deps.host) };
}

async function getTeam(repos: Repositories, namespace: { id: number; label: string }, name: string): Promise<OrgTeamRow> {
  const team = await repos.orgTeams.find(namespace.id, parseTeamName(name));
  if (!team) throw appError('TEAM_NOT_FOUND', `The team "${namespace.label}:${name}" does not exist.`);
  return team;
}

async function getUserId(repos: Repositories, name: string): Promise<{ id: number; name: string }> {
  const user = await repos.users.findByName(name.trim().toLowerCase());
  if (!user) throw appError('USER_NOT_FOUND', `The user "${truncate(name)}" does not exist.`);
  return user;
}

/** Creates a team in a namespace: an accepted member of it may. */
export async function createTeam(deps: CoreDeps, input: TeamInput & { description?: string }): Promise<{ name: string }> {
  const name = parseTeamName(input.team);
  const description = (input.description ?? '').trim().slice(0, 200);
  return deps.uow.transaction(async (repos) => {
    const namespace = await teamNamespace(repos, deps, input.ref);
    await assertMayManageTeams(repos, input.principal, { id: namespace.id, name: namespace.label });
    const created = await repos.orgTeams.create(namespace.id, name, description);
    if (!created) throw appError('TEAM_EXISTS', `The team "${namespace.label}:${name}" already exists.`);
    return { name: `${namespace.name}:${name}` };
  });
}

/** Deletes a team with its members and grants; their access ends with the answer. */
export async function destroyTeam(deps: CoreDeps, input: TeamInput): Promise<void> {
  await deps.uow.transaction(async (repos) => {
    const namespace = await teamNamespace(repos, deps, input.ref);
    await assertMayManageTeams(repos, input.principal, { id: namespace.id, name: namespace.label });
    const team = await getTeam(repos, namespace, input.team);
    await repos.orgTeams.destroy(team.id);
  });
}

/** Adds a user to a team (any user of this registry: a team gives access beyond membership). */
export async function addTeamMember(deps: CoreDeps, input: TeamInput & { username: string }): Promise<{ added: boolean }> {
  return deps.uow.transaction(async (repos) => {
    const namespace = await teamNamespace(repos, deps, input.ref);
    await assertMayManageTeams(repos, input.principal, { id: namespace.id, name: namespace.label });
    const team = await getTeam(repos, namespace, input.team);
    const user = await getUserId(repos, input.username);
    return { added: await repos.orgTeams.addMember(team.id, user.id) };
  });
}

/** Removes a user from a team; the access it gave ends with the answer. */
export async function removeTeamMember(deps: CoreDeps, input: TeamInput & { username: string }): Promise<{ removed: boolean }> {
  return deps.uow.transaction(async (repos) => {
    const namespace = await teamNamespace(repos, deps, input.ref);
    await assertMayManageTeams(repos, input.principal, { id: namespace.id, name: namespace.label });
    const team = await getTeam(repos, namespace, input.team);
    const user = await getUserId(repos, input.username);
    return { removed: await repos.orgTeams.removeMember(team.id, user.id) };
  });
}

/** A namespace's teams, by name: its accepted members may list them. */
export async function listTeams(deps: CoreDeps, input: { principal: Principal | undefined; ref: NamespaceRef }): Promise<string[]> {
  const namespace = await teamNamespace(deps.repos, deps, input.ref);
  await assertMayViewTeams(deps.repos, input.principal, { id: namespace.id, name: namespace.label });
  return (await deps.repos.orgTeams.list(namespace.id)).map((t) => t.name);
}

/** A team: its members and grants. */
export async function getTeamInfo(deps: CoreDeps, input: TeamInput): Promise<TeamInfo> {
  const namespace = await teamNamespace(deps.repos, deps, input.ref);
  await assertMayViewTeams(deps.repos, input.principal, { id: namespace.id, name: namespace.label });
  const team = await getTeam(deps.repos, namespace, input.team);
  const [members, grants] = await Promise.all([deps.repos.orgTeams.listMembers(team.id), deps.repos.orgTeams.listGrants(team.id)]);
  return {
    name: team.name,
    namespace: namespace.label,
    description: team.description,
    created: team.created_at.toISOString(),
    members,
    grants: grants.map((g) => ({
      package:
        g.package_namespace === null || g.package_name === null
          ? null
          : `${g.package_namespace}@${g.package_host ?? deps.host}/${encodeURIComponent(g.package_name)}`,
      permission: g.permission,
    })),
  };
}

/**
 * Grants a team read or write on a package its namespace maintains, or (package null) on every
 * package the namespace maintains. Granting again replaces the permission.
 */
export async function grantTeam(deps: CoreDeps, input: TeamInput & { pkg: PackageRef | null; permission: TeamPermission }): Promise<void> {
  if (input.permission !== 'read' && input.permission !== 'write') {
    throw appError('INVALID_FIELD', 'The permission must be "read" or "write".');
  }
  await deps.uow.transaction(async (repos) => {
    const namespace = await teamNamespace(repos, deps, input.ref);
    await assertMayManageTeams(repos, input.principal, { id: namespace.id, name: namespace.label });
    const team = await getTeam(repos, namespace, input.team);
    const packageId = input.pkg ? await maintainedPackageId(repos, deps, namespace, input.pkg) : null;
    await repos.orgTeams.grant(team.id, packageId, input.permission);
  });
}

/** Removes a team's grant on a package (or its namespace-wide grant); answers whether there was one. */
export async function revokeTeamGrant(deps: CoreDeps, input: TeamInput & { pkg: PackageRef | null }): Promise<{ revoked: boolean }> {
  return deps.uow.transaction(async (repos) => {
    const namespace = await teamNamespace(repos, deps, input.ref);
    await assertMayManageTeams(repos, input.principal, { id: namespace.id, name: namespace.label });
    const team = await getTeam(repos, namespace, input.team);
    const packageId = input.pkg ? (await getPackage(repos, input.pkg, deps.host)).id : null;
    return { revoked: await repos.orgTeams.revoke(team.id, packageId) };
  });
}

async function maintainedPackageId(
  repos: Repositories,
  deps: CoreDeps,
  namespace: { id: number; label: string },
  ref: PackageRef,
): Promise<number> {
  const pkg = await getPackage(repos, ref, deps.host);
  const maintainership = await repos.teams.findMaintainership(pkg.id, namespace.id);
  if (!maintainership?.accepted) {
    throw appError('NOT_A_MAINTAINER', `${namespace.label} does not maintain "${formatPackageName(ref)}"; its teams cannot be granted it.`);
  }
  return pkg.id;
}

/** The team npm's `developer` role maps to (created on first use). */
export const DEVELOPERS_TEAM = 'developers';

export type OrgRole = 'owner' | 'admin' | 'developer';

/**
 * npm's organisation roles over Entropic's model (docs/npm.md): `owner` and `admin` are
 * namespace membership (an invitation the user accepts; accepted members maintain the
 * namespace's packages and administer it); `developer` is membership of the namespace's
 * `developers` team, which has only what that team is granted (`npm access grant`).
 */
export async function setOrgRole(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: NamespaceRef; username: string; role: OrgRole },
): Promise<{ user: string; role: OrgRole; size: number; outcome: string }> {
  const { role } = input;
  if (role !== 'owner' && role !== 'admin' && role !== 'developer') {
    throw appError('INVALID_FIELD', 'The role must be "owner", "admin" or "developer".');
  }
  return deps.uow.transaction(async (repos) => {
    const namespace = await teamNamespace(repos, deps, input.ref);
    const p = await assertMayManageTeams(repos, input.principal, { id: namespace.id, name: namespace.label });
    const user = await getUserId(repos, input.username);
    let outcome: string;
    if (role === 'developer') {
      const team =
        (await repos.orgTeams.find(namespace.id, DEVELOPERS_TEAM)) ??
        (await repos.orgTeams.create(namespace.id, DEVELOPERS_TEAM, 'npm org developers')) ??
        (await getTeam(repos, namespace, DEVELOPERS_TEAM));
      outcome = (await repos.orgTeams.addMember(team.id, user.id)) ? 'added' : 'already-developer';
    } else if (await repos.teams.addMember(namespace.id, user.id, { accepted: false, invitedBy: p.userId })) {
      outcome = 'invited';
    } else {
      outcome = (await repos.teams.findMembership(namespace.id, user.id))?.accepted ? 'already-member' : 'already-invited';
    }
    const size = Object.keys(await orgRoster(repos, namespace.id)).length;
    return { user: user.name, role, size, outcome };
  });
}

/** `npm org rm`: ends the user's `developers` team membership, and their membership (or invitation) by the members' rules. */
export async function removeFromOrg(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: NamespaceRef; username: string },
): Promise<void> {
  const member = await deps.uow.transaction(async (repos) => {
    const namespace = await teamNamespace(repos, deps, input.ref);
    await assertMayManageTeams(repos, input.principal, { id: namespace.id, name: namespace.label });
    const user = await getUserId(repos, input.username);
    const developers = await repos.orgTeams.find(namespace.id, DEVELOPERS_TEAM);
    if (developers) await repos.orgTeams.removeMember(developers.id, user.id);
    return (await repos.teams.findMembership(namespace.id, user.id)) !== undefined;
  });
  // the last-member and own-namespace rules live there
  if (member) await removeMember(deps, { principal: input.principal, ref: input.ref, username: input.username });
}

/** `npm org ls`: accepted members as `owner`, members of the `developers` team as `developer`. */
export async function listOrgRoles(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: NamespaceRef },
): Promise<Record<string, OrgRole>> {
  const namespace = await teamNamespace(deps.repos, deps, input.ref);
  await assertMayViewTeams(deps.repos, input.principal, { id: namespace.id, name: namespace.label });
  return orgRoster(deps.repos, namespace.id);
}

async function orgRoster(repos: Repositories, namespaceId: number): Promise<Record<string, OrgRole>> {
  const roster: Record<string, OrgRole> = {};
  const developers = await repos.orgTeams.find(namespaceId, DEVELOPERS_TEAM);
  if (developers) for (const name of await repos.orgTeams.listMembers(developers.id)) roster[name] = 'developer';
  let after: NameKey | undefined;
  for (;;) {
    const page = await repos.teams.listMembers(namespaceId, { after, limit: 500 });
    for (const row of page) roster[row.name] = 'owner';
    if (page.length < 500) break;
    after = page[page.length - 1];
  }
  return roster;
}
