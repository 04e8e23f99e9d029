import { type JsonCalls, ns } from './json-calls.ts';
import { type PackageRef, packagePath } from './package-ref.ts';

/** Namespaces, their members and maintainerships, and users' memberships. */
export function namespaceCalls({ json, empty }: JsonCalls) {
  const namespacePath = (namespace: string, host: string) => `/namespaces/namespace/${ns(namespace, host)}`;
  const maintainershipPath = (namespace: string, host: string, ref: PackageRef) =>
    `${namespacePath(namespace, host)}/maintainerships/${packagePath(ref).slice('/packages/package/'.length)}`;
  const membershipPath = (user: string, host: string, namespace: string) =>
    `/users/user/${ns(user, host)}/memberships/${ns(namespace, host)}`;
  return {
    listNamespaces(): Promise<unknown> {
      return json<unknown>('/namespaces', { auth: false });
    },

    createNamespace(namespace: string, host: string): Promise<unknown> {
      return json<unknown>(namespacePath(namespace, host), { method: 'PUT', json: {} });
    },

    listMembers(namespace: string, host: string): Promise<unknown> {
      return json<unknown>(`${namespacePath(namespace, host)}/members`, { auth: false });
    },

    inviteMember(namespace: string, host: string, user: string): Promise<{ message?: string }> {
      return json<{ message?: string }>(`${namespacePath(namespace, host)}/members/${encodeURIComponent(user)}`, { method: 'POST' });
    },

    removeMember(namespace: string, host: string, user: string): Promise<{ message?: string }> {
      return json<{ message?: string }>(`${namespacePath(namespace, host)}/members/${encodeURIComponent(user)}`, { method: 'DELETE' });
    },

    listMaintainerships(namespace: string, host: string, pending = false): Promise<unknown> {
      return json<unknown>(`${namespacePath(namespace, host)}/maintainerships${pending ? '?status=pending' : ''}`);
    },

    acceptMaintainership(namespace: string, host: string, ref: PackageRef): Promise<unknown> {
      return json<unknown>(maintainershipPath(namespace, host, ref), { method: 'POST' });
    },

    declineMaintainership(namespace: string, host: string, ref: PackageRef): Promise<unknown> {
      return json<unknown>(maintainershipPath(namespace, host, ref), { method: 'DELETE' });
    },

    listMemberships(user: string, host: string, pending = false): Promise<unknown> {
      return json<unknown>(`/users/user/${ns(user, host)}/memberships${pending ? '?status=pending' : ''}`);
    },

    acceptMembership(user: string, host: string, namespace: string): Promise<unknown> {
      return json<unknown>(membershipPath(user, host, namespace), { method: 'POST' });
    },

    declineMembership(user: string, host: string, namespace: string): Promise<unknown> {
      return json<unknown>(membershipPath(user, host, namespace), { method: 'DELETE' });
    },

    listTeams(namespace: string, host: string): Promise<{ objects: string[] }> {
      return json<{ objects: string[] }>(`${namespacePath(namespace, host)}/teams`);
    },

    getTeam(namespace: string, host: string, team: string): Promise<TeamInfo> {
      return json<TeamInfo>(`${namespacePath(namespace, host)}/teams/${encodeURIComponent(team)}`);
    },

    createTeam(namespace: string, host: string, team: string, description = ''): Promise<{ name: string }> {
      return json<{ name: string }>(`${namespacePath(namespace, host)}/teams/${encodeURIComponent(team)}`, {
        method: 'PUT',
        json: { description },
      });
    },

    destroyTeam(namespace: string, host: string, team: string): Promise<void> {
      return empty(`${namespacePath(namespace, host)}/teams/${encodeURIComponent(team)}`, { method: 'DELETE' });
    },

    addTeamMember(namespace: string, host: string, team: string, user: string): Promise<{ added: boolean }> {
      return json<{ added: boolean }>(
        `${namespacePath(namespace, host)}/teams/${encodeURIComponent(team)}/members/${encodeURIComponent(user)}`,
        { method: 'PUT' },
      );
    },

    removeTeamMember(namespace: string, host: string, team: string, user: string): Promise<{ removed: boolean }> {
      return json<{ removed: boolean }>(
        `${namespacePath(namespace, host)}/teams/${encodeURIComponent(team)}/members/${encodeURIComponent(user)}`,
        { method: 'DELETE' },
      );
    },

    /** `pkg` is `ns/name`, or null for every package the namespace maintains */
    getNamespaceVisibility(namespace: string, host: string): Promise<{ private: boolean }> {
      return json<{ private: boolean }>(`${namespacePath(namespace, host)}/access`);
    },

    /** The namespace's release-age quarantine in hours (null: the operator's alone). */
    getNamespaceReleaseAge(namespace: string, host: string): Promise<{ hours: number | null }> {
      return json<{ hours: number | null }>(`${namespacePath(namespace, host)}/release-age`);
    },

    setNamespaceReleaseAge(namespace: string, host: string, hours: number | null): Promise<{ hours: number | null }> {
      return json<{ hours: number | null }>(`${namespacePath(namespace, host)}/release-age`, { method: 'PUT', json: { hours } });
    },

    setNamespaceVisibility(namespace: string, host: string, isPrivate: boolean): Promise<{ private: boolean }> {
      return json<{ private: boolean }>(`${namespacePath(namespace, host)}/access`, { method: 'PUT', json: { private: isPrivate } });
    },

    grantTeam(namespace: string, host: string, team: string, pkg: string | null, permission: 'read' | 'write'): Promise<TeamInfo> {
      return json<TeamInfo>(`${namespacePath(namespace, host)}/teams/${encodeURIComponent(team)}/grants`, {
        method: 'PUT',
        json: { package: pkg, permission },
      });
    },

    revokeTeamGrant(namespace: string, host: string, team: string, pkg: string | null): Promise<{ revoked: boolean }> {
      const query = pkg ? `?package=${encodeURIComponent(pkg)}` : '';
      return json<{ revoked: boolean }>(`${namespacePath(namespace, host)}/teams/${encodeURIComponent(team)}/grants${query}`, {
        method: 'DELETE',
      });
    },
  };
}

/** A team as `GET /namespaces/namespace/:ns/teams/:team` answers it. */
interface TeamInfo {
  name: string;
  namespace: string;
  description: string;
  created: string;
  members: string[];
  grants: Array<{ package: string | null; permission: 'read' | 'write' }>;
}
