import { appError, type NamespaceRef, type Page, parseNewNamespaceName } from '@entropic/types';
import { requireWriter } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { decodeNameCursor, nameAfter, namePage } from './name-cursor.ts';
import { formatNamespace } from './namespaces.ts';
import { assertLocal, type ListOptions } from './packages.ts';
import { pageLimit } from './pagination.ts';
import type { Principal } from './principal.ts';

export interface OrganisationCreated {
  name: string;
  kind: 'org';
  members: string[];
}

/**
 * Creates an organisation with the caller as its first accepted member. The unique index on
 * (name, host) decides races: exactly one of two concurrent creates wins, the other gets 409.
 */
export async function createOrganisation(
  deps: CoreDeps,
  principal: Principal | undefined,
  ref: NamespaceRef,
): Promise<OrganisationCreated> {
  const p = requireWriter(principal);
  assertLocal(ref, deps.host);
  const name = parseNewNamespaceName(ref.namespace);
  return deps.db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('namespaces')
      .values({ name, host: null, kind: 'org' })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw appError('NAMESPACE_EXISTS', `The namespace "${name}@${deps.host}" is taken.`);
    await tx
      .insertInto('namespace_members')
      .values({ namespace_id: inserted.id, user_id: p.userId, accepted: true, invited_by: null })
      .execute();
    return { name: formatNamespace({ name, host: null }, deps.host), kind: 'org', members: [p.username] };
  });
}

/** Every namespace of this host (users', organisations and the system ones), sorted by name. */
export async function listNamespaces(deps: CoreDeps, options: ListOptions): Promise<Page<string>> {
  const limit = pageLimit(options.limit);
  const after = options.cursor ? decodeNameCursor(options.cursor) : undefined;
  let query = deps.db
    .selectFrom('namespaces as n')
    .select(['n.id', 'n.name', 'n.host'])
    .where('n.host', 'is', null)
    .orderBy('n.name')
    .orderBy('n.id')
    .limit(limit + 1);
  if (after) query = query.where(nameAfter(after, 'n.name', 'n.id'));
  return namePage(await query.execute(), limit, (row) => formatNamespace(row, deps.host));
}
