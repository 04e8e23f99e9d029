import { type JsonCalls, ns } from './json-calls.ts';
import { type PackageRef, packagePath } from './package-ref.ts';

/** Namespaces, their members and maintainerships, and users' memberships. */
export function namespaceCalls({ json }: JsonCalls) {
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
  };
}
