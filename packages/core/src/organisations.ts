import { appError, type NamespaceRef, type Page, parseNewNamespaceName } from '@entropic/types';
import { recordAudit } from './audit-log.ts';
import { requireUnlimitedWriter } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { formatNamespace } from './namespaces.ts';
import { assertLocal, type ListOptions } from './packages.ts';
import { namePage, namePageQuery } from './pagination.ts';
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
  input: { principal: Principal | undefined; ref: NamespaceRef },
): Promise<OrganisationCreated> {
  const p = requireUnlimitedWriter(input.principal, 'create organisations');
  assertLocal(input.ref, deps.host);
  const name = parseNewNamespaceName(input.ref.namespace);
  return deps.uow.transaction(async (repos) => {
    const id = await repos.namespaces.create(name, 'org');
    if (id === undefined) throw appError('NAMESPACE_EXISTS', `The namespace "${name}@${deps.host}" is taken.`);
    await repos.teams.addMember(id, p.userId, { accepted: true, invitedBy: null });
    await recordAudit(repos, deps.clock.now(), p, 'organisation-created', { namespace: name });
    return { name: formatNamespace({ name, host: null }, deps.host), kind: 'org', members: [p.username] };
  });
}

/** Every namespace of this host (users', organisations and the system ones), sorted by name. */
export async function listNamespaces(deps: CoreDeps, input: ListOptions): Promise<Page<string>> {
  const page = namePageQuery(input);
  const rows = await deps.repos.namespaces.listLocal(page);
  return namePage(rows, page.pageSize, (row) => formatNamespace(row, deps.host));
}
