import { appError, type Host, type NamespaceRef } from '@entropic/types';
import type { NamespaceRow } from './ports/records.ts';
import type { Repositories } from './ports/repositories.ts';

export type { NamespaceRow } from './ports/records.ts';

/** Local namespaces are stored with host NULL, so the registry survives a change of EXTERNAL_HOST. */
export function storedHost(ref: NamespaceRef, localHost: Host): string | null {
  return ref.host === localHost ? null : ref.host;
}

export async function findNamespace(repos: Repositories, ref: NamespaceRef, localHost: Host): Promise<NamespaceRow | undefined> {
  return repos.namespaces.find(ref.namespace, storedHost(ref, localHost));
}

export async function getNamespace(repos: Repositories, ref: NamespaceRef, localHost: Host): Promise<NamespaceRow> {
  const found = await findNamespace(repos, ref, localHost);
  if (!found) throw namespaceNotFound(ref);
  return found;
}

export function namespaceNotFound(ref: NamespaceRef) {
  return appError('NAMESPACE_NOT_FOUND', `The namespace "${ref.namespace}@${ref.host}" does not exist.`);
}

export function formatNamespace(row: { name: string; host: string | null }, localHost: Host): string {
  return `${row.name}@${row.host ?? localHost}`;
}
