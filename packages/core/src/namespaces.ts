import { appError, type Host, type NamespaceRef } from '@entropic/types';
import type { Tx } from './deps.ts';

export interface NamespaceRow {
  id: number;
  name: string;
  host: string | null;
  kind: 'user' | 'org' | 'system';
}

/** Local namespaces are stored with host NULL, so the registry survives a change of EXTERNAL_HOST. */
export function storedHost(ref: NamespaceRef, localHost: Host): string | null {
  return ref.host === localHost ? null : ref.host;
}

export async function findNamespace(db: Tx, ref: NamespaceRef, localHost: Host): Promise<NamespaceRow | undefined> {
  const host = storedHost(ref, localHost);
  let query = db.selectFrom('namespaces').select(['id', 'name', 'host', 'kind']).where('name', '=', ref.namespace);
  query = host === null ? query.where('host', 'is', null) : query.where('host', '=', host);
  return query.executeTakeFirst();
}

export async function getNamespace(db: Tx, ref: NamespaceRef, localHost: Host): Promise<NamespaceRow> {
  const found = await findNamespace(db, ref, localHost);
  if (!found) throw appError('NAMESPACE_NOT_FOUND', `The namespace "${ref.namespace}@${ref.host}" does not exist.`);
  return found;
}

export function formatNamespace(row: { name: string; host: string | null }, localHost: Host): string {
  return `${row.name}@${row.host ?? localHost}`;
}
