import { appError, type NamespaceName, type NamespaceRef, type PackageName } from '@entropic/types';
import { recordAudit } from './audit-log.ts';
import { assertLocal, assertMaySetNamespaceReleaseAge } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { getNamespace } from './namespaces.ts';
import type { Principal } from './principal.ts';

/** At most a year: a longer quarantine is a mistake, not a policy. */
export const MAX_RELEASE_AGE_HOURS = 24 * 365;

/** `{hours}` of a namespace's own release-age quarantine (null: none of its own). */
export async function getNamespaceReleaseAge(deps: CoreDeps, input: { ref: NamespaceRef }): Promise<{ hours: number | null }> {
  assertLocal(input.ref, deps.host);
  await getNamespace(deps.repos, input.ref, deps.host);
  return { hours: (await deps.repos.namespaces.findMinReleaseAge(input.ref.namespace)) ?? null };
}

/**
 * Sets a namespace's release-age quarantine (docs/security.md): versions published in it are kept
 * from ranges and `latest` in npm packuments until this many hours old; the stricter of it and the
 * operator's MIN_RELEASE_AGE_HOURS applies. Every package's cached views are dropped.
 */
export async function setNamespaceReleaseAge(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: NamespaceRef; hours: unknown },
): Promise<{ hours: number | null }> {
  const { ref, hours } = input;
  if (hours !== null && (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 0 || hours > MAX_RELEASE_AGE_HOURS)) {
    throw appError('INVALID_FIELD', `The body must be {"hours": <0 to ${MAX_RELEASE_AGE_HOURS}>} or {"hours": null}.`);
  }
  assertLocal(ref, deps.host);
  const names = await deps.uow.transaction(async (repos) => {
    const namespace = await getNamespace(repos, ref, deps.host);
    const principal = await assertMaySetNamespaceReleaseAge(repos, input.principal, namespace);
    await repos.namespaces.setMinReleaseAge(namespace.id, hours);
    await recordAudit(repos, deps.clock.now(), principal, 'namespace-release-age', { namespace: namespace.name, details: { hours } });
    return repos.namespaces.listPackageNames(namespace.id);
  });
  for (const name of names) {
    await deps.events.emit({
      type: 'package-changed',
      ref: { namespace: ref.namespace as NamespaceName, host: ref.host, name: name as PackageName },
    });
  }
  return { hours };
}
