import {
  acceptMaintainership,
  type CoreDeps,
  formatNamespace,
  fullName,
  getPackage,
  inviteMaintainer,
  listMaintainers,
  type PackageRef,
  type Principal,
  removeMaintainer,
  type TeamChange,
} from '@entropic/core';
import { appError, type Host, isAppError, type NamespaceRef, parseNamespaceSegment, truncate } from '@entropic/types';

/** How many maintainer namespaces a packument lists (and `npm owner` may send back). */
export const MAX_NPM_OWNERS = 100;

/** An entry of a packument's `maintainers`: a maintainer namespace, its address as the "email". */
export interface NpmOwner {
  name: string;
  email: string;
}

/** A package's accepted maintainer namespaces (the first MAX_NPM_OWNERS) as npm's `maintainers` (`npm owner ls`). */
export async function listNpmOwners(deps: CoreDeps, packageId: number): Promise<NpmOwner[]> {
  const rows = await deps.repos.teams.listMaintainers(packageId, true, { after: undefined, limit: MAX_NPM_OWNERS });
  return rows.map((row) => ({ name: row.name, email: formatNamespace(row, deps.host) }));
}

function ownerNames(value: unknown, host: Host): Map<string, NamespaceRef> {
  if (!Array.isArray(value)) throw appError('INVALID_FIELD', '"maintainers" must be an array of {"name": …}.');
  if (value.length > MAX_NPM_OWNERS) throw appError('INVALID_FIELD', `"maintainers" lists more than ${MAX_NPM_OWNERS} names.`);
  const names = new Map<string, NamespaceRef>();
  for (const entry of value) {
    const name = (entry as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') throw appError('INVALID_FIELD', 'Each of "maintainers" must be an object with a string "name".');
    const ref = parseNamespaceSegment(name, host);
    if (ref.host !== host) throw appError('INVALID_FIELD', `"${truncate(name)}" is not a namespace of this registry.`);
    names.set(ref.namespace, ref);
  }
  return names;
}

/**
 * `npm owner add|rm` (docs/npm.md): npm sends the packument's `maintainers` back with one name
 * added or removed. Owners are maintainer namespaces here, so an added name is an invitation of
 * that namespace (or, sent by a member of a namespace that was invited, its acceptance), and a
 * removed name ends that namespace's maintainership (never the last one). The use cases decide
 * who may; the answers say what happened (npm shows them as `npm notice`).
 */
export async function changeNpmOwners(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: PackageRef; maintainers: unknown },
): Promise<TeamChange[]> {
  const { principal, ref } = input;
  const wanted = ownerNames(input.maintainers, deps.host);
  const pkg = await getPackage(deps.repos, ref, deps.host);
  const current = new Set((await listNpmOwners(deps, pkg.id)).map((owner) => owner.name));
  const pending = new Set((await listMaintainers(deps, { ref, status: 'pending', limit: String(MAX_NPM_OWNERS) })).objects);
  const removed = [...current].filter((name) => !wanted.has(name));
  if (removed.length > 0 && removed.length === current.size) {
    throw appError('LAST_MAINTAINER', `That would leave ${fullName(ref)} without a maintainer; add another owner first.`);
  }
  const changes: TeamChange[] = [];
  for (const [name, invitee] of wanted) {
    if (current.has(name)) continue;
    if (pending.has(`${name}@${deps.host}`)) {
      try {
        changes.push(await acceptMaintainership(deps, { principal, ref: invitee, pkg: ref }));
        continue;
      } catch (error) {
        // not a member of the invited namespace: a maintainer adding it again (already invited)
        if (!isAppError(error) || error.code !== 'NOT_A_MEMBER') throw error;
      }
    }
    changes.push(await inviteMaintainer(deps, { principal, ref, invitee }));
  }
  for (const name of removed) {
    changes.push(await removeMaintainer(deps, { principal, ref, invitee: { namespace: name, host: deps.host } as NamespaceRef }));
  }
  return changes;
}
