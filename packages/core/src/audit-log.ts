import { formatPackageName, type NamespaceRef } from '@entropic/types';
import { assertMayReadNamespaceAudit, requireSignedIn } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { getNamespace } from './namespaces.ts';
import { decodeCursor, encodeCursor } from './pagination.ts';
import type { AuditAction, AuditEntry } from './ports/audit.ts';
import type { PackageRef } from './ports/records.ts';
import type { Repositories } from './ports/repositories.ts';
import { type Actor, isSystemPrincipal, type Principal } from './principal.ts';

export interface AuditSubject {
  /** the namespace the event is about (this registry's own: its owners see the entry) */
  namespace?: string;
  /** the package, `ns@host/name` */
  package?: string;
  details?: Record<string, unknown>;
}

/** The subject of an event about a package: its namespace (whose owners see it) and its full name. */
export function packageSubject(ref: PackageRef, details: Record<string, unknown> = {}): AuditSubject {
  return { namespace: ref.namespace, package: formatPackageName(ref), details };
}

/**
 * Appends an audit entry for what `actor` did. Use cases call it in the transaction of the change,
 * so a committed change always has its entry and a rolled-back one never does. The registry's own
 * writes (the `legacy` mirror) are not users' actions and are not recorded.
 */
export async function recordAudit(
  repos: Repositories,
  at: Date,
  actor: Actor | undefined,
  action: AuditAction,
  subject: AuditSubject,
): Promise<void> {
  if (!actor || isSystemPrincipal(actor)) return;
  await repos.audit.append({
    at,
    actorId: actor.userId,
    actor: actor.username,
    action,
    namespace: subject.namespace,
    package: subject.package,
    address: actor.address,
    details: subject.details ?? {},
  });
}

/** A failed sign-in: no principal yet, the name tried (when it is a user, attributed to them) and the address. */
export async function recordSignInFailure(
  deps: CoreDeps,
  input: { name: string; address: string | undefined; method: string },
): Promise<void> {
  const user = input.name ? await deps.repos.users.findByName(input.name) : undefined;
  await deps.repos.audit.append({
    at: deps.clock.now(),
    actorId: user?.id,
    actor: input.name.slice(0, 100),
    action: 'sign-in-failed',
    namespace: undefined,
    package: undefined,
    address: input.address,
    details: { method: input.method },
  });
}

/** A successful sign-in (website, with how: password, provider, second factor, passkey). */
export async function recordSignIn(deps: CoreDeps, input: { principal: Principal; method: string }): Promise<void> {
  await recordAudit(deps.repos, deps.clock.now(), input.principal, 'sign-in', { details: { method: input.method } });
}

export interface AuditPage {
  entries: AuditEntry[];
  next?: string;
}

const pageOf = (entries: AuditEntry[], limit: number): AuditPage => {
  const last = entries.at(-1);
  return entries.length === limit && last ? { entries, next: encodeCursor(Number(last.id)) } : { entries };
};

/** The signed-in user's own actions, newest first. */
export async function listOwnAudit(
  deps: CoreDeps,
  input: { principal: Principal | undefined; cursor?: string; limit: number },
): Promise<AuditPage> {
  const p = requireSignedIn(input.principal);
  const before = input.cursor ? String(decodeCursor(input.cursor)) : undefined;
  const entries = await deps.repos.audit.listByActor(p.userId, { limit: input.limit, ...(before ? { before } : {}) });
  return pageOf(entries, input.limit);
}

/** What happened in a namespace, newest first: for its accepted members. */
export async function listNamespaceAudit(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: NamespaceRef; cursor?: string; limit: number },
): Promise<AuditPage> {
  const namespace = await getNamespace(deps.repos, input.ref, deps.host);
  await assertMayReadNamespaceAudit(deps.repos, input.principal, namespace);
  const before = input.cursor ? String(decodeCursor(input.cursor)) : undefined;
  const entries = await deps.repos.audit.listByNamespace(namespace.name, { limit: input.limit, ...(before ? { before } : {}) });
  return pageOf(entries, input.limit);
}

/** Retention: deletes entries older than `days` (0 keeps everything). Answers how many went. */
export async function pruneAuditLog(deps: CoreDeps, input: { days: number }): Promise<number> {
  if (input.days <= 0) return 0;
  return deps.repos.audit.prune(new Date(deps.clock.now().getTime() - input.days * 86_400_000));
}

/** An entry as the API and the JSON-lines export give it. */
export function auditEntryJson(entry: AuditEntry): Record<string, unknown> {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    ...(entry.namespace !== undefined ? { namespace: entry.namespace } : {}),
    ...(entry.package !== undefined ? { package: entry.package } : {}),
    ...(entry.address !== undefined ? { address: entry.address } : {}),
    details: entry.details,
  };
}
